/**
 * The ERPNext sink against fakes/upstream/erpnext-server.ts (a real HTTP server speaking Frappe's answers): the
 * sink contract, then what is ERPNext's own: the check-in arguments (employee field, site-local
 * timestamp, log type, location), Frappe's errors read from their messages, one request per punch with a
 * bounded width, and the Shift Type watermark.
 */
import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { ErpnextSink, type ErpnextSinkOptions } from '../gateway/forward/erpnext-sink.js'
import { createSink } from '../gateway/forward/create-sink.js'
import { upstreamFor } from '../gateway/config.js'
import { silentLogger, type Logger } from '../shared/log.js'
import type { UpstreamPunch } from '../shared/upstream.js'
import { ErpnextServer, type Employee, type ErpnextServerOptions } from '../fakes/upstream/erpnext-server.js'
import { contractBatch, contractPunch, contractWatermarks, CONTRACT_T0, sinkContract } from './fixtures/sink-contract.js'

// Generous: the first fetch of a process also loads Node's HTTP client.
const TIMEOUT_MS = 1000
const live = (): AbortSignal => new AbortController().signal

function staff (from: number, to: number, extra: (i: number) => Partial<Employee> = () => ({})): Employee[] {
  return Array.from({ length: to - from + 1 }, (_, k) => ({ name: `HR-EMP-${from + k}`, attendance_device_id: `E${from + k}`, ...extra(from + k) }))
}

/** `2026-11-22T08:59:04.120+08:00` → `2026-11-22 08:59:04`, the wall clock ERPNext stores. */
function wall (p: UpstreamPunch): string {
  return `${p.local!.slice(0, 10)} ${p.local!.slice(11, 19)}`
}

async function site (t: Test, o: ErpnextServerOptions = {}): Promise<ErpnextServer> {
  const server = new ErpnextServer({ apiKey: 'k', apiSecret: 's3cret', employees: staff(1000, 1099), shiftTypes: ['Day'], ...o })
  await server.start()
  t.teardown(async () => await server.close())
  return server
}

function sinkFor (server: ErpnextServer, o: Partial<ErpnextSinkOptions> = {}): ErpnextSink {
  return new ErpnextSink({ url: server.url, token: 'k:s3cret', timeoutMs: 2000, employeeField: 'attendance_device_id', log: silentLogger(), ...o })
}

function capture (): { log: Logger, lines: Array<Record<string, unknown>>, raw: string[] } {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _enc, cb) { raw.push(chunk.toString()); lines.push(JSON.parse(chunk.toString())); cb() } })
  return { log: pino({ level: 'debug' }, stream), lines, raw }
}

sinkContract(t, 'erpnext', { refusesRecords: true, knowsPersons: true, takesWatermarks: true }, async t => {
  const server = await site(t)
  const port = server.port
  const employee = (p: UpstreamPunch): string => server.employeeBy('attendance_device_id', p.emp)?.name ?? '(none)'
  return {
    sink: sinkFor(server, { timeoutMs: TIMEOUT_MS, shiftTypes: ['Day'], utcOffsetMinutes: 480 }),
    timeoutMs: TIMEOUT_MS,
    count: p => server.checkins.filter(c => c.employee === employee(p) && c.time === wall(p)).length,
    dedupes: true,
    settle: async () => await server.waitFor(() => server.inFlight === 0),
    outage: async () => await server.close(),
    restore: async () => { await server.start(port) },
    stall: ms => server.respond(() => (ms > 0 ? { delayMs: ms } : undefined)),
    revokeCredentials: () => server.setCredentials('k', 'rotated'),
    poison: p => server.setEmployeeStatus(employee(p), 'Inactive'),
    forgetPerson: p => server.removeEmployee(employee(p)),
    watermarkSeen: () => server.shiftTypes.get('Day')?.last_sync_of_checkin ?? undefined
  }
})

