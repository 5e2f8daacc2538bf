/**
 * ATTLOG records of one terminal as punch rows: the identity each line carries, its time through the
 * terminal's zone, and the state and verify codes mapped beside their raw values (docs/ADMS.md, "What a
 * line becomes").
 *
 * The identity is the line's content: (serial number, PIN, wall time, state, verify). A terminal that
 * sends a line again (after `ATTLOGStamp=0`, after a lost answer, after the gateway's database was
 * restored) sends the same content, so it is the same punch, known, not refused and not doubled upstream.
 * The seq it is stored under is only the gateway's order of arrival (ingress.ts numbers them).
 */
import { LIMITS, type Punch, type PunchKind, type PunchMethod } from '../../shared/punch.js'
import type { PunchRow } from '../store/punch-store.js'
import type { AttlogRecord, WallTime } from './attlog.js'
import { wallTimeToInstant, type WallTimeFold } from './local-time.js'

/** ZKTeco attendance states (the same in the binary and the push protocol). */
const STATE_KINDS: Readonly<Record<number, PunchKind>> = {
  0: 'in', // check-in
  1: 'out', // check-out
  2: 'break-out',
  3: 'break-in',
  4: 'in', // overtime in
  5: 'out' // overtime out
}

/**
 * Verify modes as PUSH firmware reports them. Firmware lines disagree on the low codes (2 and 3 are a
 * card on some, a password on others), so only the codes they agree on are mapped; the rest go as 'pin'
 * with the raw code beside it for the upstream to judge.
 */
const VERIFY_METHODS: Readonly<Record<number, PunchMethod>> = {
  0: 'pin', // password
  1: 'fingerprint',
  4: 'card',
  15: 'face'
}

export interface TerminalIdentity {
  sn: string
  device: string
  zone: string
}

export interface SourceDetails {
  vendor: 'zkteco'
  sn: string
  /** the line's time as the terminal wrote it */
  wall: string
  state: number | null
  verify: number | null
  workcode?: string
  /** 'gap' or 'repeated' when the wall time fell in a change of the zone's offset */
  fold?: Exclude<WallTimeFold, 'exact'>
}

export interface MappedRecord {
  row: PunchRow
  sourceId: string
}

export function kindOf (state: number | undefined): PunchKind {
  return state === undefined ? 'auto' : STATE_KINDS[state] ?? 'auto'
}

export function methodOf (verify: number | undefined): PunchMethod {
  return verify === undefined ? 'pin' : VERIFY_METHODS[verify] ?? 'pin'
}

function pad (n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function wallText (w: WallTime): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`
}

/**
 * `zk:<SN>:<PIN>:<time>:<state>:<verify>`, the PIN percent-encoded so a ':' in it cannot shift the
 * fields; the time as the terminal wrote it, compacted (`20261207T085803`), or `u<seconds>`.
 */
export function sourceIdOf (sn: string, r: AttlogRecord): string {
  const time = r.wall === undefined ? `u${r.unixSeconds ?? 0}` : wallText(r.wall).replaceAll('-', '').replaceAll(':', '').replace(' ', 'T')
  return `zk:${sn}:${encodeURIComponent(r.pin)}:${time}:${r.state ?? '-'}:${r.verify ?? '-'}`
}

/**
 * One record as a punch row, or the rule it breaks. `seq` is left 0: the ingress numbers rows once it
 * knows which are new. The punch's `tz` is the zone's offset at that instant, so the upstream's `local`
 * shows the terminal's wall time.
 */
export function recordToRow (t: TerminalIdentity, r: AttlogRecord, epoch: string): MappedRecord | { field: 'time', rule: string } {
  let ts: number
  let tz: number | undefined
  let fold: WallTimeFold = 'exact'
  if (r.wall !== undefined) {
    const instant = wallTimeToInstant(r.wall, t.zone)
    ts = instant.ms
    tz = instant.offsetMinutes
    fold = instant.fold
  } else {
    ts = (r.unixSeconds ?? 0) * 1000
  }
  if (ts < LIMITS.minTs || ts >= LIMITS.maxTs) return { field: 'time', rule: 'must be between 2000-01-01 and 2100-01-01' }
  const punch: Punch = { seq: 0, ts, emp: r.pin, kind: kindOf(r.state), method: methodOf(r.verify), clock: 'synced' }
  const source: SourceDetails = {
    vendor: 'zkteco',
    sn: t.sn,
    wall: r.wall === undefined ? String(r.unixSeconds) : wallText(r.wall),
    state: r.state ?? null,
    verify: r.verify ?? null
  }
  if (r.workcode !== '') source.workcode = r.workcode
  if (fold !== 'exact') source.fold = fold
  const sourceId = sourceIdOf(t.sn, r)
  return { sourceId, row: { device: t.device, epoch, tz, punch, flags: '', sourceId, source: JSON.stringify(source) } }
}
