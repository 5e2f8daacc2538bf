/**
 * Write transactions on the gateway's connection begin IMMEDIATE. The commit thread writes the same file
 * on a connection of its own; a deferred transaction that reads first takes a snapshot, and if the thread
 * commits before its first write, SQLite cannot upgrade it: SQLITE_BUSY at once, without the busy
 * timeout (a reject answered 500 under load was seen so). IMMEDIATE takes the write lock at BEGIN, waiting
 * in the busy handler, and then reads what it writes over. Here another connection commits between the
 * read and the write of a make-up request, as the thread would.
 */
import t from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase } from '../gateway/store/db.js'
import { MakeupStore } from '../gateway/store/makeup-store.js'

t.test('a make-up request stays whole when another connection writes between its count and its insert', async t => {
  const file = join(t.testdir(), 'punchline.db')
  const db = openDatabase(file)
  t.teardown(() => db.close())
  const other = new Database(file, { timeout: 0 })
  t.teardown(() => other.close())
  const store = new MakeupStore(db)
  let otherWrote: boolean | undefined
  const out = store.request(
    { emp: 'E1001', ts: Date.parse('2026-12-01T08:00:00Z'), tz: 0, month: '2026-12', kind: 'in', reason: 'forgot the card', site: 'hq' },
    { name: 'hana', now: Date.now() },
    () => {
      // what the commit thread does at any moment: write and commit on its own connection
      try {
        other.prepare("INSERT INTO meta (key, value) VALUES ('other-writer', '1') ON CONFLICT (key) DO UPDATE SET value = value + 1").run()
        otherWrote = true
      } catch (err) {
        otherWrote = false
        t.match(err, { code: 'SQLITE_BUSY' }, 'the other writer waits for the request (here: refused, its timeout is 0)')
      }
      return { ok: true, exceptions: [] }
    })
  t.equal(out.ok, true, 'the request is stored')
  t.equal(otherWrote, false, 'the request held the write lock from its BEGIN')
  t.equal((db.prepare('SELECT count(*) AS n FROM makeups').get() as { n: number }).n, 1)
})