t.test('one check-in per punch: employee field, site-local time, device, log type, location, token', async t => {
  const server = await site(t, { employees: [...staff(1000, 1010), { name: 'HR-EMP-2001', attendance_device_id: 'R-2001' }] })
  const kinds = ['in', 'out', 'break-out', 'break-in', 'auto'] as const
  const punches = kinds.map((kind, i) => contractPunch(i + 1, { kind }))
  punches.push(contractPunch(6, { emp: 'BADGE-77', employee: 'R-2001', loc: { lat: 1.2903, lon: 103.8519, acc: 8 } }))
  t.same(await sinkFor(server).deliver({ gateway: 'gw', batch: 'k1', punches }, live()), { outcome: 'delivered' })

  const byValue = new Map(server.requests.map(r => [r.form.employee_field_value, r]))
  const req = byValue.get('E1001')!
  t.equal(req.method, 'POST')
  t.equal(req.path, '/api/method/hrms.hr.doctype.employee_checkin.employee_checkin.add_log_based_on_employee_field')
  t.equal(req.headers.authorization, 'token k:s3cret')
  t.match(req.headers.accept, 'application/json', 'Frappe answers errors as JSON only to a client that accepts it')
  t.same(req.form, { employee_field_value: 'E1001', employee_fieldname: 'attendance_device_id', timestamp: wall(punches[0]), device_id: 'C-1', log_type: 'IN' })
  t.equal(wall(punches[0]), '2026-11-22 08:59:04', 'the punch\'s own wall clock, offset and fraction dropped')

  t.same(['E1001', 'E1002', 'E1003', 'E1004', 'E1005'].map(v => byValue.get(v)?.form.log_type), ['IN', 'OUT', 'OUT', 'IN', undefined])
  t.notOk('log_type' in byValue.get('E1005')!.form, 'auto sends no log type, so the Shift Type decides')
  t.notOk(byValue.has('BADGE-77'), 'the roster\'s employee id is looked up, not the badge')
  t.match(byValue.get('R-2001')?.form, { latitude: 1.2903, longitude: 103.8519 })

  t.equal(server.checkins.length, 6)
  t.match(server.checkinsFor('R-2001')[0], { employee: 'HR-EMP-2001', time: wall(punches[5]), latitude: 1.2903, longitude: 103.8519, log_type: 'OUT', device_id: 'C-1' })
  const stored = new Map(server.checkins.map(c => [c.employee, c.log_type]))
  t.same(['HR-EMP-1001', 'HR-EMP-1002', 'HR-EMP-1003', 'HR-EMP-1004', 'HR-EMP-1005'].map(e => stored.get(e)), ['IN', 'OUT', 'OUT', 'IN', null], 'stored as sent')
  t.equal(new ErpnextSink({ url: server.url, timeoutMs: 100, employeeField: 'x', log: silentLogger() }).maxBatch, 50)
})

t.test('another employee field: named in every call; a field the site does not have is a configuration fault', async t => {
  const server = await site(t, { employees: staff(1000, 1005, i => ({ attendance_device_id: undefined, custom_badge: `B${i}` })) })
  const sink = sinkFor(server, { employeeField: 'custom_badge' })
  const p = contractPunch(1, { emp: 'B1001' })
  t.same(await sink.deliver({ gateway: 'gw', batch: 'k', punches: [p] }, live()), { outcome: 'delivered' })
  t.equal(server.requests[0].form.employee_fieldname, 'custom_badge')
  t.equal(server.checkinsFor('B1001', 'custom_badge').length, 1)

  const wrong = sinkFor(server, { employeeField: 'custom_badge_no' })
  const r = await wrong.deliver({ gateway: 'gw', batch: 'k2', punches: [contractPunch(2, { emp: 'B1002' })] }, live())
  t.match(r, { outcome: 'config', status: 500 })
  t.match((r as { error: string }).error, /Unknown column 'custom_badge_no'/)
})

