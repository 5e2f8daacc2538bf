/**
 * Schema migrations (gateway/store/migrations.ts): a file from an older punchline is upgraded in place
 * with its rows, and one from a newer punchline is refused.
 */
import t from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase, schemaVersion } from '../gateway/store/db.js'
import { MIGRATIONS } from '../gateway/store/migrations.js'

t.test('migrations: a file from an older punchline is upgraded in place, rows kept', async t => {
  const file = join(t.testdir(), 'old.db')
  const old = new Database(file)
  old.exec(MIGRATIONS[0])
  old.pragma('user_version = 1')
  old.prepare(`INSERT INTO punches (device, epoch, seq, ts, emp, kind, method, clock, received)
    VALUES ('T-1', '9f2c41d0', 1, 1795309083120, 'E1', 'in', 'card', 'synced', 1795309083500)`).run()
  old.close()
  const db = openDatabase(file)
  t.teardown(() => db.close())
  t.equal(schemaVersion(db), MIGRATIONS.length)
  t.match(db.prepare('SELECT * FROM punches').all(), [{ device: 'T-1', seq: 1, up: null }])
  t.throws(() => { db.pragma(`user_version = ${MIGRATIONS.length + 1}`); db.close(); openDatabase(file) }, /newer than this punchline knows/)
})
