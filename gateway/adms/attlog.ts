/**
 * The ATTLOG table of ZKTeco's PUSH protocol (ADMS / iclock): the body of `POST /iclock/cdata?table=ATTLOG`,
 * one punch per line, positional fields separated by tabs:
 *
 *   PIN \t YYYY-MM-DD HH:MM:SS \t state \t verify \t workcode \t reserved... (up to 10 fields on newer firmware)
 *
 * The time is the terminal's wall clock with no offset (or Unix seconds on some firmware); the zone that gives
 * it meaning is the terminal's configured one (local-time.ts). State and verify codes are kept raw: verify
 * codes differ between firmware lines (docs/ADMS.md, "What a line holds").
 *
 * Parsing is total: every line of a body becomes a record or a problem naming the line, the field and the
 * rule, so one bad line never costs the good ones. Nothing here throws on input.
 */
import { isDeviceText } from '../../shared/codec/device-text.js'
import type { WallTime } from '../../shared/adms/packed-time.js'

export type { WallTime }

export interface AttlogRecord {
  /** 1-based line number in the body */
  line: number
  /** the line as received, without its line ending */
  raw: string
  pin: string
  /** the terminal's wall clock, when the line has a date and time */
  wall?: WallTime
  /** Unix seconds, when the firmware wrote the time as a number */
  unixSeconds?: number
  /** the attendance state code (0 check-in, 1 check-out, ...), undefined when the line has none */
  state?: number
  /** the verify-mode code, undefined when the line has none */
  verify?: number
  /** the work code, '' when none */
  workcode: string
}

export type AttlogField = 'line' | 'pin' | 'time' | 'state' | 'verify' | 'workcode'

export interface AttlogProblem {
  line: number
  field: AttlogField
  rule: string
  /** the line, cut to a length that is safe to log */
  raw: string
}

export interface ParsedAttlog {
  records: AttlogRecord[]
  problems: AttlogProblem[]
}

/** Bounds on what one line may hold; a longer line is a problem, not a reason to buffer more. */
export const ATTLOG_LIMITS = {
  /** characters in a line; real lines hold under 100 */
  maxLineChars: 1024,
  /** characters in a PIN; firmware allows up to 24, some servers 9 */
  maxPinChars: 64,
  maxWorkcodeChars: 64
} as const

/** How much of a bad line a problem keeps. */
const RAW_KEPT_CHARS = 120

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/
const UNIX_SECONDS = /^\d{9,10}$/
const CODE = /^\d{1,3}$/

export function parseAttlog (body: string): ParsedAttlog {
  const records: AttlogRecord[] = []
  const problems: AttlogProblem[] = []
  const lines = body.split('\n')
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i]
    if (raw.endsWith('\r')) raw = raw.slice(0, -1)
    if (raw.trim() === '') continue
    const parsed = parseLine(raw, i + 1)
    if ('rule' in parsed) problems.push(parsed)
    else records.push(parsed)
  }
  return { records, problems }
}

function problem (line: number, raw: string, field: AttlogField, rule: string): AttlogProblem {
  return { line, field, rule, raw: raw.length > RAW_KEPT_CHARS ? raw.slice(0, RAW_KEPT_CHARS) + '…' : raw }
}

function parseLine (raw: string, line: number): AttlogRecord | AttlogProblem {
  if (raw.length > ATTLOG_LIMITS.maxLineChars) return problem(line, raw, 'line', `must be at most ${ATTLOG_LIMITS.maxLineChars} characters`)
  if (!isDeviceText(raw.replaceAll('\t', ''))) return problem(line, raw, 'line', 'must be valid UTF-8 text without control characters other than tabs')
  const fields = splitFields(raw)
  if (fields.length < 2) return problem(line, raw, 'line', 'must hold at least a PIN and a time, separated by a tab')

  const pin = fields[0].trim()
  if (pin.length === 0 || pin.length > ATTLOG_LIMITS.maxPinChars) return problem(line, raw, 'pin', `must be 1 to ${ATTLOG_LIMITS.maxPinChars} characters`)

  const record: AttlogRecord = { line, raw, pin, workcode: '' }
  const time = fields[1].trim()
  if (UNIX_SECONDS.test(time)) {
    record.unixSeconds = Number(time)
  } else {
    const wall = wallTimeOf(time)
    if (wall === undefined) return problem(line, raw, 'time', 'must be a real date and time as YYYY-MM-DD HH:MM:SS, or Unix seconds')
    record.wall = wall
  }

  const state = codeOf(fields[2])
  if (state === null) return problem(line, raw, 'state', 'must be a whole number between 0 and 255')
  record.state = state
  const verify = codeOf(fields[3])
  if (verify === null) return problem(line, raw, 'verify', 'must be a whole number between 0 and 255')
  record.verify = verify

  const workcode = fields[4]?.trim() ?? ''
  if (workcode.length > ATTLOG_LIMITS.maxWorkcodeChars) return problem(line, raw, 'workcode', `must be at most ${ATTLOG_LIMITS.maxWorkcodeChars} characters`)
  // A work code of 0 is what firmware writes when none was chosen.
  record.workcode = workcode === '0' ? '' : workcode
  return record
}

/**
 * Tabs are the format; some firmware and relays send spaces instead. With spaces, the date and the time
 * are two tokens of what is one field.
 */
function splitFields (raw: string): string[] {
  if (raw.includes('\t')) return raw.split('\t')
  const tokens = raw.trim().split(/ +/)
  if (tokens.length >= 3 && /^\d{4}-\d{2}-\d{2}$/.test(tokens[1]) && /^\d{2}:\d{2}:\d{2}$/.test(tokens[2])) {
    return [tokens[0], `${tokens[1]} ${tokens[2]}`, ...tokens.slice(3)]
  }
  return tokens
}

/** undefined: the line has no such field; null: it has one that is not a code. */
function codeOf (field: string | undefined): number | undefined | null {
  if (field === undefined) return undefined
  const s = field.trim()
  if (s === '') return undefined
  if (!CODE.test(s)) return null
  const n = Number(s)
  return n <= 255 ? n : null
}

function wallTimeOf (s: string): WallTime | undefined {
  const m = DATE_TIME.exec(s)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number)
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined
  // Date.UTC rolls 31 February over into March: a date that does not come back the same does not exist.
  const d = new Date(Date.UTC(year, month - 1, day))
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined
  return { year, month, day, hour, minute, second }
}
