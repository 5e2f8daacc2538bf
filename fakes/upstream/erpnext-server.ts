/**
 * A stand-in ERPNext site on 127.0.0.1 for the simulator and the tests: the two calls punchline makes
 * (hrms add_log_based_on_employee_field, and a PUT of a Shift Type's last_sync_of_checkin) with Frappe's
 * token auth, an Employee table looked up by any field, the checks a real site makes on the way
 * (unknown employee, inactive employee, duplicate check-in, log type, missing hrms app), Frappe's status
 * codes and bodies (fakes/upstream/frappe-response.ts), and scriptable faults. It keeps every check-in it stored,
 * so a run can be reconciled against it.
 *
 * Behaviour follows hrms/hr/doctype/employee_checkin/employee_checkin.py, frappe/auth.py
 * (validate_auth), frappe/handler.py (execute_cmd) and frappe/api/v1.py (update_doc).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { frappeData, frappeError, frappeMessage, type FrappeBody, type FrappeError } from './frappe-response.js'

/** The whitelisted method, spelled here independently of the sink so a typo on either side shows. */
const ADD_LOG = 'hrms.hr.doctype.employee_checkin.employee_checkin.add_log_based_on_employee_field'

export interface Employee {
  /** the document name, e.g. HR-EMP-00001 */
  name: string
  employee_name?: string
  status?: 'Active' | 'Inactive' | 'Left'
  /** attendance_device_id, employee_number, custom fields... */
  [field: string]: string | undefined
}

export interface Checkin {
  doctype: 'Employee Checkin'
  name: string
  employee: string
  employee_name: string
  time: string
  log_type: 'IN' | 'OUT' | null
  device_id: string | null
  latitude: number | null
  longitude: number | null
  skip_auto_attendance: 0 | 1
  creation: string
}

export interface ShiftType {
  doctype: 'Shift Type'
  name: string
  enable_auto_attendance: 1
  last_sync_of_checkin: string | null
}

export interface ErpnextRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  /** form_dict: the JSON or form body */
  form: Record<string, unknown>
  raw: string
  at: number
}

/** A scripted answer: a Frappe error, a raw answer, a reset, or only a delay before the normal answer. */
export interface ErpnextFault {
  delayMs?: number
  error?: FrappeError
  status?: number
  body?: string
  headers?: Record<string, string>
  reset?: boolean
}

export interface ErpnextServerOptions {
  apiKey?: string
  apiSecret?: string
  employees?: Employee[]
  shiftTypes?: string[]
  /** false: the hrms app is not installed on the site */
  hrms?: boolean
  /** System Settings "Allow error traceback": tracebacks (and `exception`) in error bodies */
  traceback?: boolean
  now?: () => number
}

// Columns every Employee has; a filter on anything else that no employee carries is an SQL error.
const STANDARD_FIELDS = new Set(['name', 'employee_name', 'status', 'attendance_device_id', 'employee_number', 'user_id', 'company_email', 'cell_number'])
const FRAPPE_DATETIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?$/

export class ErpnextServer {
  readonly requests: ErpnextRequest[] = []
  readonly checkins: Checkin[] = []
  readonly shiftTypes = new Map<string, ShiftType>()
  /** every accepted last_sync_of_checkin, in order */
  readonly shiftUpdates: Array<{ shiftType: string, value: string }> = []
  readonly #employees = new Map<string, Employee>()
  readonly #o: Required<Omit<ErpnextServerOptions, 'employees' | 'shiftTypes' | 'apiKey' | 'apiSecret'>>
  #key: string
  #secret: string
  #responder: (req: ErpnextRequest) => ErpnextFault | undefined = () => undefined
  #server?: Server
  #waiters: Array<() => void> = []
  #series = new Map<string, number>()
  inFlight = 0
  maxInFlight = 0
  url = ''
  port = 0

  constructor (o: ErpnextServerOptions = {}) {
    this.#key = o.apiKey ?? 'key'
    this.#secret = o.apiSecret ?? 'secret'
    this.#o = { hrms: o.hrms ?? true, traceback: o.traceback ?? true, now: o.now ?? Date.now }
    for (const e of o.employees ?? []) this.addEmployee(e)
    for (const s of o.shiftTypes ?? []) this.shiftTypes.set(s, { doctype: 'Shift Type', name: s, enable_auto_attendance: 1, last_sync_of_checkin: null })
  }

