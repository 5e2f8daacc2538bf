/**
 * What a simulation run hands to its outputs (the live progress line, the final summary table, the HTML
 * report): samples over virtual time, the fate of every punch, and what the upstream saw.
 */

/** One sample, taken every simulation step (or every few when steps are many). */
export interface SimSample {
  /** virtual time, ms since 1970 */
  at: number
  /** real ms since the run started */
  realMs: number
  generated: number
  /** punches the devices hold unacknowledged */
  pendingOnDevices: number
  /** punches the gateway holds not yet delivered upstream */
  pendingAtGateway: number
  delivered: number
  refused: number
  overwritten: number
  /** devices connected to the gateway now */
  connected: number
  /** faults active now, by kind */
  faults: string[]
}

/** Every generated punch's fate (sim ledger), counted. */
export interface FateCounts {
  generated: number
  delivered: number
  /** delivered with at least one flag */
  deliveredFlagged: number
  /** refused by a full ring (never stored: the terminal said so) */
  refused: number
  /** the same credential again within the device's duplicate-read window: told "already punched", not stored */
  duplicateReads: number
  /** destroyed by overwrite-oldest before it was acknowledged */
  overwritten: number
  /** refused by the gateway for good (with a reason) */
  rejected: number
  deadLettered: number
  /** still on a device or at the gateway when the run ended */
  pending: number
  /** none of the above: a loss nothing explains */
  unexplained: number
  /** punch ids the upstream got more than once, and how many extra copies */
  duplicatePunches: number
  duplicateDeliveries: number
  /** extra copies in batches re-sent under their Idempotency-Key (explained: an upstream honouring the key sees one) */
  retriedCopies: number
  /** upstream punches the simulator never generated */
  unexpectedUpstream: number
}

export interface SimReportData {
  scenario: string
  description: string
  seed: number
  /** virtual start and end, ms since 1970 */
  startMs: number
  endMs: number
  realMs: number
  devices: number
  sites: number
  samples: SimSample[]
  fates: FateCounts
  /** delivered punches by lateness (received upstream - taken), upper bounds in ms, last bucket Infinity */
  lateness: Array<{ upToMs: number, count: number }>
  flags: Record<string, number>
  /** expectations of the scenario and whether each held */
  checks: Array<{ what: string, expected: number | string, actual: number | string, ok: boolean }>
  /** ids of unexplained losses and duplicates, at most a few hundred, for the report */
  unexplainedIds: string[]
  ok: boolean
  /**
   * UTC offset (minutes) to show virtual times in: the site's when all sites share one, else 0 (UTC).
   * Absent means UTC.
   */
  tzMinutes?: number
  /**
   * Fault windows from the scenario's timeline (virtual ms since 1970; `toMs === fromMs` for instant
   * faults such as a thundering herd). Absent: the report derives them from the samples' `faults`, which
   * misses faults shorter than a sampling step and instant ones.
   */
  faultWindows?: FaultWindow[]
}

export interface FaultWindow {
  kind: string
  fromMs: number
  toMs: number
  /** what it hit ("site north", "3 devices"), shown beside the kind */
  label?: string
}
