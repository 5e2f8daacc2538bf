/**
 * Polls until a condition holds, or fails naming what it waited for. Tests wait on outcomes with generous
 * limits; they never assert how fast something happened (the machines are shared and noisy).
 */
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * How many times its stated limit a wait may take before it fails. A limit is written for an unloaded
 * machine; CI and several test files share two cores, where a wait for a child process's work (each step a
 * spawned CLI or a forwarder retry) was seen to take 2-3 times as long. Waiting longer costs nothing when
 * the condition comes true; it only delays the report of a real failure.
 */
const SLACK = Number(process.env.PUNCHLINE_TEST_SLACK ?? 3)

/** `what` may be a function, for a message that shows state at the moment of failure (a child's output). */
export async function until (cond: () => boolean | Promise<boolean>, what: string | (() => string) = 'condition', timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const limit = timeoutMs * SLACK
  const end = Date.now() + limit
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${limit} ms waiting for ${typeof what === 'function' ? what() : what}`)
    await sleep(everyMs)
  }
}
