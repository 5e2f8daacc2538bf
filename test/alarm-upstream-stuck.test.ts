/**
 * The upstream alarm says what is true of a live forwarder: requests stuck far past their deadline, or an
 * upstream that takes connections and answers nothing (every request times out), rather than "the gateway
 * keeps retrying" (issue 13: forwarding had stopped for 11 minutes under that message).
 */
import t from 'tap'
import { evaluateAlarms, type AlarmExtras, type UpstreamState } from '../gateway/alarms.js'
import type { HealthSnapshot } from '../gateway/health.js'
import { defaultConfig } from '../gateway/config.js'

const NOW = Date.parse('2026-12-06T10:00:00.000Z')
const MIN = 60_000
const TH = defaultConfig().alarms

function snapshot (pending: number, oldestAgeMs: number): HealthSnapshot {
  return {
    at: NOW,
    gatewayId: 'site-7',
    upstream: { configured: true },
    devices: [],
    backlog: { batches: 2, pendingPunches: pending, oldestReceived: NOW - oldestAgeMs, deadLetters: 0, oldestPendingAgeMs: oldestAgeMs },
    outbox: { failingBatches: 0, failingSince: null, lastError: null },
    deadLetters: { refused: 0, unmapped: 0 },
    flags24h: {},
    storage: { fileBytes: 0, freePageBytes: 0, walBytes: 0, usedBytes: 0, maxDbBytes: 0, diskFreeBytes: 2 ** 40, diskTotalBytes: 2 ** 41, minFreeBytes: 0, full: null },
    backups: []
  }
}

const upstreamAlarm = (s: HealthSnapshot, up: UpstreamState): string[] =>
  evaluateAlarms(s, TH, { clockSkewMs: 120_000, upstream: up } satisfies AlarmExtras, NOW).filter(a => a.name === 'upstream-failing').map(a => `${a.severity}: ${a.message}`)

t.test('requests outstanding past twice their deadline: stuck, and for how long, at once', async t => {
  const up: UpstreamState = {
    since: NOW - 60 * MIN,
    lastDeliveredAt: NOW - 2 * MIN,
    lastFailure: null,
    lastAnsweredAt: NOW - 2 * MIN,
    inFlight: [{ startedAt: NOW - 11 * MIN, deadlineMs: 30_000 }, { startedAt: NOW - 20_000, deadlineMs: 30_000 }]
  }
  const [alarm] = upstreamAlarm(snapshot(3000, 12 * MIN), up)
  t.match(alarm, /^critical: 1 of 2 requests to the upstream stuck for 11 min, past the 30 s they may take: forwarding is stalled on them; restart the gateway/)
  t.notMatch(alarm, /keeps retrying/)
  const young = { ...up, inFlight: [{ startedAt: NOW - 50_000, deadlineMs: 30_000 }] }
  t.same(upstreamAlarm(snapshot(3000, 5 * MIN), young), [], 'within twice its deadline a request is slow, not stuck')
  const noDeadline = { ...up, inFlight: [{ startedAt: NOW - 11 * MIN, deadlineMs: null }] }
  t.same(upstreamAlarm(snapshot(3000, 5 * MIN), noDeadline), [], 'a sink that gives no deadline is never called stuck')
})

t.test('nothing answered in the window and the requests time out: the upstream does not answer, not "keeps retrying"', async t => {
  const timeout = { kind: 'retry', error: 'timeout: no complete answer within 30000 ms', at: NOW - 10_000 }
  const silent: UpstreamState = { since: NOW - 60 * MIN, lastDeliveredAt: NOW - 15 * MIN, lastFailure: timeout, lastAnsweredAt: NOW - 15 * MIN, inFlight: [{ startedAt: NOW - 12_000, deadlineMs: 30_000 }] }
  const [alarm] = upstreamAlarm(snapshot(3000, 14 * MIN), silent)
  t.match(alarm, /^critical: the upstream has not answered any request for 15 min while 3000 punches wait: it takes the connections and never answers \(timeout: no complete answer within 30000 ms\)/)
  t.match(alarm, /1 in flight, the oldest for 12 s/)
  t.notMatch(alarm, /keeps retrying/)

  const answering = { ...silent, lastAnsweredAt: NOW - MIN, lastFailure: { kind: 'retry', error: 'HTTP 503', at: NOW - MIN } }
  t.match(upstreamAlarm(snapshot(3000, 14 * MIN), answering), [/no punch delivered upstream for 14 min while 3000 wait; last error: HTTP 503: .*keeps retrying/],
    'an upstream that answers with errors is retried, and the alarm says so')
  const refused = { ...silent, lastFailure: { kind: 'retry', error: 'connect ECONNREFUSED 10.0.0.5:443', at: NOW - 10_000 } }
  t.match(upstreamAlarm(snapshot(3000, 14 * MIN), refused), [/keeps retrying/], 'a refused connection is not a hang')
})
