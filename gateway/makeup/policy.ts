/**
 * A site's rules for make-up punches (`sites.<id>.makeup`, docs/OPERATIONS.md): how many a person may ask
 * for in a calendar month, and how far back. A request within both goes to hr as usual; one beyond is
 * refused or goes to hr marked with the rule it breaks, as the site chooses. Past `maxWindowHours`, or in
 * the future, it is always refused. Pure: the store counts, this decides.
 */

export type Beyond = 'refuse' | 'approval'

export interface MakeupPolicy {
  /** make-ups (pending or approved) a person may have per calendar month before `beyondLimit` applies */
  monthlyLimit: number
  /** how many hours back a make-up may be asked for before `beyondWindow` applies */
  windowHours: number
  /** never further back than this, whatever `beyondWindow` says */
  maxWindowHours: number
  beyondLimit: Beyond
  beyondWindow: Beyond
}

export const MAKEUP_DEFAULTS: MakeupPolicy = { monthlyLimit: 3, windowHours: 24, maxWindowHours: 72, beyondLimit: 'refuse', beyondWindow: 'approval' }

/** The longest maxWindowHours a site may set: a make-up is for a missed punch, not a payroll correction. */
export const MAX_WINDOW_HOURS_CAP = 720

/** How far ahead of the gateway's clock a make-up's time may be: a clock a little off, not a future punch. */
export const FUTURE_SLACK_MS = 5 * 60_000

/** The rule a request breaks: 'over-limit' and 'outside-window' may be let through for approval. */
export type MakeupRule = 'over-limit' | 'outside-window' | 'beyond-max-window' | 'future'

export type PolicyVerdict =
  | { ok: true, exceptions: MakeupRule[] }
  | { ok: false, rule: MakeupRule, field: string, message: string }

const HOUR_MS = 3_600_000

export function judgeMakeup (policy: MakeupPolicy, ts: number, now: number, monthCount: number): PolicyVerdict {
  if (ts > now + FUTURE_SLACK_MS) return { ok: false, rule: 'future', field: 'body.ts', message: 'body.ts: a make-up cannot be for a time still to come' }
  const ageMs = now - ts
  if (ageMs > policy.maxWindowHours * HOUR_MS) {
    return { ok: false, rule: 'beyond-max-window', field: 'body.ts', message: `body.ts: more than ${policy.maxWindowHours} h ago (the site's makeup.maxWindowHours)` }
  }
  const exceptions: MakeupRule[] = []
  if (ageMs > policy.windowHours * HOUR_MS) {
    if (policy.beyondWindow === 'refuse') return { ok: false, rule: 'outside-window', field: 'body.ts', message: `body.ts: more than ${policy.windowHours} h ago (the site's makeup.windowHours)` }
    exceptions.push('outside-window')
  }
  const limit = judgeLimit(policy, monthCount)
  return limit.ok ? { ok: true, exceptions: [...exceptions, ...limit.exceptions] } : limit
}

/** The monthly limit alone: asked again at approval, with the make-ups approved meanwhile. */
export function judgeLimit (policy: MakeupPolicy, monthCount: number): PolicyVerdict {
  if (monthCount < policy.monthlyLimit) return { ok: true, exceptions: [] }
  if (policy.beyondLimit === 'refuse') return { ok: false, rule: 'over-limit', field: 'body.emp', message: `body.emp: already ${monthCount} make-ups in that month (the site's makeup.monthlyLimit is ${policy.monthlyLimit})` }
  return { ok: true, exceptions: ['over-limit'] }
}

/** A punch time with its offset ('2026-12-07T08:59:00+08:00') as ms, the offset in minutes and its local month. */
export function parseOffsetTime (text: string): { ts: number, tz: number, month: string } | undefined {
  const m = /^(\d{4})-(\d{2})-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text)
  if (m === null) return undefined
  const ts = Date.parse(text)
  if (Number.isNaN(ts)) return undefined
  const tz = m[3] === 'Z' ? 0 : (m[4] === '-' ? -1 : 1) * (Number(m[5]) * 60 + Number(m[6]))
  if (tz < -720 || tz > 840) return undefined
  // Date.parse accepts 2026-02-31 as 3 March in some engines: the local date must read back as written.
  const local = new Date(ts + tz * 60_000).toISOString()
  if (local.slice(0, 10) !== text.slice(0, 10)) return undefined
  return { ts, tz, month: `${m[1]}-${m[2]}` }
}
