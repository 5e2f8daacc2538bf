/**
 * The punch query's bound on a real SQLite file: a filter that matches little examines at most
 * PUNCH_SCAN_IDS ids a page, answering short pages with a cursor, and following the cursor finds every match.
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { PUNCH_SCAN_IDS, PunchQuery } from '../gateway/store/punch-query.js'

t.test('a rare badge: short pages with a cursor, every match found once', async t => {
  const db = openDatabase(join(t.testdir(), 'g.db'))
  t.teardown(() => db.close())
  const total = PUNCH_SCAN_IDS * 2 + 5000
  const insert = db.prepare(`INSERT INTO punches (device, epoch, seq, ts, emp, kind, method, clock, received)
    VALUES ('Q-1', '9f2c41d0', ?, ?, ?, 'in', 'card', 'synced', 0)`)
  db.transaction(() => {
    for (let seq = 1; seq <= total; seq++) insert.run(seq, 1_700_000_000_000 + seq, seq === 1 || seq === total ? 'RARE' : 'E1')
  })()
  const query = new PunchQuery(db)

  const first = query.page({ badge: 'RARE' }, 10)
  t.same(first.punches.map(p => p.seq), [1], 'the first page holds what its scan found')
  t.equal(first.next, PUNCH_SCAN_IDS, 'and says where its scan ended')
  const found: number[] = []
  let page = first
  let pages = 1
  for (;;) {
    found.push(...page.punches.map(p => p.seq))
    if (page.next === undefined) break
    page = query.page({ badge: 'RARE' }, 10, page.next)
    pages++
  }
  t.same(found, [1, total], 'every match, once')
  t.equal(pages, Math.ceil(total / PUNCH_SCAN_IDS), 'one page per scan window')

  db.prepare('DELETE FROM punches WHERE id < ?').run(total - 10)
  t.same(query.page({ badge: 'RARE' }, 10, 5).punches.map(p => p.seq), [total], 'a cursor from before a purge skips the purged ids at once')
})
