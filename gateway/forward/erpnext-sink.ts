/**
 * ERPNext / Frappe HR as the upstream: one Employee Checkin per punch through
 * add_log_based_on_employee_field, a few at a time, and each configured Shift Type's
 * `last_sync_of_checkin` moved up to the site watermark, so auto attendance only processes shifts whose
 * punches are all in (hrms shift_type.py takes check-ins whose shift ended before that time).
 *
 * A batch is delivered only when every check-in is; otherwise the most urgent outcome wins
 * (config > retry > split > park). Check-ins that did go in are posted again with the rest later, which
 * is safe: ERPNext answers "already has a log with the same timestamp" and that counts as delivered.
 */
import type { Logger } from '../../shared/log.js'
import type { UpstreamBatch, UpstreamPunch, Watermark, Watermarks } from '../../shared/upstream.js'
import { frappeDatetime, offsetOf, toCheckin } from './erpnext-checkin.js'
import { classifyCheckin, classifyShiftSync } from './frappe-answer.js'
import { httpRequest } from './http-request.js'
import type { Sink, SinkResult } from './sink.js'

export const ADD_LOG_METHOD = 'hrms.hr.doctype.employee_checkin.employee_checkin.add_log_based_on_employee_field'

export interface ErpnextSinkOptions {
  /** the site, e.g. https://erp.example.com */
  url: string
  /** `api_key:api_secret`; never logged */
  token?: string
  timeoutMs: number
  /** the Employee field holding the badge or roster id (attendance_device_id by default in Frappe HR) */
  employeeField: string
  /** Shift Types whose last_sync_of_checkin follows the watermark; none = no watermark() */
  shiftTypes?: string[]
  /**
   * The site's UTC offset: for punches without `local`, and for the watermark. When unset the watermark
   * uses the offset of the latest punch with a `local` time from that site, and punches without `local`
   * go in UTC (with a warning).
   */
  utcOffsetMinutes?: number
  /** check-ins in flight at once within one batch */
  concurrency?: number
  log: Logger
  now?: () => number
}

/** Enough of an answer to find Frappe's message behind a traceback; a check-in document is about 1 KB. */
const MAX_BODY = 16 * 1024
const URGENCY: Record<SinkResult['outcome'], number> = { delivered: 0, park: 1, split: 2, retry: 3, config: 4 }
const ANY_SITE = '\u0000any'

export class ErpnextSink implements Sink {
  readonly name = 'erpnext'
  /** one request per punch: a bigger batch only makes a retry repeat more requests */
  readonly maxBatch = 50
  readonly watermark?: (marks: Watermarks, signal: AbortSignal) => Promise<SinkResult>
  readonly #o: ErpnextSinkOptions
  readonly #base: string
  readonly #headers: Record<string, string>
  readonly #now: () => number
  readonly #offsets = new Map<string, number>()
  readonly #synced = new Map<string, string>()
  #warnedUtc = false

  constructor (opts: ErpnextSinkOptions) {
    this.#o = opts
    this.#base = opts.url.replace(/\/+$/, '')
    this.#now = opts.now ?? Date.now
    // Frappe answers errors as JSON only to a client that accepts JSON (frappe/app.py handle_exception);
    // anyone else gets an HTML page without the message this sink classifies on.
    this.#headers = { accept: 'application/json', 'content-type': 'application/json' }
    if (opts.token !== undefined && opts.token !== '') this.#headers.authorization = `token ${opts.token}`
    const shifts = opts.shiftTypes ?? []
    if (shifts.length > 0) this.watermark = async (marks, signal) => await this.#syncShifts(shifts, marks, signal)
  }

