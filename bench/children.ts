/**
 * Child processes of the bench (gateway, brokers, subscriber): spawned through here so that every one is
 * killed when the bench exits, fails or is interrupted, and so that waiting on one is always bounded. Temp
 * directories made here go the same way.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'

const live = new Set<ChildProcess>()
const dirs = new Set<string>()

function killAll (): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping ${live.size} child process(es)\n`)
    killAll()
    process.exit(130)
  })
}

export function spawnTracked (command: string, args: string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(command, args, opts)
  live.add(child)
  child.once('exit', () => live.delete(child))
  // A missing binary surfaces as 'error'; callers see it through waitForLine / stopChild.
  child.on('error', () => live.delete(child))
  return child
}

/** Resolves with the first stdout line `pick` maps to a value; rejects if the child exits or time runs out. */
export async function waitForLine<T> (child: ChildProcess, what: string, timeoutMs: number, pick: (line: string) => T | undefined): Promise<T> {
  const lines = createInterface({ input: child.stdout! })
  return await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${what}: not ready within ${timeoutMs / 1000} s`)) }, timeoutMs)
    const onExit = (code: number | null, signal: string | null): void => { cleanup(); reject(new Error(`${what} exited (${String(code ?? signal)}) before it was ready`)) }
    const onError = (err: Error): void => { cleanup(); reject(new Error(`${what}: ${err.message}`)) }
    const onLine = (line: string): void => {
      let v: T | undefined
      try { v = pick(line) } catch { v = undefined }
      if (v !== undefined) { cleanup(); resolve(v) }
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      lines.off('line', onLine)
      child.off('exit', onExit)
      child.off('error', onError)
    }
    lines.on('line', onLine)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild (child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** A fresh directory under the system's temp dir, removed by `removeTempDir` or, at the latest, when the bench exits. */
export function tempDir (prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.add(dir)
  return dir
}

export function removeTempDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

/** A TCP port free on 127.0.0.1 right now, for a program that must be told its port (mosquitto). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()) })
  const address = server.address()
  await new Promise<void>(resolve => server.close(() => resolve()))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}

/** utime + stime of a live process, in seconds (Linux /proc). */
export function cpuSeconds (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch { return NaN }
}

/** Peak (VmHWM) and current (VmRSS) resident memory of a live process, in bytes (Linux /proc); NaN when gone. */
export function procMemory (pid: number | undefined): { peak: number, rss: number } {
  let text = ''
  try { text = pid === undefined ? '' : readFileSync(`/proc/${pid}/status`, 'utf8') } catch {}
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024
  return { peak: kb('VmHWM'), rss: kb('VmRSS') }
}
