/**
 * Fault 3: a real HTTP upstream that misbehaves in turns while devices keep punching: a 503 storm, 429
 * with Retry-After, connection resets, answers slower than the gateway's timeout (the upstream takes the
 * batch, the gateway never hears so), and all along one poison record that the upstream refuses with 422.
 *
 * What must hold: every acknowledged punch is delivered but the poison one, which lands in dead letters,
 * alone (the 422 splits its batch until it is alone); a retry after a 429 waits its Retry-After; and the
 * duplicates upstream are only punches of the batches the upstream took too slowly, sent again under
 * their own Idempotency-Key. A batch whose answer the gateway stopped waiting for is the only thing
 * retried after a delivery, so the bound is the punches of the requests that timed out (the gateway logs
 * each): those slow on purpose, and any a loaded machine made late.
 */
import { RandomStream } from '../sim/workload/random.js'
import { punchId } from '../shared/punch.js'
import type { WebhookAnswer, WebhookRequest } from '../fakes/upstream/webhook-upstream.js'
import { DeviceFleet } from './load.js'
import { judge, reconcileRun } from './judge.js'
import { faultReport, type FaultReport } from './report.js'
import { FaultSite } from './site.js'
import type { LogLine } from './gateway-process.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { waitUntil } from '../sim/hardware-mode/bounded-wait.js'

export interface UpstreamFaultOptions {
  seed: number
  /** each round plays every phase once, in a seeded order */
  rounds: number
  phaseMs: number
  devices: number
  intervalMs: number
}

export const UPSTREAM_FAULTS: Record<'short' | 'long', Omit<UpstreamFaultOptions, 'seed'>> = {
  short: { rounds: 1, phaseMs: 1200, devices: 3, intervalMs: 10 },
  long: { rounds: 8, phaseMs: 2500, devices: 4, intervalMs: 5 }
}

const PHASES = ['503', '429', 'reset', 'slow', 'ok'] as const
type Phase = typeof PHASES[number]
const TIMEOUT_MS = 300
const SLOW_MS = 2 * TIMEOUT_MS
const RETRY_AFTER_S = 1
/** clock granularity and the time between the sink's answer and the gateway reading it */
const RETRY_AFTER_SLACK_MS = 20

/** The upstream's answers, by phase, with what it needs to judge the gateway. */
class MisbehavingUpstream {
  phase: Phase = 'ok'
  poison = ''
  readonly answers: Record<Phase | '422', number> = { 503: 0, 429: 0, reset: 0, slow: 0, ok: 0, 422: 0 }
  /** punches in requests the upstream took after the gateway had stopped waiting */
  slowPunches = 0
  /** key → when it was last answered 429 */
  readonly #throttled = new Map<string, number>()
  /** requests that came sooner after a 429 than its Retry-After */
  readonly early: string[] = []

  answer (req: WebhookRequest): WebhookAnswer {
    const key = String(req.headers['idempotency-key'])
    const throttledAt = this.#throttled.get(key)
    if (throttledAt !== undefined && req.at - throttledAt < RETRY_AFTER_S * 1000 - RETRY_AFTER_SLACK_MS) this.early.push(`${key} after ${req.at - throttledAt} ms`)
    this.#throttled.delete(key)
    const punches = req.body?.punches ?? []
    switch (this.phase) {
      case '503': this.answers[503]++; return { status: 503 }
      case '429':
        this.answers[429]++
        this.#throttled.set(key, Date.now())
        return { status: 429, headers: { 'Retry-After': String(RETRY_AFTER_S) } }
      case 'reset': this.answers.reset++; return { status: 0, reset: true }
    }
    if (punches.some(p => p.id === this.poison)) {
      this.answers[422]++
      return { status: 422, body: JSON.stringify({ error: `emp: no such employee in ${this.poison}` }) }
    }
    if (this.phase === 'slow') {
      this.answers.slow++
      this.slowPunches += punches.length
      return { status: 200, delayMs: SLOW_MS }
    }
    this.answers.ok++
    return { status: 200 }
  }
}