t.test('a punch without a local time: UTC with one warning, or the configured site offset', async t => {
  const server = await site(t)
  const { log, lines, raw } = capture()
  const utc = sinkFor(server, { log })
  const a = contractPunch(1, { local: undefined })
  const b = contractPunch(2, { local: undefined })
  t.same(await utc.deliver({ gateway: 'gw', batch: 'k', punches: [a, b] }, live()), { outcome: 'delivered' })
  t.same(server.checkins.map(c => c.time).sort(), ['2026-11-22 00:59:04', '2026-11-22 01:00:05'])
  t.equal(lines.filter(l => l.level === 40).length, 1, 'warned once, not per punch')
  t.match(lines.find(l => l.level === 40)?.msg, /UTC/)
  t.notOk(raw.join('').includes('s3cret'), 'the token is never logged')

  const offset = sinkFor(server, { utcOffsetMinutes: 330 })
  const c = contractPunch(3, { local: undefined })
  t.same(await offset.deliver({ gateway: 'gw', batch: 'k3', punches: [c] }, live()), { outcome: 'delivered' })
  t.equal(server.checkinsFor('E1003')[0].time, '2026-11-22 06:31:06', '+05:30 applied to ts')
  const d = contractPunch(4)
  t.same(await offset.deliver({ gateway: 'gw', batch: 'k4', punches: [d] }, live()), { outcome: 'delivered' })
  t.equal(server.checkinsFor('E1004')[0].time, wall(d), 'a punch\'s own local time wins over the configured offset')
})

t.test('Frappe\'s answers are read from their messages, tracebacks shown or not', async t => {
  for (const traceback of [true, false]) {
    const server = await site(t, { traceback })
    const sink = sinkFor(server)
    const p = contractPunch(1)
    t.same(await sink.deliver({ gateway: 'gw', batch: 'a', punches: [p] }, live()), { outcome: 'delivered' })
    t.same(await sink.deliver({ gateway: 'gw', batch: 'b', punches: [p] }, live()), { outcome: 'delivered' }, `duplicate (traceback ${String(traceback)})`)
    t.equal(server.checkins.length, 1)
    t.equal(server.requests[1].form.timestamp, server.requests[0].form.timestamp, 'the same punch gives the same timestamp')

    const unknown = await sink.deliver({ gateway: 'gw', batch: 'c', punches: [contractPunch(2, { emp: 'NOBODY' })] }, live())
    t.match(unknown, { outcome: 'park', status: 417 })
    t.match((unknown as { error: string }).error, "No Employee found for the given employee field value. 'attendance_device_id': NOBODY")

    server.setEmployeeStatus('HR-EMP-1003', 'Inactive')
    const inactive = await sink.deliver({ gateway: 'gw', batch: 'd', punches: [contractPunch(3)] }, live())
    t.match(inactive, { outcome: 'split', status: 417 })
    t.match((inactive as { error: string }).error, /InactiveEmployeeStatusError: Transactions cannot be created for an Inactive Employee HR-EMP-1003/)
  }
})

t.test('hrms not installed, an old Frappe\'s 404, a login page: configuration faults, never delivered', async t => {
  const bare = await site(t, { hrms: false })
  const r = await sinkFor(bare).deliver(contractBatch([1]), live())
  t.match(r, { outcome: 'config', status: 417 })
  t.match((r as { error: string }).error, "No module named 'hrms'")

  const server = await site(t)
  const sink = sinkFor(server)
  server.respond(() => ({ status: 404, body: '<html><body>Method not found</body></html>' }))
  t.match(await sink.deliver(contractBatch([2]), live()), { outcome: 'config', status: 404 })
  server.respond(() => ({ status: 200, body: '<!DOCTYPE html><html><title>Login</title></html>' }))
  t.match(await sink.deliver(contractBatch([3]), live()), { outcome: 'config', status: 200 })
  server.respond(() => ({ status: 302, headers: { Location: '/login' } }))
  t.match(await sink.deliver(contractBatch([4]), live()), { outcome: 'config', status: 302 })
  t.equal(server.checkins.length, 0)

  const guest = new ErpnextSink({ url: server.url, timeoutMs: 2000, employeeField: 'attendance_device_id', log: silentLogger() })
  server.respond(() => undefined)
  const g = await guest.deliver(contractBatch([5]), live())
  t.match(g, { outcome: 'config', status: 403 }, 'no token: Guest, and the method is not for guests')
  t.match((g as { error: string }).error, /PermissionError: You are not permitted/)
})