  /** One request per punch, `concurrency` at a time, each bounded by timeoutMs. */
  deadlineMs (punches: number): number {
    return Math.ceil(Math.max(1, punches) / this.#width(punches)) * this.#o.timeoutMs
  }

  #width (punches: number): number {
    return Math.max(1, Math.min(this.#o.concurrency ?? 4, punches))
  }

  async deliver (batch: UpstreamBatch, signal: AbortSignal): Promise<SinkResult> {
    try {
      const punches: unknown[] = Array.isArray(batch?.punches) ? batch.punches : []
      const results = await this.#postAll(punches as UpstreamPunch[], signal)
      return summarise(punches as UpstreamPunch[], results)
    } catch (err) {
      return { outcome: 'retry', error: `unexpected: ${(err as Error).message}` }
    }
  }

  async #postAll (punches: UpstreamPunch[], signal: AbortSignal): Promise<Array<SinkResult | undefined>> {
    const results = new Array<SinkResult | undefined>(punches.length)
    let next = 0
    let stop = false
    const worker = async (): Promise<void> => {
      while (!stop && !signal.aborted && next < punches.length) {
        const i = next++
        const r = await this.#postOne(punches[i], signal)
        results[i] = r
        // The site is down or refuses us: the rest of the batch would only hit the same wall.
        if (r.outcome === 'retry' || r.outcome === 'config') stop = true
      }
    }
    await Promise.all(Array.from({ length: this.#width(punches.length) }, worker))
    return results
  }

  async #postOne (p: UpstreamPunch, signal: AbortSignal): Promise<SinkResult> {
    const c = toCheckin(p, this.#o.employeeField, this.#o.utcOffsetMinutes)
    if (!c.ok) return { outcome: 'split', error: c.error }
    if (c.zone === 'utc' && !this.#warnedUtc) {
      this.#warnedUtc = true
      this.#o.log.warn({ punch: p.id, device: p.device }, 'a punch without a local time went to ERPNext in UTC: give the device its tz, or set the site UTC offset')
    }
    this.#learnOffset(p)
    const answer = await httpRequest({
      url: `${this.#base}/api/method/${ADD_LOG_METHOD}`,
      method: 'POST',
      headers: this.#headers,
      body: JSON.stringify(c.args),
      timeoutMs: this.#o.timeoutMs,
      maxBody: MAX_BODY,
      now: this.#now
    }, signal)
    if (!answer.ok) return { outcome: 'retry', error: answer.error }
    return classifyCheckin(answer)
  }

  #learnOffset (p: UpstreamPunch): void {
    const off = offsetOf(p.local)
    if (off === undefined) return
    this.#offsets.set(typeof p.site === 'string' ? p.site : '', off)
    this.#offsets.set(ANY_SITE, off)
  }

  async #syncShifts (shifts: string[], marks: Watermarks, signal: AbortSignal): Promise<SinkResult> {
    try {
      const target = this.#syncTarget(marks)
      // Nothing can be said yet (a device holds punches of unknown age): the last value stays.
      if (target === null) return { outcome: 'delivered' }
      if (typeof target === 'object') return target
      const results: SinkResult[] = []
      for (const name of shifts) {
        // Only forward: moving it back would not undo attendance already marked, and nothing changed.
        if ((this.#synced.get(name) ?? '') >= target) continue
        const r = await this.#putShift(name, target, signal)
        if (r.outcome === 'delivered') this.#synced.set(name, target)
        results.push(r)
      }
      return worst(results) ?? { outcome: 'delivered' }
    } catch (err) {
      return { outcome: 'retry', error: `unexpected: ${(err as Error).message}` }
    }
  }

  /** The site-local time every site has delivered up to; null when some site cannot say; a result when the offset is unknown. */
  #syncTarget (marks: Watermarks): string | null | SinkResult {
    const sites = Array.isArray(marks?.sites) ? marks.sites : []
    const entries: Array<Watermark & { site?: string }> = sites.length > 0 ? sites : (Array.isArray(marks?.devices) ? marks.devices : [])
    if (entries.length === 0) return null
    let min: string | null = null
    for (const e of entries) {
      const ms = typeof e.beforeMs === 'number' ? e.beforeMs : Date.parse(String(e.before))
      if (!Number.isFinite(ms)) return null
      const site = typeof e.site === 'string' ? e.site : ''
      const off = this.#o.utcOffsetMinutes ?? this.#offsets.get(site) ?? this.#offsets.get(ANY_SITE)
      if (off === undefined) {
        return { outcome: 'retry', error: `site ${site === '' ? '(none)' : site}: its UTC offset is not known yet (no punch with a local time delivered since start); Shift Types not updated` }
      }
      // Seconds are cut, never rounded up: the value must not claim a moment not yet covered.
      const text = frappeDatetime(Math.floor(ms / 1000) * 1000 + off * 60_000)
      if (min === null || text < min) min = text
    }
    return min
  }

  async #putShift (name: string, at: string, signal: AbortSignal): Promise<SinkResult> {
    const answer = await httpRequest({
      url: `${this.#base}/api/resource/Shift%20Type/${encodeURIComponent(name)}`,
      method: 'PUT',
      headers: this.#headers,
      body: JSON.stringify({ last_sync_of_checkin: at }),
      timeoutMs: this.#o.timeoutMs,
      maxBody: MAX_BODY,
      now: this.#now
    }, signal)
    if (!answer.ok) return { outcome: 'retry', error: answer.error }
    const r = classifyShiftSync(answer)
    return r.outcome === 'delivered' ? r : { ...r, error: `Shift Type ${name}: ${r.error}` }
  }
}

/** The batch's outcome: delivered when every check-in is, else the most urgent of the others. */
function summarise (punches: UpstreamPunch[], results: Array<SinkResult | undefined>): SinkResult {
  let failed = 0
  let first: { i: number, r: SinkResult } | undefined
  for (let i = 0; i < results.length; i++) {
    const r = results[i]
    if (r === undefined || r.outcome === 'delivered') continue
    failed++
    if (first === undefined || URGENCY[r.outcome] > URGENCY[first.r.outcome]) first = { i, r }
  }
  // Counted by index: the results array has holes where a punch was never tried, and filter() skips holes.
  let missing = 0
  for (let i = 0; i < results.length; i++) if (results[i] === undefined) missing++
  if (first === undefined) {
    return missing === 0 ? { outcome: 'delivered' } : { outcome: 'retry', error: 'aborted: the gateway is stopping' }
  }
  const top = first.r as Exclude<SinkResult, { outcome: 'delivered' }>
  if (punches.length === 1) return top
  const id = punches[first.i]?.id
  const error = `${failed} of ${punches.length} check-ins not taken (${missing} not tried); ${String(id)}: ${top.error}`
  const out: SinkResult = { ...top, error }
  if (out.outcome === 'retry') {
    const after = Math.max(...results.map(r => (r?.outcome === 'retry' ? r.retryAfterMs ?? 0 : 0)))
    if (after > 0) out.retryAfterMs = after
  }
  return out
}

function worst (results: SinkResult[]): SinkResult | undefined {
  let top: SinkResult | undefined
  for (const r of results) if (top === undefined || URGENCY[r.outcome] > URGENCY[top.outcome]) top = r
  return top
}
