/**
 * Polls until a condition holds, or fails naming what it waited for. Tests wait on outcomes with generous
 * limits; they never assert how fast something happened (the machines are shared and noisy).
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** `what` may be a function, for a message that shows state at the moment of failure (a child's output). */
export async function until (cond: () => boolean | Promise<boolean>, what: string | (() => string) = 'condition', timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`)
    await sleep(everyMs)
  }
}
