/**
 * A database that cannot be opened for a reason that is not damage (issue 13, item 2): the gateway must
 * leave the file where it is, refuse to start with one line naming the cause and what to do, exit 75,
 * and start on the same file once the cause is gone. Real gateway processes on real files: a lock held by
 * another process (both ways, faults/db-lock-holder.ts), a full disk and a read-only mount (a tmpfs:
 * root only, skipped elsewhere; chmod does not stop root), a directory where the file should be.
 * Before the fix each of these moved the healthy file aside as "corrupt" and served an empty database
 * (the writer lock: started on a file it could not write).
 */
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { cli, runGatewayOnce as runGateway, type GatewayOutcome as Outcome } from './helpers/gateway-process.js'
import { DatabaseLockHolder, type LockMode } from '../faults/db-lock-holder.js'
import { SmallDisk } from '../faults/small-disk.js'
import { damage, DAMAGES } from '../faults/corrupt-db.js'
import { RandomStream } from '../sim/workload/random.js'
import { openDatabase } from '../gateway/store/db.js'
import { inspectDatabase } from '../gateway/store/backup.js'

const devices = (dir: string): string[] => {
  const db = new Database(join(dir, 'punchline.db'), { readonly: true })
  try { return (db.prepare('SELECT id FROM devices ORDER BY id').all() as Array<{ id: string }>).map(r => r.id) } finally { db.close() }
}

const movedAside = (dir: string): string[] => readdirSync(dir).filter(n => n.includes('.corrupt-'))

/** The refusal: exit 75, one fatal line matching `cause`, nothing moved aside. */
function refused (t: Test, o: Outcome, dir: string, cause: RegExp): void {
  t.equal(o.result, 75, `the gateway refuses to start (exit 75), not started and not crashed: ${o.stderr}`)
  const fatal = o.logs.filter(l => l.level >= 60)
  t.equal(fatal.length, 1, 'one fatal line')
  t.match(fatal[0]?.msg, cause, 'naming the cause and what to do')
  t.match(fatal[0]?.msg, /left in place/, 'saying the file is untouched')
  t.notOk(o.logs.some(l => l.msg.startsWith('database failed its integrity check')), 'not taken for damage')
  t.same(movedAside(dir), [], 'nothing moved aside')
}

/** A data dir whose database knows device K-1 (registered with credentials, as on a real site). */
function site (t: Test, dir: string): string {
  mkdirSync(dir, { recursive: true })
  t.equal(cli(['devices', 'add', 'K-1', '--data', dir]).status, 0)
  return dir
}

/** Outside tap's fixture dir, which tap removes before a lazy unmount is done with it. */
function smallDisk (t: Test): SmallDisk {
  const base = mkdtempSync(join(tmpdir(), 'punchline-unavailable-'))
  const disk = new SmallDisk(join(base, 'disk'))
  t.teardown(() => {
    disk.unmount()
    rmSync(base, { recursive: true, force: true })
  })
  return disk
}

for (const mode of ['exclusive', 'writer'] as LockMode[]) {
  t.test(`another process holds the database lock (${mode}) past the busy timeout`, async t => {
    const dir = site(t, t.testdir())
    const holder = await DatabaseLockHolder.hold(join(dir, 'punchline.db'), mode)
    t.teardown(async () => await holder.release())
    refused(t, await runGateway(dir), dir, /locked by another process .*SQLITE_BUSY.*fuser/)
    await holder.release()
    const again = await runGateway(dir)
    t.equal(again.result, 'ready', `once the lock is gone it starts: ${again.stderr}`)
    t.same(devices(dir), ['K-1'], 'on the same database: the registered device is still there')
  })
}

t.test('the disk is full after a clean stop', async t => {
  const disk = smallDisk(t)
  const why = disk.mount(16)
  if (why !== undefined) { t.comment(`skipped: ${why}`); return }
  const dir = site(t, join(disk.dir, 'data'))
  const first = await runGateway(dir)
  t.equal(first.result, 'ready', first.stderr)
  disk.fill(0)
  refused(t, await runGateway(dir), dir, /disk holding .* is full .*free space/)
  disk.makeRoom()
  const again = await runGateway(dir)
  t.equal(again.result, 'ready', again.stderr)
  t.same(devices(dir), ['K-1'])
})

t.test('the file system is mounted read-only', async t => {
  const disk = smallDisk(t)
  const why = disk.mount(16)
  if (why !== undefined) { t.comment(`skipped: ${why}`); return }
  const dir = site(t, join(disk.dir, 'data'))
  const remount = (how: string): void => { t.equal(spawnSync('mount', ['-o', `remount,${how}`, disk.dir]).status, 0, `remount ${how}`) }
  remount('ro')
  refused(t, await runGateway(dir), dir, /read-only .*remount/)
  remount('rw')
  const again = await runGateway(dir)
  t.equal(again.result, 'ready', again.stderr)
  t.same(devices(dir), ['K-1'])
})

t.test('a directory where the database file should be', async t => {
  const dir = t.testdir()
  mkdirSync(join(dir, 'punchline.db', 'inside'), { recursive: true })
  refused(t, await runGateway(dir), dir, /is not a regular file/)
  t.same(readdirSync(join(dir, 'punchline.db')), ['inside'], 'the directory is where it was')
})

t.test('every way the fault suite damages a file is told as damage, a whole file as whole', async t => {
  const dir = t.testdir()
  for (const how of DAMAGES) {
    const file = join(dir, `${how}.db`)
    const db = openDatabase(file)
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
    db.transaction(() => { for (let i = 0; i < 2000; i++) insert.run(`k${i}`, 'x'.repeat(200)) })()
    db.close()
    t.same(inspectDatabase(file, 'quick'), { state: 'whole' }, `${how}: whole before`)
    damage(file, how, new RandomStream(7, how))
    t.match(inspectDatabase(file, 'quick'), { state: 'damaged', problem: String }, `${how}: damaged after`)
  }
})

t.test('a damaged file on a full disk: refused, the file put back, and moved aside with its alarm once there is room', async t => {
  const disk = smallDisk(t)
  const why = disk.mount(16)
  if (why !== undefined) { t.comment(`skipped: ${why}`); return }
  const dir = site(t, join(disk.dir, 'data'))
  writeFileSync(join(dir, 'punchline.db'), Buffer.alloc(64 * 1024, 0x5a))
  disk.fill(0)
  const full = await runGateway(dir)
  t.equal(full.result, 75, full.stderr)
  t.match(full.logs.filter(l => l.level >= 60)[0]?.msg, /is full/)
  t.same(movedAside(dir), [], 'the damaged file is back under its name')
  disk.makeRoom()
  const again = await runGateway(dir)
  t.equal(again.result, 'ready', again.stderr)
  t.equal(movedAside(dir).length, 1, 'moved aside now')
  t.match(cli(['report', '--data', dir]).stdout, /CRITICAL +database-moved-aside/, 'and the alarm is recorded')
})
