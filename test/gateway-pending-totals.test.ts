/**
 * The pending set and the totals kept beside it (migration 5) against the answers of the full reads they
 * replace, on a real SQLite file, through every way a punch moves: stored, batched, split, delivered,
 * dead-lettered, parked while its batch waits, replayed, delivered again. The full reads are the
 * reference: slow on a backlog, but right by construction.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { DeviceStore } from '../gateway/store/device-store.js'
import { computeWatermarks } from '../gateway/store/watermark.js'
import { RecentFlags } from '../gateway/recent-flags.js'
import { MIGRATIONS } from '../gateway/store/migrations.js'
import { storePunches, T0 } from './fixtures/stored-punches.js'
import Database from 'better-sqlite3'

/** The backlog as the outbox's rows say it, read in full. */
function referenceBacklog (db: Db): { pendingPunches: number, deadLetters: Record<string, number>, oldest: Map<string, number> } {
  const cursor = new ForwardStore(db).cursor()
  // Each punch once, even when a released punch's own batch lies inside a batch that still waits.
  const pending = (db.prepare(`SELECT count(*) AS n FROM punches p WHERE p.id > ?
    OR EXISTS (SELECT 1 FROM forward_batches b WHERE p.id BETWEEN b.first_id AND b.last_id)`).get(cursor) as { n: number }).n
  const deadLetters: Record<string, number> = {}
  for (const r of db.prepare('SELECT kind, count(*) AS n FROM dead_letters WHERE replayed IS NULL GROUP BY kind').all() as Array<{ kind: string, n: number }>) deadLetters[r.kind] = r.n
  const rows = db.prepare(`
    SELECT device, min(ts) AS ts FROM punches WHERE id > ? GROUP BY device
    UNION ALL
    SELECT p.device, min(p.ts) FROM forward_batches b JOIN punches p ON p.id BETWEEN b.first_id AND b.last_id GROUP BY p.device
    UNION ALL
    SELECT p.device, min(p.ts) FROM dead_letters d JOIN punches p ON p.id = d.punch_id WHERE d.replayed IS NULL GROUP BY p.device
  `).all(cursor) as Array<{ device: string, ts: number }>
  const oldest = new Map<string, number>()
  for (const r of rows) oldest.set(r.device, Math.min(r.ts, oldest.get(r.device) ?? Infinity))
  return { pendingPunches: pending, deadLetters, oldest }
}

function check (t: Test, db: Db, what: string): void {
  const ref = referenceBacklog(db)
  const store = new ForwardStore(db)
  t.equal(store.backlog().pendingPunches, ref.pendingPunches, `${what}: pending punches`)
  t.same(store.openDeadLetters(), ref.deadLetters, `${what}: dead letters by kind`)
  const marks = computeWatermarks(db, { gatewayId: 'gw', siteOf: () => '', connected: () => true, now: T0 + 10_000_000 })
  const held = new Map(marks.devices.filter(d => d.heldBy === 'an undelivered punch at the gateway').map(d => [d.device, d.beforeMs]))
  t.same(Object.fromEntries(held), Object.fromEntries(ref.oldest), `${what}: oldest undelivered punch per device`)
}

t.test('pending punches and totals follow every move of the outbox', async t => {
  const db = openDatabase(join(t.testdir(), 'p.db'))
  t.teardown(() => db.close())
  const forward = new ForwardStore(db)
  const devices = new DeviceStore(db)
  for (const d of ['A', 'B', 'C']) devices.seen(d, T0 + 9_000_000)
  devices.flush()
  // Stored out of time order: B's oldest punch comes last.
  storePunches(db, 'A', [1, 2, 3, 4, 5, 6])
  storePunches(db, 'B', [9, 8, 7, 6, 5, 4, 3, 2, 1])
  storePunches(db, 'C', [1, 2])
  check(t, db, 'stored')

  const first = forward.formBatch(4, T0)!
  const second = forward.formBatch(8, T0)!
  check(t, db, 'two batches formed')
  forward.complete(first.key)
  check(t, db, 'first delivered')

  const halves = forward.split(second.key, T0)
  t.equal(halves.length, 2)
  check(t, db, 'split')
  let [left, right] = halves
  while (left.lastId > left.firstId) [left] = forward.split(left.key, T0)
  forward.deadLetter(left.key, 422, 'emp: refused', T0)
  check(t, db, 'one punch refused for good')

  // A punch of a waiting batch parked for a mapping, then released while its batch still waits.
  forward.park([right.firstId], 'unknown-badge: held', T0)
  check(t, db, 'parked inside a waiting batch')
  forward.replayDeadLetters([right.firstId], T0)
  check(t, db, 'released while its batch waits')
  forward.complete(right.key)
  check(t, db, 'the batch delivered, the released punch still waits in its own')
  for (const b of forward.dueBatches(T0 + 1, 10, new Set())) if (b.firstId === b.lastId && b.firstId === right.firstId) forward.complete(b.key)
  check(t, db, 'the released punch delivered')

  forward.replayDeadLetters('all', T0)
  check(t, db, 'dead letters replayed')
  const again = forward.dueBatches(T0 + 1, 100, new Set()).find(x => x.firstId === left.firstId)!
  forward.deadLetter(again.key, 404, 'emp: unknown employee', T0, 'unmapped')
  check(t, db, 'a replayed punch parked again, under another kind')
  t.same(forward.openDeadLetters(), { unmapped: 1 })
  forward.replayDeadLetters('unmapped', T0)
  check(t, db, 'and replayed again')
  for (;;) {
    const b = forward.formBatch(5, T0)
    if (b === undefined) break
  }
  for (const b of forward.dueBatches(T0 + 1, 100, new Set())) forward.complete(b.key)
  check(t, db, 'everything delivered')
  t.equal(forward.backlog().pendingPunches, 0)
  t.equal((db.prepare('SELECT n FROM pending_total').get() as { n: number }).n, 0, 'the kept total is back to zero')
})