t.test('maintenance, rate limits and server errors are retried, honouring Retry-After', async t => {
  const server = await site(t)
  const sink = sinkFor(server)
  server.respond(() => ({ error: { status: 503, excType: 'SessionStopped' }, headers: { 'Retry-After': '30' } }))
  t.match(await sink.deliver(contractBatch([1]), live()), { outcome: 'retry', status: 503, retryAfterMs: 30_000 })
  server.respond(() => ({ status: 429, body: 'Too Many Requests', headers: { 'Retry-After': '2' } }))
  t.match(await sink.deliver(contractBatch([1, 2, 3]), live()), { outcome: 'retry', status: 429, retryAfterMs: 2000 })
  server.respond(() => ({ error: { status: 500, excType: 'QueryDeadlockError', module: 'frappe.exceptions' } }))
  t.match(await sink.deliver(contractBatch([1]), live()), { outcome: 'retry', status: 500 })
  server.respond(() => ({ reset: true }))
  t.match(await sink.deliver(contractBatch([1]), live()), { outcome: 'retry' })
  t.equal(server.checkins.length, 0)
})

t.test('a batch goes a few check-ins at a time; one refusal does not hold back the rest', async t => {
  const server = await site(t)
  const sink = sinkFor(server, { concurrency: 4 })
  server.respond(() => ({ delayMs: 40 }))
  const twelve = contractBatch(Array.from({ length: 12 }, (_, i) => i + 1))
  t.same(await sink.deliver(twelve, live()), { outcome: 'delivered' })
  t.equal(server.checkins.length, 12)
  t.ok(server.maxInFlight <= 4, `at most 4 in flight (saw ${server.maxInFlight})`)
  t.ok(server.maxInFlight >= 2, `in parallel (saw ${server.maxInFlight})`)

  server.respond(() => undefined)
  server.setEmployeeStatus('HR-EMP-1017', 'Inactive')
  const ten = contractBatch(Array.from({ length: 10 }, (_, i) => i + 13))
  const r = await sink.deliver(ten, live())
  t.match(r, { outcome: 'split' })
  t.match((r as { error: string }).error, /^1 of 10 check-ins not taken .*C-1:9f2c41d0:17/)
  t.equal(server.checkins.length, 21, 'the nine good ones went in')
  const again = { ...ten, batch: 'k-again', punches: ten.punches.filter(p => p.seq !== 17) }
  t.same(await sink.deliver(again, live()), { outcome: 'delivered' }, 'posting them again is answered "already has a log"')
  t.equal(server.checkins.length, 21, 'and adds nothing')
})

t.test('a site that refuses us or is down stops the batch early; the most urgent outcome wins', async t => {
  const server = await site(t)
  const sink = sinkFor(server, { concurrency: 4 })
  server.setCredentials('k', 'rotated')
  t.match(await sink.deliver(contractBatch(Array.from({ length: 20 }, (_, i) => i + 1)), live()), { outcome: 'config', status: 401 })
  t.ok(server.requests.length <= 4, `stopped after the first answers (${server.requests.length} requests)`)

  server.setCredentials('k', 's3cret')
  server.removeEmployee('HR-EMP-1001')
  server.setEmployeeStatus('HR-EMP-1002', 'Inactive')
  server.respond(req => (req.form.employee_field_value === 'E1003' ? { status: 502, body: 'Bad Gateway' } : undefined))
  t.match(await sink.deliver(contractBatch([1, 2, 3, 4]), live()), { outcome: 'retry', status: 502 }, 'retry over split over park')
  server.respond(() => undefined)
  t.match(await sink.deliver(contractBatch([1, 2, 4]), live()), { outcome: 'split' }, 'split over park')
  t.match(await sink.deliver(contractBatch([1, 4]), live()), { outcome: 'park' })
})

