/**
 * Two cluster nodes storing a person's punches at the same moment flag them as one writer would
 * (gateway/cluster/postgres/group-flagger.ts): each node its own pool on a private PostgreSQL, both
 * committing at once, round after round, a punch of the same badge 20 s apart (a device's two batches
 * through two nodes). The single box stores one after the other, so the second is a double; here too,
 * exactly one of the two is, whichever committed second. Without the advisory locks both transactions
 * read before either committed and neither was flagged.
 */
import t, { type Test } from 'tap'
import pg from 'pg'
import { PostgresClusterStore } from '../gateway/cluster/postgres/postgres-cluster-store.js'
import type { JobRows } from '../gateway/cluster/cluster-store.js'
import { DEFAULT_RULES } from '../gateway/rules/rules.js'
import { SiteMap } from '../gateway/rules/sites.js'
import type { ClusterRules } from '../gateway/cluster/cluster-rules.js'
import { startPostgres } from './helpers/postgres.js'

const T0 = Date.parse('2026-11-22T00:58:03.120Z')
const ROUNDS = 30

const RULES: ClusterRules = {
  config: DEFAULT_RULES,
  sites: new SiteMap({}),
  // ada on every device: her punches on two devices are one person's for the person rules
  badge: (_device, _site, emp) => emp === 'ADA' ? { configured: true, employee: 'ada' } : { configured: false }
}

function job (device: string, seq: number, ts: number, emp: string, loc?: { lat: number, lon: number, acc: number }): JobRows {
  return { received: T0 + 5000, rows: [{ device, epoch: '0000000a', tz: 0, flags: '', punch: { seq, ts, emp, kind: 'in', method: 'card', clock: 'synced', ...(loc === undefined ? {} : { loc }) } }] }
}

/** two nodes' stores on one fresh database, and a client to read what they stored */
async function twoNodes (t: Test): Promise<{ a: PostgresClusterStore, b: PostgresClusterStore, c: pg.Client }> {
  const server = await startPostgres(t)
  const config = await server.database()
  const a = await PostgresClusterStore.open({ ...config, poolSize: 2, rules: RULES })
  const b = await PostgresClusterStore.open({ ...config, poolSize: 2, rules: RULES })
  const c = new pg.Client(config)
  await c.connect()
  t.teardown(async () => { await c.end(); await a.close(); await b.close() })
  return { a, b, c }
}

t.test('two nodes storing a badge\'s two punches at once: exactly one is a double, every round', async t => {
  const { a, b, c } = await twoNodes(t)
  for (let r = 0; r < ROUNDS; r++) {
    const device = `D-${r}`
    await Promise.all([a.commit([job(device, 1, T0, 'E1')]), b.commit([job(device, 2, T0 + 20_000, 'E1')])])
  }
  const rows = (await c.query<{ device: string, n: number }>(
    "SELECT device, count(*) FILTER (WHERE flags LIKE '%double%')::int AS n FROM punches GROUP BY device ORDER BY device")).rows
  t.equal(rows.length, ROUNDS)
  t.same(rows.filter(r => r.n !== 1), [], 'one double per device, as one writer stores them')
})

t.test('two nodes storing one person\'s punches on two devices at once: the second sees the first (gps-jump)', async t => {
  const { a, b, c } = await twoNodes(t)
  const shanghai = { lat: 31.2304, lon: 121.4737, acc: 10 }
  const beijing = { lat: 39.9042, lon: 116.4074, acc: 10 }
  for (let r = 0; r < ROUNDS; r++) {
    const ts = T0 + r * 3600_000
    await Promise.all([a.commit([job('W-1', r + 1, ts, 'ADA', shanghai)]), b.commit([job('W-2', r + 1, ts + 60_000, 'ADA', beijing)])])
  }
  const rows = (await c.query<{ seq: number, n: number }>(
    "SELECT seq, count(*) FILTER (WHERE flags LIKE '%gps-jump%')::int AS n FROM punches GROUP BY seq ORDER BY seq")).rows
  t.equal(rows.length, ROUNDS)
  // round r's two punches are an hour from the next round's: each round's second commit, and the next
  // round's first against it, jump; only the very first punch stored can have nothing to jump from
  t.ok(rows.every(r => r.n >= 1), 'in every round the punch committed second is a gps-jump')
})