t.test('a file from before migration 5 gets its pending set from its outbox', async t => {
  const file = join(t.testdir(), 'older.db')
  const before = 4
  const raw = new Database(file)
  for (let v = 0; v < before; v++) raw.exec(MIGRATIONS[v])
  raw.pragma(`user_version = ${before}`)
  const insert = raw.prepare(`INSERT INTO punches (device, epoch, seq, ts, emp, kind, method, clock, received)
    VALUES (?, '9f2c41d0', ?, ?, 'E1', 'in', 'card', 'synced', ?)`)
  for (let seq = 1; seq <= 10; seq++) insert.run(seq % 2 === 0 ? 'A' : 'B', seq, T0 + (20 - seq) * 1000, T0)
  // ids 1-2 delivered, 3-4 a waiting batch, 5 refused for good, 6 replayed and waiting alone, 7-10 past the cursor.
  raw.exec(`UPDATE meta SET value = '6' WHERE key = 'forward_cursor';
    INSERT INTO forward_batches (key, first_id, last_id, created) VALUES ('w', 3, 4, 0), ('r', 6, 6, 0);
    INSERT INTO dead_letters (punch_id, status, reason, at, replayed, kind) VALUES (5, 422, 'emp: refused', 0, NULL, 'refused'), (6, 422, 'emp: refused', 0, 1, 'refused')`)
  raw.close()
  const db = openDatabase(file)
  t.teardown(() => db.close())
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length, 'migrated')
  check(t, db, 'upgraded')
  t.equal(new ForwardStore(db).backlog().pendingPunches, 7)
  t.same(new ForwardStore(db).openDeadLetters(), { refused: 1 })
})

t.test('the day of flags kept in steps matches a full count', async t => {
  const db = openDatabase(join(t.testdir(), 'f.db'))
  t.teardown(() => db.close())
  const DAY = 86_400_000
  let now = T0 + 2 * DAY
  // The full count the health snapshot makes without a RecentFlags (health.ts).
  const full = (): Record<string, number> => {
    const out: Record<string, number> = {}
    for (const r of db.prepare("SELECT flags, count(*) AS n FROM punches WHERE received >= ? AND flags <> '' GROUP BY flags").all(now - DAY) as Array<{ flags: string, n: number }>) {
      for (const f of r.flags.split(',')) out[f] = (out[f] ?? 0) + r.n
    }
    return out
  }
  // Some older than the window, a run of equal times longer than a chunk, flags combined.
  storePunches(db, 'A', [1, 2, 3], { clock: 'unsynced' }, now - DAY - 5)
  db.prepare("UPDATE punches SET flags = 'clock-unsynced'").run()
  for (let i = 0; i < 8; i++) storePunches(db, 'B', [10 + i], {}, now - DAY + 100)
  db.prepare("UPDATE punches SET flags = 'late-sync,double' WHERE device = 'B' AND seq % 2 = 0").run()
  db.prepare("UPDATE punches SET flags = 'late-sync' WHERE device = 'B' AND seq % 2 = 1").run()
  const flags = new RecentFlags(db, DAY, now, 3)
  t.same(flags.counts(), full(), 'first pass')
  storePunches(db, 'C', [1, 2, 3, 4, 5, 6, 7], {}, now - 10)
  db.prepare("UPDATE punches SET flags = 'future' WHERE device = 'C' AND seq > 2").run()
  t.notOk(flags.step(now), 'one step does not reach the end of seven new punches in chunks of three')
  await flags.advance(() => now)
  t.same(flags.counts(), full(), 'new punches added')
  now += 101
  await flags.advance(() => now)
  t.same(flags.counts(), full(), 'the run of equal times has left the window')
  t.same(flags.counts(), { future: 5 })
  now += DAY
  await flags.advance(() => now)
  t.same(flags.counts(), full(), 'everything has left')
})