  addEmployee (e: Employee): void { this.#employees.set(e.name, { status: 'Active', employee_name: e.name, ...e }) }
  removeEmployee (name: string): void { this.#employees.delete(name) }
  setEmployeeStatus (name: string, status: Employee['status']): void {
    const e = this.#employees.get(name)
    if (e !== undefined) e.status = status
  }

  /** The employee whose `field` holds `value`, as add_log_based_on_employee_field finds it. */
  employeeBy (field: string, value: string): Employee | undefined {
    for (const e of this.#employees.values()) if (e[field] === value) return e
    return undefined
  }

  /** Check-ins stored for the employee whose `field` is `value`. */
  checkinsFor (value: string, field = 'attendance_device_id'): Checkin[] {
    const e = this.employeeBy(field, value)
    return e === undefined ? [] : this.checkins.filter(c => c.employee === e.name)
  }

  /** Rotates the site's API key: the old token is refused from now on. */
  setCredentials (key: string, secret: string): void { this.#key = key; this.#secret = secret }

  respond (fn: (req: ErpnextRequest) => ErpnextFault | undefined): void { this.#responder = fn }

  async start (port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => this.#handle(req, res))
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => { server.off('error', reject); resolve() })
    })
    const a = server.address()
    this.port = typeof a === 'object' && a !== null ? a.port : port
    this.url = `http://${host}:${this.port}`
    return this.url
  }

  async close (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    await new Promise<void>(resolve => { server.close(() => resolve()); server.closeAllConnections() })
  }

  async waitFor (predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return
        clearTimeout(timer)
        this.#waiters = this.#waiters.filter(w => w !== check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter(w => w !== check)
        reject(new Error(`erpnext: condition not met within ${timeoutMs} ms (${this.checkins.length} check-ins)`))
      }, timeoutMs)
      this.#waiters.push(check)
    })
  }

  #handle (req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const url = new URL(req.url ?? '/', 'http://site')
      const request: ErpnextRequest = { method: req.method ?? '', path: url.pathname, headers: req.headers, form: formDict(req, raw, url), raw, at: Date.now() }
      this.requests.push(request)
      this.inFlight++
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
      let fault: ErpnextFault | undefined
      try { fault = this.#responder(request) } catch (err) { fault = { status: 500, body: String(err) } }
      const finish = (): void => {
        this.inFlight--
        if (fault?.reset === true) { req.socket.destroy(); this.#notify(); return }
        let out: FrappeBody
        if (fault?.error !== undefined) out = frappeError(fault.error, req.headers.accept, this.#o.traceback)
        else if (fault?.status !== undefined) out = { status: fault.status, contentType: 'application/json', body: fault.body ?? '{}' }
        else out = this.#serve(request)
        res.writeHead(out.status, { 'Content-Type': out.contentType, ...fault?.headers })
        res.end(out.body)
        this.#notify()
      }
      if (fault?.delayMs !== undefined && fault.delayMs > 0) setTimeout(finish, fault.delayMs)
      else finish()
    })
  }

  #serve (req: ErpnextRequest): FrappeBody {
    const fail = (e: FrappeError): FrappeBody => frappeError(e, req.headers.accept, this.#o.traceback)
    const user = this.#authenticate(req.headers.authorization)
    // validate_auth: an Authorization header that does not make a user is refused outright.
    if (user === undefined) return fail({ status: 401, excType: 'AuthenticationError' })
    if (req.method === 'POST' && req.path.startsWith('/api/method/')) {
      const cmd = decodeURIComponent(req.path.slice('/api/method/'.length).split('/')[0])
      if (cmd !== ADD_LOG || !this.#o.hrms) {
        const why = this.#o.hrms ? `module '${cmd.split('.').slice(0, -1).join('.')}' has no attribute '${cmd.split('.').pop() ?? ''}'` : "No module named 'hrms'"
        return fail({ status: 417, excType: 'ValidationError', message: `Failed to get method for command ${cmd} with ${why}` })
      }
      if (user === 'Guest') return fail(notWhitelisted(cmd))
      return this.#addLog(req.form, user, fail)
    }
    if (req.method === 'PUT' && req.path.startsWith('/api/resource/')) {
      if (user === 'Guest') return fail({ status: 403, excType: 'PermissionError', message: 'Insufficient Permission for Shift Type', title: 'Not Permitted' })
      const [doctype, ...rest] = req.path.slice('/api/resource/'.length).split('/').map(s => decodeURIComponent(s))
      const name = rest.filter(s => s !== '').join('/')
      if (doctype !== 'Shift Type') return fail({ status: 404, excType: 'DoesNotExistError', message: `DocType ${doctype} not found` })
      const shift = this.shiftTypes.get(name)
      if (shift === undefined) return fail({ status: 404, excType: 'DoesNotExistError', message: `Shift Type ${name} not found` })
      const data = parseJsonObject(req.raw) ?? req.form
      const value = data.last_sync_of_checkin
      if (typeof value === 'string') {
        shift.last_sync_of_checkin = value
        this.shiftUpdates.push({ shiftType: name, value })
      }
      return frappeData(shift)
    }
    return fail({ status: 404, excType: 'PageDoesNotExistError', title: 'Not Found' })
  }

  /** hrms add_log_based_on_employee_field, then EmployeeCheckin.validate, then insert. */
  #addLog (form: Record<string, unknown>, user: string, fail: (e: FrappeError) => FrappeBody): FrappeBody {
    const value = form.employee_field_value
    const timestamp = form.timestamp
    if (typeof value !== 'string' || value === '' || typeof timestamp !== 'string' || timestamp === '') {
      return fail({ status: 417, excType: 'ValidationError', message: "'employee_field_value' and 'timestamp' are required." })
    }
    const field = typeof form.employee_fieldname === 'string' && form.employee_fieldname !== '' ? form.employee_fieldname : 'attendance_device_id'
    if (!this.#hasColumn(field)) {
      return fail({ status: 500, excType: 'OperationalError', module: 'pymysql.err', message: `(1054, "Unknown column '${field}' in 'where clause'")` })
    }
    const employee = this.employeeBy(field, value)
    if (employee === undefined) {
      return fail({ status: 417, excType: 'ValidationError', message: `No Employee found for the given employee field value. '${field}': ${value}` })
    }
    const m = FRAPPE_DATETIME.exec(timestamp)
    // frappe.utils.get_datetime hands anything else to dateutil, whose error is not a ValidationError.
    if (m === null) return fail({ status: 500, excType: 'ParserError', module: 'dateutil.parser._parser', message: `Unknown string format: ${timestamp}` })
    const time = `${m[1]} ${m[2]}` // before_validate drops the microseconds
    const logType = form.log_type === undefined || form.log_type === null || form.log_type === '' ? null : form.log_type
    if (logType !== null && logType !== 'IN' && logType !== 'OUT') {
      return fail({ status: 417, excType: 'ValidationError', message: `Log Type cannot be "${String(logType)}". It should be one of "", "IN", "OUT"` })
    }
    if (employee.status === 'Inactive') {
      return fail({ status: 417, excType: 'InactiveEmployeeStatusError', module: 'hrms.hr.utils', message: `Transactions cannot be created for an Inactive Employee <strong><a href="/app/employee/${employee.name}">${employee.name}</a></strong>.` })
    }
    const dup = this.checkins.find(c => c.employee === employee.name && c.time === time && c.log_type === logType)
    if (dup !== undefined) {
      return fail({ status: 417, excType: 'ValidationError', message: `This employee already has a log with the same timestamp.<Br><a href="/app/employee-checkin/${dup.name}">Employee Checkin ${dup.name}</a>` })
    }
    const now = new Date(this.#o.now())
    const checkin: Checkin = {
      doctype: 'Employee Checkin',
      name: this.#nextName(now),
      employee: employee.name,
      employee_name: employee.employee_name ?? employee.name,
      time,
      log_type: logType,
      device_id: typeof form.device_id === 'string' ? form.device_id : null,
      latitude: toFloat(form.latitude),
      longitude: toFloat(form.longitude),
      skip_auto_attendance: form.skip_auto_attendance === 1 || form.skip_auto_attendance === '1' ? 1 : 0,
      creation: now.toISOString().replace('T', ' ').slice(0, 26)
    }
    this.checkins.push(checkin)
    return frappeMessage({ ...checkin, owner: user, docstatus: 0 })
  }

  /** The Employee Checkin naming series EMP-CKIN-.MM.-.YYYY.-.###### (hrms employee_checkin.json). */
  #nextName (now: Date): string {
    const prefix = `EMP-CKIN-${String(now.getUTCMonth() + 1).padStart(2, '0')}-${now.getUTCFullYear()}-`
    const n = (this.#series.get(prefix) ?? 0) + 1
    this.#series.set(prefix, n)
    return prefix + String(n).padStart(6, '0')
  }

  #hasColumn (field: string): boolean {
    if (STANDARD_FIELDS.has(field)) return true
    for (const e of this.#employees.values()) if (field in e) return true
    return false
  }

  /** The user an Authorization header makes: a user, 'Guest' without a header, undefined when refused. */
  #authenticate (header: string | undefined): string | undefined {
    if (header === undefined || header === '') return 'Guest'
    const parts = header.split(' ')
    if (parts.length !== 2) return 'Guest'
    const [type, token] = parts
    let pair = ''
    if (type.toLowerCase() === 'token') pair = token
    else if (type.toLowerCase() === 'basic') pair = Buffer.from(token, 'base64').toString('utf8')
    const i = pair.indexOf(':')
    if (i < 0) return undefined
    return pair.slice(0, i) === this.#key && pair.slice(i + 1) === this.#secret ? 'api@example.com' : undefined
  }

  #notify (): void {
    for (const w of this.#waiters.slice()) w()
  }
}

function notWhitelisted (cmd: string): FrappeError {
  const summary = 'You are not permitted to access this resource. Login to access'
  const detail = `Function <strong>${cmd}</strong> is not whitelisted.`
  return { status: 403, excType: 'PermissionError', message: `<details><summary>${summary}</summary>${detail}</details>`, title: 'Method Not Allowed' }
}

/** frappe/app.py make_form_dict: a JSON body when the request says JSON, else the form or the query. */
function formDict (req: IncomingMessage, raw: string, url: URL): Record<string, unknown> {
  if ((req.headers['content-type'] ?? '').includes('application/json') && raw !== '') return parseJsonObject(raw) ?? {}
  const params = raw !== '' ? new URLSearchParams(raw) : url.searchParams
  return Object.fromEntries(params.entries())
}

function parseJsonObject (raw: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

function toFloat (v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}