export async function upstreamFault (o: UpstreamFaultOptions, say: (line: string) => void = () => {}): Promise<FaultReport> {
  const started = performance.now()
  const site = new FaultSite('upstream', {
    upstream: { timeoutMs: TIMEOUT_MS },
    forward: { batchSize: 50, concurrency: 2, backoffBaseMs: 50, backoffCapMs: 500 }
  })
  const upstream = new MisbehavingUpstream()
  site.respond(req => upstream.answer(req))
  const random = new RandomStream(o.seed, 'upstream-faults')
  let fleet: DeviceFleet | undefined
  try {
    const gw = await site.start()
    fleet = new DeviceFleet(Array.from({ length: o.devices }, (_, i) => `U-${i}`), { dir: site.dir, url: gw.mqttUrl, capacity: 5000 })
    const devices = fleet
    await devices.start()
    upstream.poison = punchId('U-0', devices.devices[0].ring.epoch, 7)
    devices.startLoad(o.intervalMs)
    const played: Phase[] = []
    for (let round = 0; round < o.rounds; round++) {
      const order = [...PHASES].sort(() => random.uniform() - 0.5)
      for (const phase of order) {
        upstream.phase = phase
        played.push(phase)
        const met = upstream.answers[phase]
        await sleep(o.phaseMs)
        // On a loaded machine a phase may pass with no request in it: hold it until two have met it.
        await waitUntil(() => upstream.answers[phase] >= met + 2, { timeoutMs: 10_000 })
      }
    }
    upstream.phase = 'ok'
    say(`upstream: ${played.length} phases done, draining`)
    await devices.stopLoad()
    const parked = new Set([upstream.poison])
    const drained = await devices.drained(site.sink, 60_000, parked)
    // A slow answer may still be on its way: let it land before counting.
    await sleep(SLOW_MS)
    const dead = await waitForDeadLetters(site, 10_000)
    await devices.stop()
    const last = site.gateway
    await last?.stop()
    const { requests: timedOutRequests, punches: timedOutPunches } = timedOut(last?.logs ?? [])

    const r = reconcileRun(devices.truth, site.upstreamView(), { parked: new Set(dead.filter(id => id === upstream.poison)) })
    const problems = judge(r, { bound: timedOutPunches })
    if (!drained) problems.push(`did not drain within 60 s: ${devices.pending()} punches unacknowledged on the devices`)
    if (devices.truth.fate(upstream.poison) !== 'acked') problems.push(`the poison record ${upstream.poison} was never acknowledged by the gateway`)
    if (dead.length !== 1 || dead[0] !== upstream.poison) problems.push(`dead letters should hold the poison record alone, hold: ${dead.join(', ') || 'nothing'}`)
    if (site.sink.received.has(upstream.poison)) problems.push('the poison record was accepted upstream')
    if (upstream.early.length > 0) problems.push(`${upstream.early.length} retries sooner than Retry-After: ${upstream.early.slice(0, 5).join(', ')}`)
    for (const p of PHASES) if (p !== 'ok' && upstream.answers[p] === 0) problems.push(`no request met the ${p} phase`)
    const a = upstream.answers
    const notes = [
      `${o.rounds} rounds of ${PHASES.length} phases × ${o.phaseMs} ms; answers: ${a.ok} ok, ${a[503]} 503, ${a[429]} 429 (Retry-After ${RETRY_AFTER_S} s), ${a.reset} resets, ` +
        `${a.slow} slower than the ${TIMEOUT_MS} ms timeout (${upstream.slowPunches} punches), ${a[422]} 422 for the poison record`,
      `dead letters: ${dead.join(', ') || 'none'}; retries sooner than Retry-After: ${upstream.early.length}`
    ]
    return faultReport('upstream', o.rounds, 'rounds', r,
      { bound: timedOutPunches, rule: `the punches of the ${timedOutRequests} requests the gateway stopped waiting for (${timedOutPunches}; ${upstream.slowPunches} in answers slow on purpose), all under the same Idempotency-Key` },
      performance.now() - started, problems, notes)
  } finally {
    await fleet?.stop()
    await site.close()
  }
}

/**
 * Every batch the gateway stopped waiting for (it logs each timeout, or its watchdog's abort, with its
 * batch's size), the slow ones on purpose and any a loaded machine made late: only those can have been
 * taken by the upstream and sent again.
 */
export function timedOut (logs: readonly LogLine[]): { requests: number, punches: number } {
  const lines = logs.filter(l => l.msg === 'upstream did not take the batch; will retry' && /^(timeout|watchdog)/.test(String(l.error)))
  return { requests: lines.length, punches: lines.reduce((n, l) => n + (l.punches as number), 0) }
}

/** The dead letters once there is at least one (the split takes a few rounds of 422), or what there is after `timeoutMs`. */
async function waitForDeadLetters (site: FaultSite, timeoutMs: number): Promise<string[]> {
  let dead: string[] = []
  await waitUntil(() => (dead = site.deadLetters()).length > 0, { timeoutMs, everyMs: 100 })
  return dead
}
