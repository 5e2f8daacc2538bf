/**
 * What a Frappe site (ERPNext, Frappe HR) answered, and what that means for a check-in.
 *
 * Frappe API v1 error bodies (frappe/utils/response.py, report_error and _make_logs_v1) carry `exc_type`
 * (the exception class), `exception` (the traceback's last line, only when the site allows tracebacks
 * for this user), and `_server_messages`: a JSON string holding a list of JSON strings, each a msgprint
 * dict whose `message` is what frappe.throw said. The messages come whatever the traceback setting, so
 * the classification reads them first. The status is the exception's http_status_code
 * (frappe/exceptions.py): ValidationError and its subclasses 417, AuthenticationError 401,
 * PermissionError 403, DoesNotExistError 404, TooManyRequestsError 429, SessionStopped 503.
 */
import type { HttpAnswer } from './http-request.js'
import type { SinkResult } from './sink.js'
import { isPlainObject } from '../../shared/plain-object.js'

export interface FrappeAnswer {
  excType?: string
  exception?: string
  /** the msgprint texts, HTML tags removed */
  messages: string[]
  /** the parsed body when it was a JSON object */
  json?: Record<string, unknown>
}

// hrms employee_checkin.py validate_duplicate_log: the check-in is already there, which is what we want.
const DUPLICATE = /already has a log with the same timestamp/i
// hrms add_log_based_on_employee_field: no Employee has this value in the employee field.
const NO_EMPLOYEE = /No Employee found for the given employee field value/i
// frappe handler.py execute_cmd: the method does not resolve, i.e. the hrms app is not installed.
const MISSING_METHOD = /Failed to get method (for command )?\S+ with/i
// MariaDB 1054 / Postgres 42703: the employee field named in the config is not a column of Employee.
const UNKNOWN_COLUMN = /Unknown column|column "?[\w.]+"? does not exist/i

const AUTH_TYPES = new Set(['AuthenticationError', 'SessionExpired', 'PermissionError', 'CSRFTokenError',
  'InvalidAuthorizationHeader', 'InvalidAuthorizationPrefix', 'InvalidAuthorizationToken'])
const TRANSIENT_TYPES = new Set(['QueryDeadlockError', 'QueryTimeoutError', 'TimestampMismatchError',
  'TooManyRequestsError', 'RateLimitExceededError', 'SessionStopped', 'DocumentLockedError'])

const MAX_ERROR = 512

export function readFrappeAnswer (text: string): FrappeAnswer {
  const out: FrappeAnswer = { messages: [] }
  let json: unknown
  try { json = JSON.parse(text) } catch { return out }
  if (!isPlainObject(json)) return out
  out.json = json
  if (typeof json.exc_type === 'string') out.excType = json.exc_type
  if (typeof json.exception === 'string') out.exception = json.exception
  if (typeof json._server_messages === 'string') {
    try {
      const list: unknown = JSON.parse(json._server_messages)
      for (const item of Array.isArray(list) ? list : []) {
        const msg = typeof item === 'string' ? parseOr(item) : item
        const m = isPlainObject(msg) ? msg.message : msg
        if (typeof m === 'string' && m !== '') out.messages.push(stripTags(m))
      }
    } catch {
      // A site that mangles its own messages still has a status and exc_type to go on.
    }
  }
  return out
}

/** One add_log_based_on_employee_field answer as a sink outcome (docs/DESIGN-NOTES.md, "ERPNext answers"). */
export function classifyCheckin (a: HttpAnswer): SinkResult {
  const f = readFrappeAnswer(a.text)
  if (a.status >= 200 && a.status < 300) {
    if (isPlainObject(f.json?.message)) return { outcome: 'delivered' }
    // A login page or a proxy answering 200 has not stored anything: counting it delivered would lose the punch.
    return { outcome: 'config', status: a.status, error: bounded(`HTTP ${a.status} without a check-in in the answer (not the ERPNext API?): ${summary(f, a.text)}`) }
  }
  const said = [...f.messages, f.exception ?? ''].join('\n')
  if (DUPLICATE.test(said)) return { outcome: 'delivered' }
  const error = describe(a, f)
  if (NO_EMPLOYEE.test(said)) return { outcome: 'park', status: a.status, error }
  if (MISSING_METHOD.test(said) || UNKNOWN_COLUMN.test(said)) return { outcome: 'config', status: a.status, error }
  if (a.status === 401 || a.status === 403 || AUTH_TYPES.has(f.excType ?? '')) return { outcome: 'config', status: a.status, error }
  if (isTransient(a.status) || TRANSIENT_TYPES.has(f.excType ?? '')) return retry(a, error)
  if (a.status === 400 || a.status === 413 || a.status === 417 || a.status === 422) return { outcome: 'split', status: a.status, error }
  // 404 (an old Frappe without the method, or no such site), 3xx, other 4xx: an operator must look.
  return { outcome: 'config', status: a.status, error }
}

/** A Shift Type update answer: it is taken, it is worth trying again, or an operator must fix something. */
export function classifyShiftSync (a: HttpAnswer): SinkResult {
  const f = readFrappeAnswer(a.text)
  if (a.status >= 200 && a.status < 300) {
    if (isPlainObject(f.json?.data)) return { outcome: 'delivered' }
    return { outcome: 'config', status: a.status, error: bounded(`HTTP ${a.status} without the Shift Type in the answer (not the ERPNext API?): ${summary(f, a.text)}`) }
  }
  const error = describe(a, f)
  if (isTransient(a.status) || TRANSIENT_TYPES.has(f.excType ?? '')) return retry(a, error)
  return { outcome: 'config', status: a.status, error }
}

function isTransient (status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500
}

function retry (a: HttpAnswer, error: string): SinkResult {
  return a.retryAfterMs === undefined
    ? { outcome: 'retry', status: a.status, error }
    : { outcome: 'retry', status: a.status, error, retryAfterMs: a.retryAfterMs }
}

function describe (a: HttpAnswer, f: FrappeAnswer): string {
  const type = f.excType === undefined ? '' : ` ${f.excType}`
  const where = a.location === undefined ? '' : ` (Location: ${a.location})`
  return bounded(`HTTP ${a.status}${type}: ${summary(f, a.text)}${where}`)
}

function summary (f: FrappeAnswer, text: string): string {
  if (f.messages.length > 0) return f.messages.join(' | ')
  if (f.exception !== undefined) return f.exception
  if (f.excType !== undefined) return '(no message)'
  return stripTags(text).replace(/\s+/g, ' ').trim().slice(0, 200)
}

function bounded (s: string): string {
  return s.length > MAX_ERROR ? s.slice(0, MAX_ERROR) + '…' : s
}

function stripTags (s: string): string {
  return s.replace(/<br\s*\/?>/gi, ' ').replace(/<[^>]*>/g, '').trim()
}

function parseOr (s: string): unknown {
  try { return JSON.parse(s) } catch { return s }
}
