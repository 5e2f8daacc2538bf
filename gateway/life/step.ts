/**
 * The gateway's life as an ordered list of named steps (the list itself is LIFE in gateway/gateway.ts).
 * Starting runs each step's start in order; stopping runs the stops of the steps that started, last first.
 * A start that fails half way stops what had started, so a failed start leaves no listener open, no lock
 * held and no broker acknowledging punches that nothing forwards (docs/DESIGN-NOTES.md, "The gateway's life").
 */
import type { LifeContext } from './context.js'

export interface StopHow {
  /**
   * true: a clean stop, finishing what is under way (commit what is queued so its acks go out, give
   * upstream requests their grace, write last-seen times, remove the pid file); false: as a `kill -9`
   * would end it (Gateway.abort), keeping only what is on disk
   */
  drain: boolean
}

export interface LifeStep {
  readonly name: string
  /** makes or starts this step's part; may be absent when the part is made by an earlier step */
  start?: (life: LifeContext) => void | Promise<void>
  /** undoes start, or ends the part; absent when there is nothing to end */
  stop?: (life: LifeContext, how: StopHow) => void | Promise<void>
}

/** The steps started so far, for stopSteps. */
export type StartedSteps = LifeStep[]

/** What a start that a stop overtook throws: it went no further than the step it was in. */
export class StoppedWhileStarting extends Error {
  constructor (readonly step: string) {
    super(`gateway stopped while starting (before the ${step} step)`)
    this.name = 'StoppedWhileStarting'
  }
}

/**
 * Starts the steps in order. When one throws, or `proceed` says a stop has come meanwhile, the steps
 * already started are stopped (cleanly: what they took in is theirs to finish), and the start's error is
 * thrown (StoppedWhileStarting for a stop).
 */
export async function startSteps (steps: readonly LifeStep[], life: LifeContext, started: StartedSteps, proceed: () => boolean = () => true): Promise<void> {
  for (const step of steps) {
    try {
      if (!proceed()) throw new StoppedWhileStarting(step.name)
      await step.start?.(life)
    } catch (err) {
      life.log.debug({ step: step.name, started: started.map(s => s.name) }, 'start failed: stopping the steps already started')
      await stopSteps(started, life, { drain: true }).catch((stopErr: Error) => {
        life.log.error({ err: stopErr, step: step.name }, 'could not stop every step after a failed start')
      })
      throw err
    }
    started.push(step)
  }
}

/**
 * Stops the started steps, last first, emptying the list. A step whose stop fails does not keep the ones
 * after it from stopping (the lock must be released, the database closed); the first error is thrown at
 * the end.
 */
export async function stopSteps (started: StartedSteps, life: LifeContext, how: StopHow): Promise<void> {
  let first: unknown
  for (let step = started.pop(); step !== undefined; step = started.pop()) {
    try {
      await step.stop?.(life, how)
    } catch (err) {
      life.log.error({ err, step: step.name }, 'step failed to stop')
      first ??= err
    }
  }
  if (first !== undefined) throw first
}