t.test('watermark: each Shift Type\'s last_sync_of_checkin, site-local, from the earliest site', async t => {
  const server = await site(t, { shiftTypes: ['Day', 'Night Shift'] })
  const sink = sinkFor(server, { shiftTypes: ['Day', 'Night Shift'], utcOffsetMinutes: 480 })
  const marks = contractWatermarks(CONTRACT_T0)
  marks.sites.push({ site: 'branch', before: new Date(CONTRACT_T0 - 3_600_000).toISOString(), beforeMs: CONTRACT_T0 - 3_600_000, heldBy: 'B-1:1:1' })
  t.same(await sink.watermark?.(marks, live()), { outcome: 'delivered' })
  t.same(server.shiftUpdates, [{ shiftType: 'Day', value: '2026-11-22 07:58:03' }, { shiftType: 'Night Shift', value: '2026-11-22 07:58:03' }])
  const put = server.requests.find(r => r.method === 'PUT')!
  t.equal(put.path, '/api/resource/Shift%20Type/Day')
  t.equal(put.headers.authorization, 'token k:s3cret')
  t.same(JSON.parse(put.raw), { last_sync_of_checkin: '2026-11-22 07:58:03' })

  const before = server.requests.length
  t.same(await sink.watermark?.(marks, live()), { outcome: 'delivered' })
  t.equal(server.requests.length, before, 'an unchanged watermark is not sent again')
  marks.sites[1] = { ...marks.sites[1], before: null, beforeMs: null, heldBy: 'B-1 not heard from' }
  t.same(await sink.watermark?.(marks, live()), { outcome: 'delivered' })
  t.equal(server.requests.length, before, 'a site that cannot say holds the Shift Types where they are')

  const missing = sinkFor(server, { shiftTypes: ['Graveyard'], utcOffsetMinutes: 480 })
  const r = await missing.watermark?.(contractWatermarks(CONTRACT_T0), live())
  t.match(r, { outcome: 'config', status: 404 })
  t.match((r as { error: string }).error, 'Shift Type Graveyard not found')
})

t.test('watermark without a configured offset: learned from the site\'s punches, withheld until then', async t => {
  const server = await site(t)
  const sink = sinkFor(server, { shiftTypes: ['Day'] })
  const early = await sink.watermark?.(contractWatermarks(CONTRACT_T0), live())
  t.match(early, { outcome: 'retry' })
  t.match((early as { error: string }).error, /UTC offset is not known/)
  t.equal(server.shiftUpdates.length, 0, 'never a guess: a wrong offset could close shifts whose punches are still coming')
  const p = contractPunch(1, { local: '2026-11-22T06:29:04.120+05:30' })
  t.same(await sink.deliver({ gateway: 'gw', batch: 'k', punches: [p] }, live()), { outcome: 'delivered' })
  t.same(await sink.watermark?.(contractWatermarks(CONTRACT_T0), live()), { outcome: 'delivered' })
  t.same(server.shiftUpdates, [{ shiftType: 'Day', value: '2026-11-22 06:28:03' }])
})

t.test('createSink builds the ERPNext sink; watermark() only with Shift Types', async t => {
  const up = { ...upstreamFor('https://erp.example.com', 'erpnext'), token: 'k:s' }
  const plain = createSink(up, { gatewayId: 'gw', log: silentLogger() })
  t.equal(plain.name, 'erpnext')
  t.equal(plain.maxBatch, 50)
  t.equal(plain.watermark, undefined)
  t.type(createSink({ ...up, shiftTypes: ['Day'] }, { gatewayId: 'gw', log: silentLogger() }).watermark, 'function')
})
