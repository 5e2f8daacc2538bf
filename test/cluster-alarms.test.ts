/**
 * The cluster's alarms as a pure function of one reading of the shared store (gateway/cluster/console/
 * cluster-alarms.ts): the cases the process test (cluster-console-alarms.test.ts) does not reach quickly.
 */
import t from 'tap'
import { evaluateClusterAlarms, type ClusterReading } from '../gateway/cluster/console/cluster-alarms.js'
import type { NodeRecord } from '../gateway/cluster/node-registry.js'
import { deviceHealth } from '../gateway/health.js'

const NOW = Date.parse('2026-12-07T12:00:00Z')
const TH = { backlogAgeMinutes: 30, deviceSilentMinutes: 120, upstreamFailingMinutes: 10, clockSkewMs: 120_000 }

function node (nodeId: string, state: NodeRecord['state']): NodeRecord {
  return {
    nodeId,
    state,
    host: `host-${nodeId}`,
    pid: 7,
    version: '0.1.0',
    broker: 'mqtt://b:1883',
    startedAt: NOW - 3_600_000,
    intervalMs: 5000,
    lastSeen: NOW - 60_000,
    stoppedAt: state === 'stopped' ? NOW - 60_000 : null,
    silentMs: 60_000,
    counts: { acked: 0, unacked: 0, punchesDelivered: 0, failed: 0, leaseLost: 0, queuedRows: 0, claimsHeld: 0 },
    upstream: null
  }
}

function reading (over: Partial<ClusterReading> = {}): ClusterReading {
  return { nodes: [node('n1', 'alive')], backlog: { batches: 0, pendingPunches: 0, oldestReceived: null, deadLetters: 0, capped: false }, deadLetters: {}, devices: { devices: [], capped: false }, ...over }
}

t.test('a healthy cluster raises nothing', async t => {
  t.same(evaluateClusterAlarms(reading(), TH, NOW), [])
})

t.test('no node at all: no-node-alive, critical, saying none ever beat and counting a capped backlog as a floor', async t => {
  const alarms = evaluateClusterAlarms(reading({ nodes: [], backlog: { batches: 9, pendingPunches: 1_000_000, oldestReceived: NOW - 1000, deadLetters: 0, capped: true } }), TH, NOW)
  t.match(alarms, [{ name: 'no-node-alive', severity: 'critical', message: /no node has ever written a heartbeat.*the 1000000\+ waiting/ }])
})

t.test('stale nodes: one major alarm each, and no-node-alive once none is alive', async t => {
  const some = evaluateClusterAlarms(reading({ nodes: [node('n1', 'alive'), node('n2', 'stale'), node('n3', 'stopped')] }), TH, NOW)
  t.match(some, [{ name: 'node-stale', subject: 'n2', severity: 'warning', message: /punchline nodes forget n2 --cluster/ }])
  t.equal(some.length, 1, 'a stopped node raises nothing while another is alive')
  const none = evaluateClusterAlarms(reading({ nodes: [node('n2', 'stale'), node('n3', 'stopped')] }), TH, NOW)
  t.same(none.map(a => [a.name, a.subject ?? '', a.severity]), [['no-node-alive', '', 'critical'], ['node-stale', 'n2', 'warning']])
  t.match(none[0].message, /\(n2 stale, n3 stopped\)/)
})

