/**
 * The storage guard on real SQLite files: the budget counts pages in use plus the WAL (and truncates a
 * WAL that alone tips it over), the disk floor reads the real file system, a real SQLITE_FULL from a
 * commit turns it full at once, and each state lets go by itself when there is room again.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { StorageGuard } from '../gateway/storage-guard.js'
import { Retention } from '../gateway/store/retention.js'
import { silentLogger } from '../shared/log.js'
import { formatBytes } from '../gateway/units.js'
import { storePunches, T0 } from './fixtures/stored-punches.js'
import { until } from './helpers/wait.js'
import { setTimeout as sleep } from 'node:timers/promises'

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

interface Rig { db: Db, guard: StorageGuard, limits: { maxDbBytes: number, minFreeBytes: number, checkIntervalMs: number }, events: string[] }

function rig (t: Test): Rig {
  const file = join(t.testdir(), 'gw.db')
  const db = openDatabase(file)
  t.teardown(() => { if (db.open) db.close() })
  const limits = { maxDbBytes: 0, minFreeBytes: 0, checkIntervalMs: 1000 }
  const guard = new StorageGuard({ db, file, limits, log: silentLogger() })
  const events: string[] = []
  guard.on('full', (reason) => events.push('full: ' + reason))
  guard.on('resumed', () => events.push('resumed'))
  return { db, guard, limits, events }
}

/** Stores delivered punches received long ago, so that retention may purge them. */
function deliveredPunches (db: Db, n: number): void {
  storePunches(db, 'T-1', range(1, n), {}, T0)
  const store = new ForwardStore(db)
  store.complete(store.formBatch(n, T0)!.key)
}

t.test('units read the way the reasons are written', async t => {
  t.equal(formatBytes(120 * 2 ** 20), '120 MiB')
  t.equal(formatBytes(1.1 * 2 ** 30), '1.1 GiB')
  t.equal(formatBytes(2 ** 30), '1 GiB')
  t.equal(formatBytes(512), '512 B')
})

t.test('over the budget: full with a reason, events once; a purge makes room and it resumes', async t => {
  const { db, guard, limits, events } = rig(t)
  deliveredPunches(db, 20_000)
  const before = guard.check()
  t.notOk(guard.full, 'no budget, no floor: never full')
  limits.maxDbBytes = Math.floor((before.usedBytes - before.walBytes) / 2)
  guard.check()
  guard.check()
  t.ok(guard.full)
  t.match(guard.reason, /^database: [\d.]+ (KiB|MiB) over the [\d.]+ (KiB|MiB) budget$/)
  t.same(events, ['full: ' + guard.reason], "'full' once, however many checks")
  t.equal(guard.usage!.maxDbBytes, limits.maxDbBytes, 'usage carries the limits for alarms and metrics')

  await new Retention(db).purge(1, Date.now())
  const after = guard.check()
  t.notOk(guard.full, 'freed pages count as room although the file is as long as before')
  t.equal(after.fileBytes, before.fileBytes)
  t.same(events.slice(1), ['resumed'])
})

t.test('a WAL that alone tips the budget is checkpointed away, not reported as full', async t => {
  const { db, guard, limits } = rig(t)
  db.pragma('wal_autocheckpoint = 0') // let the WAL grow as it does between auto-checkpoints
  storePunches(db, 'T-1', range(1, 5000), {}, T0)
  const grown = guard.check()
  t.ok(grown.walBytes > 0)
  limits.maxDbBytes = grown.fileBytes + Math.floor(grown.walBytes / 2)
  const after = guard.check()
  t.notOk(guard.full, guard.reason ?? 'room for the pages once the WAL is gone')
  t.equal(after.walBytes, 0, 'the WAL was truncated')
})

t.test('below the disk floor: full, and it resumes when the floor is met again', async t => {
  const { guard, limits, events } = rig(t)
  limits.minFreeBytes = Number.MAX_SAFE_INTEGER // no disk has that much free: the real statfs says so
  guard.check()
  t.ok(guard.full)
  t.match(guard.reason, /^disk: [\d.]+ \w+ free, below the [\d.]+ \w+ floor$/)
  t.ok(guard.usage!.diskFreeBytes > 0 && guard.usage!.diskTotalBytes >= guard.usage!.diskFreeBytes)
  limits.minFreeBytes = 0
  guard.check()
  t.notOk(guard.full)
  t.equal(events.length, 2)
})

t.test('a real SQLITE_FULL from a commit turns it full at once; a purge lets it go', async t => {
  const { db, guard, events } = rig(t)
  deliveredPunches(db, 2000)
  // SQLite's own file size limit: the same error a full disk gives, without filling a disk.
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
  let err: unknown
  try { storePunches(db, 'T-1', range(2001, 4000), {}, T0) } catch (e) { err = e }
  t.match(err, { code: 'SQLITE_FULL' }, 'the commit failed')
  t.notOk(guard.noteWriteError(new Error('something else')), 'other errors are not about space')
  t.notOk(guard.full)
  t.ok(guard.noteWriteError(err))
  t.ok(guard.full, 'full without waiting for a check')
  t.match(guard.reason, /SQLITE_FULL/)
  guard.check()
  t.ok(guard.full, 'a check that finds the same room keeps it full')

  await new Retention(db).purge(1, Date.now())
  guard.check()
  t.notOk(guard.full, 'the purge freed pages inside the file')
  t.same(events.map(e => e.split(':')[0]), ['full', 'resumed'])
})

t.test('the timer checks by itself and stop() ends it', async t => {
  const { guard, limits, events } = rig(t)
  limits.checkIntervalMs = 20
  guard.start()
  t.teardown(() => guard.stop())
  limits.minFreeBytes = Number.MAX_SAFE_INTEGER
  // The timer is unref'd (it must not keep a stopping gateway alive): `until` keeps this test alive.
  await until(() => guard.full, 'the timer to find the disk floor')
  t.same(events.length, 1)
  guard.stop()
  limits.minFreeBytes = 0
  await sleep(200)
  t.ok(guard.full, 'no check after stop()')
})
