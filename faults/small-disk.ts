/**
 * A small disk of its own for the gateway's data directory: a tmpfs mounted on a directory, which needs
 * root (CAP_SYS_ADMIN). Filled with a ballast file to a chosen free space, and emptied again by deleting
 * it, as an operator would clear old logs. Where mounting is not allowed, `mount` says why and the
 * caller falls back to the storage budget (gateway-disk-full.test.ts explains that choice).
 */
import { spawnSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export class SmallDisk {
  readonly dir: string
  readonly #ballast: string
  #mounted = false

  constructor (dir: string) {
    this.dir = dir
    this.#ballast = join(dir, 'ballast')
  }

  /** Mounts a tmpfs of `mib` MiB on the directory; returns why not, or undefined when it is mounted. */
  mount (mib: number): string | undefined {
    mkdirSync(this.dir, { recursive: true })
    if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', this.dir], { encoding: 'utf8' })
    if (r.status !== 0) return `mount failed: ${(r.stderr ?? r.error?.message ?? '').trim()}`
    this.#mounted = true
    return undefined
  }

  get freeBytes (): number {
    const s = statfsSync(this.dir)
    return s.bavail * s.bsize
  }

  /** Writes a ballast file so that about `leaveBytes` stay free. */
  fill (leaveBytes: number): void {
    const chunk = Buffer.alloc(1 << 20)
    const fd = openSync(this.#ballast, 'a')
    try {
      for (let want = this.freeBytes - leaveBytes; want > 0; want -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, want))
    } finally { closeSync(fd) }
  }

  /** Deletes the ballast: the room comes back at once. */
  makeRoom (): void {
    rmSync(this.#ballast, { force: true })
  }

  unmount (): void {
    if (!this.#mounted) return
    const r = spawnSync('umount', ['-l', this.dir], { encoding: 'utf8' })
    if (r.status === 0) this.#mounted = false
  }
}
