/** What the figures were measured on: the machine and the versions of the parts compared. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'

export function machineLine (): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`
}

/** 1-minute load average, to show how busy a shared machine was around a figure */
export function load1 (): number { return loadavg()[0] }

/** The installed version of an npm package (its package.json may not be exported, so found from its entry point). */
export function packageVersion (name: string): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name))
    for (let i = 0; i < 5; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
        if (pkg.name === name && pkg.version !== undefined) return pkg.version
      } catch {}
    }
  } catch {}
  return 'unknown'
}
