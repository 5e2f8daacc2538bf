/**
 * Every wait of this mode has an end: a device that never opens its port or never delivers turns into a
 * line in the summary, not a run that hangs. Ctrl-C (the signal) ends a wait at once.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export async function waitUntil (cond: () => boolean, o: { timeoutMs: number, everyMs?: number, signal?: AbortSignal }): Promise<boolean> {
  const end = Date.now() + o.timeoutMs
  while (!cond()) {
    if (Date.now() >= end) return false
    await sleep(o.everyMs ?? 50, undefined, { signal: o.signal })
  }
  return true
}
