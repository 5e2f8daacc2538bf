/**
 * The time rules of flagPunch on their own (gateway/rules/rules.ts): late-sync, expired, clock-unsynced,
 * future, manual, and their configurable windows. test/gateway-rules.test.ts runs every rule through the
 * commit path.
 */
import t from 'tap'
import { flagPunch, DEFAULT_RULES } from '../gateway/rules/rules.js'
import type { Punch } from '../shared/punch.js'

const H = 3600_000
const punch = (seq: number, over: Partial<Punch> = {}): Punch => ({ seq, ts: 1795309083120, emp: 'E1', kind: 'in', method: 'card', clock: 'synced', ...over })

t.test('rules: late-sync, expired, clock-unsynced, future, manual; nothing for a fresh punch', async t => {
  const now = 1795309083120
  const ctx = { device: 'T', tz: undefined, received: now }
  t.equal(flagPunch(punch(1, { ts: now - 1000 }), ctx, DEFAULT_RULES), '')
  t.equal(flagPunch(punch(1, { ts: now - 24 * H }), ctx, DEFAULT_RULES), '', 'exactly 24 h is not late')
  t.equal(flagPunch(punch(1, { ts: now - 24 * H - 1 }), ctx, DEFAULT_RULES), 'late-sync')
  t.equal(flagPunch(punch(1, { ts: now - 72 * H }), ctx, DEFAULT_RULES), 'late-sync')
  t.equal(flagPunch(punch(1, { ts: now - 72 * H - 1 }), ctx, DEFAULT_RULES), 'expired')
  t.equal(flagPunch(punch(1, { ts: now, clock: 'unsynced' }), ctx, DEFAULT_RULES), 'clock-unsynced')
  t.equal(flagPunch(punch(1, { ts: now + 6 * 60_000 }), ctx, DEFAULT_RULES), 'future')
  t.equal(flagPunch(punch(1, { ts: now - 30 * H, clock: 'unsynced', method: 'manual', manual: { reason: 'x' } }), ctx, DEFAULT_RULES), 'late-sync,clock-unsynced,manual')
  t.equal(flagPunch(punch(1, { ts: now - 2 * H }), ctx, { ...DEFAULT_RULES, lateSyncMs: H }), 'late-sync', 'windows are configurable')
})
