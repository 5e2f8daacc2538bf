/**
 * The upstream webhook body (docs/PROTOCOL.md, "Upstream HTTP webhook"). The punch `id` is the key an
 * upstream dedupes on; `batch` is also sent as the Idempotency-Key header.
 */
import type { Location, ManualInfo, PunchKind, PunchMethod } from './punch.js'

export interface UpstreamPunch {
  id: string
  device: string
  epoch: string
  seq: number
  ts: string
  local?: string
  emp: string
  kind: PunchKind
  method: PunchMethod
  received: string
  flags: string[]
  loc?: Location
  manual?: UpstreamManual
  /** ms since the device runtime started, when the device sent it (unsynced clocks) */
  up?: number
  /** the employee the roster maps this badge to on this device, when a roster entry does */
  employee?: string
  /** the site the device belongs to, when sites are configured */
  site?: string
  /**
   * Extension: what a source other than the device runtime said beside the punch, e.g. a ZKTeco
   * terminal's serial number, raw state and verify codes and its line (docs/PROTOCOL.md, "Punches from
   * ZKTeco terminals"). Its `id` is then the source's own identity.
   */
  source?: Record<string, unknown>
}

/**
 * `manual` as it goes upstream: the reason, and for a make-up punch an operator approved, who asked, who
 * approved, when and why (docs/PROTOCOL.md, "Make-up punches"). The added fields are optional, so a
 * reader of `reason` alone sees no change.
 */
export interface UpstreamManual extends ManualInfo {
  /** the make-up request's id at the gateway */
  makeup?: number
  requestedBy?: string
  approvedBy?: string
  /** ISO 8601 UTC */
  approvedAt?: string
  comment?: string
}

/**
 * An operator's decision on a flagged punch (docs/PROTOCOL.md, "Reviews"): sent in a batch of its own,
 * `punches` empty, so an integrator that ignores `reviews` finds nothing new to store.
 */
export interface UpstreamReview {
  /** the punch's id, as it went upstream */
  punch: string
  decision: 'confirmed' | 'disputed'
  /** the operator, `token:<name>` for an API token, or `site-token` */
  by: string
  /** ISO 8601 UTC */
  at: string
  comment: string
  /** the punch's flags that asked for the review; absent when the punch was purged meanwhile */
  flags?: string[]
}

export interface UpstreamBatch {
  gateway: string
  batch: string
  punches: UpstreamPunch[]
  /** extension: decisions on flagged punches, in a batch whose punches are empty */
  reviews?: UpstreamReview[]
}

/**
 * "Every punch taken before `before` has been delivered", per device and per site (null: nothing can be
 * said yet, e.g. a device holds an undelivered punch of unknown age). A payroll system may close a period
 * up to a site's watermark.
 */
export interface Watermark {
  /** ISO 8601 UTC, or null */
  before: string | null
  /** the same, in ms since 1970 */
  beforeMs: number | null
  /** why it is not later: the oldest undelivered punch, a device's unsent ring, a device not heard from, a dead letter */
  heldBy: string
}

export interface Watermarks {
  gateway: string
  /** when these were computed, ISO 8601 UTC */
  at: string
  sites: Array<{ site: string } & Watermark>
  devices: Array<{ device: string, site: string } & Watermark>
}
