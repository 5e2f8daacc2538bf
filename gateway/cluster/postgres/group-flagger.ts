/**
 * The rules step of a cluster node's group commit: the single box's rules (gateway/rules/rules.ts, run by
 * its RowFlagger) over history read from PostgreSQL, inside the transaction that stores the group, before
 * its inserts (punch-ledger.ts). What the single box keeps in memory comes from the shared store: each
 * device's last clock correction (`device_clocks`, written by whichever node took its status) is read in
 * the same transaction; the roster is the node's copy of the shared one (cluster-roster.ts).
 *
 * Several nodes at once. A device's batches can reach two nodes together (a resend after an ack timeout,
 * or two batches in flight), and under READ COMMITTED neither transaction sees the other's rows: two
 * punches of one person a few seconds apart, stored by two nodes at once, would both miss the double
 * rule, where the single box, one writer, flags the second. So before reading, a transaction takes an
 * advisory lock for every device and every roster person in its group (`pg_advisory_xact_lock`, held to
 * its commit), in ascending order so two groups never wait on each other in a circle. Any two rows whose
 * history can see each other share a device (the badge's and the double rule's questions stay on one
 * device) or a person (the person's questions span devices), so their transactions take turns and the
 * second reads the first's rows, committed, as the single box's second commit would. Groups of other
 * devices and people do not wait for each other (a hash collision only makes two groups take turns).
 */
import type pg from 'pg'
import type { JobRows } from '../../ingest/commit-writer.js'
import { RowFlagger } from '../../rules/flagger.js'
import type { BadgeLookup } from '../../rules/roster.js'
import { monthOf, type ClockJumpInfo } from '../../rules/rules.js'
import type { ClusterRules } from '../cluster-rules.js'
import { GroupHistory, type HistoryRow } from './group-history.js'

/** the first key of every lock this file takes: any constant no other advisory lock of ours uses ('rule') */
const RULES_LOCK_SPACE = 0x72756c65

const LOCK = 'SELECT pg_advisory_xact_lock($1::int4, k) FROM unnest($2::int4[]) AS k'
const JUMPS = 'SELECT device, jump_ms, jump_at FROM device_clocks WHERE device = ANY($1::text[]) AND jump_ms IS NOT NULL AND jump_at IS NOT NULL'

/** FNV-1a, 32 bits, as a signed int4: a lock key per device or person */
export function lockKey (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h | 0
}

/** Flags every row of the group (row.flags, row.person) on `c`, inside the transaction that then stores them. */
export async function flagGroup (c: pg.ClientBase, jobs: readonly JobRows[], rules: ClusterRules): Promise<void> {
  const rows: HistoryRow[] = []
  const badges: BadgeLookup[] = []
  const locks = new Set<number>()
  const devices = new Set<string>()
  for (const job of jobs) {
    for (const row of job.rows) {
      const badge = rules.badge(row.device, rules.sites.of(row.device).site, row.punch.emp)
      badges.push(badge)
      rows.push({ row, received: job.received, person: badge.employee, nearMs: rules.config.doubleWindowMs, month: monthOf(row.punch.ts, row.tz ?? 0) })
      devices.add(row.device)
      locks.add(lockKey('d\u0000' + row.device))
      if (badge.employee !== undefined) locks.add(lockKey('p\u0000' + badge.employee))
    }
  }
  if (rows.length === 0) return
  await c.query(LOCK, [RULES_LOCK_SPACE, [...locks].sort((a, b) => a - b)])
  const jumps = new Map<string, ClockJumpInfo>()
  for (const j of (await c.query<{ device: string, jump_ms: number, jump_at: number }>(JUMPS, [[...devices]])).rows) {
    jumps.set(j.device, { byMs: j.jump_ms, at: j.jump_at })
  }
  const history = await GroupHistory.load(c, rows)
  const flagger = new RowFlagger({ rules: rules.config, sites: rules.sites, history })
  rows.forEach((h, i) => {
    history.select(i)
    flagger.flag(h.row, h.received, { badge: badges[i], jump: jumps.get(h.row.device) })
    history.add(i)
  })
}
