/**
 * The reviews PunchStore.write opens and REVIEW_FLAGS (store/review-flags.ts) name the same flags: a punch
 * stored with any of them opens one review, a punch with none of them none, and purging a punch drops its
 * open review but keeps a decision not yet sent.
 */
import t from 'tap'
import { join } from 'node:path'
import { FLAGS } from '../shared/flags.js'
import { openDatabase } from '../gateway/store/db.js'
import { PunchStore } from '../gateway/store/punch-store.js'
import { REVIEW_FLAGS, ReviewStore } from '../gateway/store/review-store.js'

t.test('each review flag opens a review, other flags none; a purge keeps unsent decisions', async t => {
  const db = openDatabase(join(t.testdir(), 'gw.db'))
  t.teardown(() => db.close())
  const punches = new PunchStore(db)
  let seq = 0
  const store = (flags: string): number => {
    punches.write(() => punches.insert({ device: 'T-1', epoch: '9f2c41d0', tz: undefined, punch: { seq: ++seq, ts: Date.UTC(2026, 11, 7), emp: 'E1', kind: 'in', method: 'card', clock: 'synced' }, flags }, Date.now()))
    return seq
  }
  const reviewed = (s: number): boolean => db.prepare('SELECT 1 FROM reviews WHERE upstream_id = ?').get(`T-1:9f2c41d0:${s}`) !== undefined
  for (const flag of FLAGS) {
    const s = store(flag)
    t.equal(reviewed(s), (REVIEW_FLAGS as readonly string[]).includes(flag), `${flag} alone`)
    const s2 = store(`manual,${flag},unknown-badge`)
    t.equal(reviewed(s2), (REVIEW_FLAGS as readonly string[]).includes(flag), `${flag} among others`)
  }
  t.equal(reviewed(store('')), false, 'no flags, no review')
  t.equal(reviewed(store('late-syncx')), false, 'a flag only by prefix is not one')

  const reviews = new ReviewStore(db)
  const [decided, open] = reviews.page('open', 2).items.map(r => r.punch.id)
  t.match(reviews.decide(decided, 'dispute', 'no', { name: 'hana', now: Date.now() }), { ok: true })
  db.prepare('DELETE FROM punches WHERE id IN (?, ?)').run(decided, open)
  t.same(db.prepare('SELECT count(*) AS n FROM reviews WHERE punch_id = ?').get(open), { n: 0 }, 'an open review goes with its punch')
  t.match(reviews.nextBatch(10), { reviews: [{ decision: 'disputed', by: 'hana' }] }, 'a decision still goes upstream after a purge')
  t.notOk('flags' in reviews.nextBatch(10)!.reviews[0], 'without the flags it no longer knows')
})
