/**
 * What every hardware input gives the device runtime: reads of who is there (a card, a fingerprint
 * template, a badge or watch over BLE) and, for GPS, fixes to stamp punches with. Inputs frame, check and
 * debounce their own bytes; the runtime turns a read into a punch in the ring and reports the outcome back
 * (a display, a buzzer, or the BLE peer's acknowledgement).
 *
 * Events (EventEmitter):
 *   'read'  (read: InputRead)       someone presented a credential
 *   'fix'   (fix: GpsFix)           a valid position (GPS inputs)
 *   'state' (state: InputState, detail?: string)   open / closed / error, for status and `doctor`
 * Inputs never throw out of their event handlers: bad bytes and lost ports are counted and reported.
 */
import type { EventEmitter } from 'node:events'
import type { ClockState, Location, PunchKind, PunchMethod } from '../../shared/punch.js'

export type InputState = 'opening' | 'open' | 'closed' | 'error'

/** What became of a read: shown on the terminal, sent back to a BLE peer. */
export type PunchOutcome =
  | { outcome: 'accepted', seq: number }
  | { outcome: 'duplicate-read', previousSeq: number }
  /** storage-error: the medium failed the write (EIO, read-only flash): nothing stored, worth trying again */
  | { outcome: 'refused', reason: 'storage-full' | 'storage-error' | 'too-large' | 'invalid', message: string }

export interface InputRead {
  /** the input's configured name, e.g. "door-reader" */
  input: string
  /** the person's credential as text: card number, template id, PIN, badge id */
  emp: string
  method: PunchMethod
  kind?: PunchKind
  /** ms since 1970, when the source keeps time itself (a watch); otherwise the runtime stamps the read */
  ts?: number
  /** with `ts`: whether the source says its clock was synced; absent when it does not say */
  clock?: ClockState
  loc?: Location
  /** a make-up punch entered on the source, with its reason */
  manual?: { reason: string }
  /** called once by the runtime with the outcome (BLE peers are told; serial readers ignore it) */
  reply?: (outcome: PunchOutcome) => void
}

export interface GpsFix extends Location {
  /** when the fix was taken, ms since 1970 (from the receiver's UTC time when it gives one) */
  ts: number
  input: string
}

/** Counters every input keeps; each loss or discard on the way from the wire is one of these. */
export interface InputStats {
  /** frames that passed their checksum */
  frames: number
  /** reads emitted to the runtime */
  reads: number
  /** repeats of the same credential inside the debounce window (a card held on the reader) */
  debounced: number
  /** frames whose checksum failed */
  badChecksum: number
  /** bytes thrown away while resynchronising on a frame start */
  noiseBytes: number
  /** times the port or peer went away and was opened again */
  reconnects: number
  /** other faults (open failures, module error codes) */
  errors: number
}

export interface Input extends EventEmitter {
  readonly name: string
  readonly state: InputState
  /** opens the port or connects the peer; keeps retrying in the background when it cannot */
  start (): Promise<void>
  stop (): Promise<void>
  stats (): InputStats
}

export function emptyInputStats (): InputStats {
  return { frames: 0, reads: 0, debounced: 0, badChecksum: 0, noiseBytes: 0, reconnects: 0, errors: 0 }
}