t.test('the backlog: warning past backlogAgeMinutes, critical past 4 times it; off at 0', async t => {
  const at = (ageMs: number): ClusterReading => reading({ backlog: { batches: 1, pendingPunches: 3, oldestReceived: NOW - ageMs, deadLetters: 0, capped: false } })
  t.same(evaluateClusterAlarms(at(29 * 60_000), TH, NOW), [])
  t.match(evaluateClusterAlarms(at(31 * 60_000), TH, NOW), [{ name: 'backlog-old', severity: 'warning', message: /oldest of 3 punches.*nodes' forwarders/ }])
  t.match(evaluateClusterAlarms(at(121 * 60_000), TH, NOW), [{ name: 'backlog-old', severity: 'critical' }])
  t.same(evaluateClusterAlarms(at(121 * 60_000), { ...TH, backlogAgeMinutes: 0 }, NOW), [])
})

t.test('dead letters by kind, in the single box\'s words', async t => {
  t.match(evaluateClusterAlarms(reading({ deadLetters: { refused: 2, unmapped: 1 } }), TH, NOW),
    [{ name: 'dead-letters', severity: 'warning', message: /^3 dead letters wait: 2 refused .*; 1 for people the roster does not map/ }])
})

t.test('the store unreadable: only cluster-store-unreachable, critical, with the error', async t => {
  t.match(evaluateClusterAlarms({ error: 'connect ECONNREFUSED /tmp/.s.PGSQL.5432' }, TH, NOW),
    [{ name: 'cluster-store-unreachable', severity: 'critical', message: /\(connect ECONNREFUSED \/tmp\/\.s\.PGSQL\.5432\)/ }])
})

t.test('the devices read: the single box\'s device alarms, each naming its device', async t => {
  const devices = [
    deviceHealth('quiet', NOW - 86_400_000, NOW - 121 * 60_000, { v: 1, online: false }),
    deviceHealth('full', NOW - 86_400_000, NOW - 1000, { v: 1, online: true, ring: { capacity: 100, pending: 80, oldestPendingTs: NOW - 5000, overwritten: 0, refused: 0 } }),
    deviceHealth('skewed', NOW - 86_400_000, NOW - 1000, { v: 1, online: true, clock: { synced: true, offsetMs: -180_000 } })
  ]
  t.same(evaluateClusterAlarms(reading({ devices: { devices, capped: false } }), TH, NOW).map(a => [a.name, a.subject, a.severity]),
    [['device-silent', 'quiet', 'warning'], ['ring-nearly-full', 'full', 'warning'], ['clock-offset', 'skewed', 'warning']])
})

t.test('upstream-failing: raised when no alive node has delivered for upstreamFailingMinutes while punches wait, not while one delivers', async t => {
  const failure = { at: NOW - 1000, kind: 'retry', status: 500, error: 'HTTP 500' }
  const up = (nodeId: string, lastDeliveredAt: number | null, state: NodeRecord['state'] = 'alive'): NodeRecord =>
    ({ ...node(nodeId, state), upstream: { since: NOW - 3_600_000, lastDeliveredAt, lastFailure: failure } })
  const waiting = { batches: 1, pendingPunches: 5, oldestReceived: NOW - 3_600_000, deadLetters: 0, capped: false }
  const names = (nodes: NodeRecord[]): string[] => evaluateClusterAlarms(reading({ nodes, backlog: waiting }), { ...TH, backlogAgeMinutes: 0 }, NOW).map(a => a.name)
  t.same(names([up('n1', NOW - 20 * 60_000), up('n2', null)]), ['upstream-failing'], 'both failing past 10 minutes')
  t.match(evaluateClusterAlarms(reading({ nodes: [up('n1', NOW - 20 * 60_000)], backlog: waiting }), { ...TH, backlogAgeMinutes: 0 }, NOW),
    [{ name: 'upstream-failing', severity: 'critical', message: /^no punch delivered upstream for 20 min.* while 5 wait; last error: HTTP 500/ }])
  t.same(names([up('n1', NOW - 20 * 60_000), up('n2', NOW - 60_000)]), [], 'one node delivered a minute ago: the punches move')
  t.same(names([up('n1', NOW - 20 * 60_000), up('n2', NOW - 60_000, 'stale')]), ['node-stale', 'upstream-failing'], 'a stale node\'s deliveries do not count')
  t.same(names([up('n1', NOW - 20 * 60_000)].map(n => ({ ...n, upstream: null }))), [], 'no node with an upstream: nothing to judge')
  const config = { ...up('n1', NOW - 60_000), upstream: { since: NOW - 3_600_000, lastDeliveredAt: NOW - 60_000, lastFailure: { ...failure, kind: 'config', status: 401, error: 'HTTP 401' } } }
  t.match(evaluateClusterAlarms(reading({ nodes: [config] }), TH, NOW), [{ name: 'upstream-failing', message: /refuses the gateway \(HTTP 401\)/ }], 'a refusal of the gateway itself, at once')
})
