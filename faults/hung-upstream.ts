/**
 * Fault: a real HTTP upstream that takes connections and never answers, while devices keep punching and
 * the gateway collects garbage in full every 100 ms (gc-pressure.ts). In turns, in a seeded order: it
 * holds requests unread (no status, nothing taken), or takes the batch, sends `200` and its headers and
 * holds the body; between the hangs, and at the end, it recovers and answers at once.
 *
 * What must hold: forwarding never wedges (during each hang requests keep coming, each abandoned at
 * upstream.timeoutMs and sent again: more than forward.concurrency of them meet every hang), every
 * acknowledged punch is delivered once it recovers, and the only duplicates are batches the upstream took
 * while holding its answer, sent again under their own Idempotency-Key.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { waitUntil } from '../sim/hardware-mode/bounded-wait.js'
import { RandomStream } from '../sim/workload/random.js'
import type { WebhookAnswer } from '../fakes/upstream/webhook-upstream.js'
import { gcPressureArgs } from './gateway-process.js'
import { DeviceFleet } from './load.js'
import { judge, reconcileRun } from './judge.js'
import { faultReport, type FaultReport } from './report.js'
import { FaultSite } from './site.js'
import { timedOut } from './upstream-faults.js'

export interface HungUpstreamOptions {
  seed: number
  /** each round plays both hangs, in a seeded order, each followed by a recovery */
  rounds: number
  hangMs: number
  recoverMs: number
  devices: number
  intervalMs: number
}

export const HUNG_UPSTREAM: Record<'short' | 'long', Omit<HungUpstreamOptions, 'seed'>> = {
  short: { rounds: 1, hangMs: 1500, recoverMs: 600, devices: 3, intervalMs: 10 },
  long: { rounds: 10, hangMs: 6000, recoverMs: 2000, devices: 4, intervalMs: 5 }
}

const HANGS = ['request', 'body'] as const
type Hang = typeof HANGS[number]
const TIMEOUT_MS = 300
const CONCURRENCY = 2
/** a hang met by no more than the requests in flight when it began is a wedged forwarder */
const MET_BY = CONCURRENCY + 2
/** how long a hang is held, past hangMs, for MET_BY requests to meet it on a loaded machine */
const WEDGED_AFTER_MS = 15_000

/** The upstream's answers by phase, and what it needs to judge the gateway. */
class HangingUpstream {
  phase: Hang | 'ok' = 'ok'
  readonly met: Record<Hang | 'ok', number> = { request: 0, body: 0, ok: 0 }
  /** punches the upstream took in answers whose body it held */
  takenUnanswered = 0

  answer (punches: number): WebhookAnswer {
    this.met[this.phase]++
    if (this.phase === 'ok') return { status: 200 }
    if (this.phase === 'body') this.takenUnanswered += punches
    return { status: 200, hang: this.phase }
  }
}

export async function hungUpstreamFault (o: HungUpstreamOptions, say: (line: string) => void = () => {}): Promise<FaultReport> {
  const started = performance.now()
  const site = new FaultSite('hung-upstream', {
    upstream: { timeoutMs: TIMEOUT_MS },
    forward: { batchSize: 50, concurrency: CONCURRENCY, backoffBaseMs: 50, backoffCapMs: 500 }
  })
  site.nodeArgs = gcPressureArgs()
  const upstream = new HangingUpstream()
  site.respond(req => upstream.answer(req.body?.punches?.length ?? 0))
  const random = new RandomStream(o.seed, 'hung-upstream')
  const problems: string[] = []
  let fleet: DeviceFleet | undefined
  try {
    const gw = await site.start()
    const devices = fleet = new DeviceFleet(Array.from({ length: o.devices }, (_, i) => `H-${i}`), { dir: site.dir, url: gw.mqttUrl, capacity: 5000 })
    await devices.start()
    devices.startLoad(o.intervalMs)
    let hangs = 0
    for (let round = 0; round < o.rounds; round++) {
      const order = [...HANGS].sort(() => random.uniform() - 0.5)
      for (const hang of order) {
        upstream.phase = hang
        hangs++
        const met = upstream.met[hang]
        await sleep(o.hangMs)
        if (!await waitUntil(() => upstream.met[hang] >= met + MET_BY, { timeoutMs: WEDGED_AFTER_MS })) {
          problems.push(`round ${round + 1}: only ${upstream.met[hang] - met} requests met the '${hang}' hang in ${(o.hangMs + WEDGED_AFTER_MS) / 1000} s: forwarding is wedged`)
        }
        upstream.phase = 'ok'
        const ok = upstream.met.ok
        await sleep(o.recoverMs)
        await waitUntil(() => upstream.met.ok >= ok + 2, { timeoutMs: 10_000 })
      }
    }
    say(`hung-upstream: ${hangs} hangs done, draining`)
    await devices.stopLoad()
    const drained = await devices.drained(site.sink, 60_000)
    await devices.stop()
    const last = site.gateway
    await last?.stop()
    const t = timedOut(last?.logs ?? [])
    const r = reconcileRun(devices.truth, site.upstreamView())
    problems.push(...judge(r, { bound: t.punches }))
    if (!drained) problems.push(`did not drain within 60 s: ${devices.pending()} punches unacknowledged on the devices`)
    const m = upstream.met
    const notes = [
      `${o.rounds} rounds of 2 hangs × ${o.hangMs} ms, each followed by ${o.recoverMs} ms answering; requests met: ${m.request} held unread, ` +
        `${m.body} taken with the body held (${upstream.takenUnanswered} punches), ${m.ok} answered; ${t.requests} timeouts logged (upstream.timeoutMs ${TIMEOUT_MS}), ` +
        'the gateway under a full GC every 100 ms'
    ]
    return faultReport('hung-upstream', o.rounds, 'rounds', r,
      { bound: t.punches, rule: `the punches of the ${t.requests} requests the gateway abandoned at their timeout (${t.punches}; ${upstream.takenUnanswered} taken by the upstream with the answer held), all under the same Idempotency-Key` },
      performance.now() - started, problems, notes)
  } finally {
    await fleet?.stop()
    await site.close()
  }
}
