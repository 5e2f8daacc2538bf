/**
 * Frappe's answer bodies, as fakes/upstream/erpnext-server.ts sends them and tests script them. Shapes from
 * frappe/utils/response.py (API v1): an error carries `exc_type`, `exception` (the traceback's last line,
 * only when the site shows tracebacks), `exc` (the traceback list, same condition) and `_server_messages`
 * (a JSON string of a list of JSON strings, each a msgprint dict, present when frappe.throw said
 * something). A client that does not accept JSON gets an HTML page instead (frappe/app.py).
 */
import { randomBytes } from 'node:crypto'

export interface FrappeError {
  status: number
  /** the exception class, e.g. ValidationError */
  excType: string
  /** the module the class lives in, for the `exception` line */
  module?: string
  /** what frappe.throw said; none for a bare `raise` */
  message?: string
  title?: string
}

export interface FrappeBody {
  status: number
  contentType: string
  body: string
}

/** An error as Frappe renders it for this client (`accept` header) and traceback setting. */
export function frappeError (e: FrappeError, accept: string | undefined, traceback: boolean): FrappeBody {
  if (accept === undefined || !accept.includes('application/json')) {
    const title = e.title ?? (e.status === 403 ? 'Not Permitted' : e.status === 404 ? 'Not Found' : 'Server Error')
    return { status: e.status, contentType: 'text/html; charset=utf-8', body: `<!DOCTYPE html><html><head><title>${title}</title></head><body><div class="page-card"><h4>${title}</h4><p>Something went wrong.</p></div></body></html>` }
  }
  const out: Record<string, unknown> = {}
  const line = `${e.module ?? 'frappe.exceptions'}.${e.excType}${e.message === undefined ? '' : ': ' + e.message}`
  // report_error: no traceback for a 404 unless the site logs them.
  if (traceback && e.status !== 404) out.exception = line
  out.exc_type = e.excType
  if (traceback && e.status !== 404) out.exc = JSON.stringify([`Traceback (most recent call last):\n  File "apps/frappe/frappe/app.py", line 115, in application\n    response = frappe.api.handle(request)\n${line}\n`])
  if (e.message !== undefined) {
    const msg = { message: e.message, title: e.title ?? 'Message', indicator: 'red', raise_exception: 1, __frappe_exc_id: randomBytes(28).toString('hex') }
    out._server_messages = JSON.stringify([JSON.stringify(msg)])
  }
  return { status: e.status, contentType: 'application/json', body: JSON.stringify(out) }
}

/** A successful method call: the return value under `message`. */
export function frappeMessage (message: unknown): FrappeBody {
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ message }) }
}

/** A successful resource call (/api/resource): the document under `data`. */
export function frappeData (data: unknown): FrappeBody {
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ data }) }
}
