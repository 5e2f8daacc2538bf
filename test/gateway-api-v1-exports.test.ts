/**
 * The payroll exports on a real gateway process with punches a real MQTT client stored: the CSV (parsed
 * with csv-parse) and the XLSX (read back with read-excel-file) hold exactly the stored punches, filtered
 * like /api/v1/punches (a site from the config included); cells a spreadsheet would run as formulas are
 * escaped in the CSV and plain text in the XLSX; the XLSX's row bound answers 422 while the CSV streams on;
 * hr and admin only; a bad site or zone is a 400 naming the field and the rule.
 */
import t from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { parse } from 'csv-parse/sync'
import { readSheet } from 'read-excel-file/node'
import { startGatewayProcess, writeGatewayConfig } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { addOperator, asBearer, asSession, login, refusedCount } from './helpers/api-v1.js'
import { storePunches } from './fixtures/stored-punches.js'
import { XLSX_EXPORTS_AT_ONCE, XLSX_MAX_ROWS } from '../gateway/http/v1/export-routes.js'
import { openDatabase } from '../gateway/store/db.js'

interface Row { id: number, device: string, emp: string, person: string | null, ts: number, kind: string, method: string, flags: string, received: number }

const EMPS = ['=HYPERLINK("http://evil.example/")', '+1', 'a,"b"', '@SUM(A1)']
const HEADER = ['id', 'device', 'site', 'emp', 'person', 'ts_utc', 'local_time', 'kind', 'method', 'flags', 'received_utc', 'delivered']

t.test('CSV and XLSX exports hold the stored punches, filtered, formula-safe; hr and admin only', async t => {
  const data = t.testdir()
  const config = writeGatewayConfig(data, { sites: { north: { devices: ['EX-N*'] }, south: { devices: ['EX-S1'] } } })
  const gw = await startGatewayProcess({ dataDir: data, allowAnonymous: true, args: ['--config', config] })
  t.teardown(async () => await gw.stop())
  const now = Date.now()
  for (const [id, emps] of [['EX-N1', EMPS], ['EX-S1', ['-3', 'E7']]] as const) {
    const dev = await connectDevice(gw.mqttUrl, id)
    const body = batch(`${id}-1`, emps.map((_e, i) => i + 1))
    const punches = body.punches as Array<{ emp: string, ts: number }>
    emps.forEach((e, i) => { punches[i].emp = e })
    // The last one synced 30 h late: the late-sync flag.
    punches[punches.length - 1].ts = now - 30 * 3600_000
    await dev.publish(body)
    t.equal((await dev.ackFor(`${id}-1`)).id, `${id}-1`)
    await dev.close()
  }
  const stored = (): Row[] => {
    const db = new Database(join(data, 'punchline.db'), { readonly: true })
    try { return db.prepare('SELECT id, device, emp, person, ts, kind, method, flags, received FROM punches ORDER BY id').all() as Row[] } finally { db.close() }
  }
  const rows = stored()
  t.equal(rows.length, 6)
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const csvOf = async (query: string): Promise<{ text: string, records: Array<Record<string, string>> }> => {
    const res = await asSession(gw, hr, 'GET', `/api/v1/punches.csv${query}`)
    t.equal(res.status, 200, `punches.csv${query}`)
    t.match(res.headers.get('content-type'), /^text\/csv/)
    t.match(res.headers.get('content-disposition'), /attachment; filename="punches.csv"/)
    const bytes = Buffer.from(await res.arrayBuffer())
    t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 byte order mark')
    const text = bytes.toString('utf8')
    return { text, records: parse(text, { bom: true, columns: true }) as Array<Record<string, string>> }
  }

  const all = await csvOf('?tz=Asia/Shanghai')
  t.ok(all.text.startsWith('\uFEFFid,device,site,'), 'UTF-8 BOM, then the header')
  t.ok(all.text.split('\r\n').length === rows.length + 2, 'CRLF line ends')
  t.same(Object.keys(all.records[0]), HEADER, 'the columns')
  t.same(all.records.map(r => Number(r.id)), rows.map(r => r.id), 'every stored punch, in id order')
  for (const [i, r] of rows.entries()) {
    const c = all.records[i]
    const formula = /^[=+\-@]/.test(r.emp)
    t.equal(c.emp, formula ? `'${r.emp}` : r.emp, `emp ${r.emp}: ${formula ? 'escaped with a quote' : 'as stored'}`)
    t.equal(c.device, r.device)
    t.equal(c.site, r.device === 'EX-S1' ? 'south' : 'north')
    t.equal(c.ts_utc, new Date(r.ts).toISOString())
    t.equal(c.received_utc, new Date(r.received).toISOString())
    const local = new Date(r.ts + 8 * 3600_000).toISOString()
    t.equal(c.local_time, `${local.slice(0, 10)} ${local.slice(11, 19)} +08:00`, 'local time in the zone asked for')
    t.equal(c.kind, r.kind)
    t.equal(c.method, r.method)
    t.equal(c.flags, r.flags.split(',').filter(f => f !== '').join(' '))
    t.equal(c.delivered, 'no', 'no upstream: nothing delivered')
  }
  t.match(all.text, /"'=HYPERLINK\(""http:\/\/evil\.example\/""\)"/, 'RFC 4180: the escaped cell quoted, its quotes doubled')
  t.match(all.text, /,"a,""b""",/, 'a comma and quotes: quoted')

  t.same((await csvOf('?site=south')).records.map(r => r.emp), ["'-3", 'E7'], 'by site (an exact id)')
  t.same((await csvOf('?site=north&flag=late-sync')).records.map(r => r.emp), ["'@SUM(A1)"], 'by site (a prefix) and flag')
  t.same((await csvOf(`?device=EX-N1&from=${now - 3600_000}`)).records.length, 3, 'by device and time')
  t.same((await csvOf('?badge=E7')).records.map(r => r.device), ['EX-S1'], 'by badge')

  const xlsx = await asSession(gw, hr, 'GET', '/api/v1/punches.xlsx?tz=UTC')
  t.equal(xlsx.status, 200)
  t.equal(xlsx.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  const sheet = await readSheet(Buffer.from(await xlsx.arrayBuffer()))
  t.same(sheet[0], HEADER, 'the XLSX header')
  t.equal(sheet.length, rows.length + 1)
  for (const [i, r] of rows.entries()) {
    const x = sheet[i + 1]
    t.equal(x[0], r.id)
    t.equal(x[3], r.emp, 'text as stored: a text cell, never a formula')
    // An XLSX date is a fractional day count, a double: a millisecond can round away.
    t.ok(Math.abs((x[5] as unknown as Date).getTime() - r.ts) <= 1, 'ts_utc a date cell, to the millisecond')
    t.equal(x[6], `${new Date(r.ts).toISOString().slice(0, 19).replace('T', ' ')} +00:00`)
    t.ok(Math.abs((x[10] as unknown as Date).getTime() - r.received) <= 1, 'received_utc a date cell')
  }
  const north = await readSheet(Buffer.from(await (await asSession(gw, hr, 'GET', '/api/v1/punches.xlsx?site=north')).arrayBuffer()))
  t.equal(north.length, EMPS.length + 1, 'the XLSX takes the same filter')

  for (const [query, field, rule] of [['?site=west', 'querystring.site', 'enum'], ['?tz=Mars/Olympus', 'querystring.tz', 'timeZone'], ['?tz=a%20b', 'querystring.tz', 'pattern'], ['?flag=sleepy', 'querystring.flag', 'enum'], ['?limit=5', 'querystring.limit', 'additionalProperties']]) {
    for (const ext of ['csv', 'xlsx']) {
      const res = await asSession(gw, hr, 'GET', `/api/v1/punches.${ext}${query}`)
      t.equal(res.status, 400, `punches.${ext}${query}: 400`)
      t.match(await res.json(), { error: 'bad_request', field, rule })
    }
  }
  t.equal((await asSession(gw, hr, 'GET', '/api/v1/punches?site=west')).status, 400, 'the list refuses an unknown site too')
  t.same((await (await asSession(gw, hr, 'GET', '/api/v1/punches?site=south')).json() as { punches: Array<{ site: string }> }).punches.map(p => p.site), ['south', 'south'], 'and filters by site')

  for (const ext of ['csv', 'xlsx']) {
    t.equal((await asSession(gw, viewer, 'GET', `/api/v1/punches.${ext}`)).status, 403, `a viewer may not export ${ext}`)
    t.equal((await fetch(`${gw.httpUrl}/api/v1/punches.${ext}`)).status, 401, `nor anyone without credentials (${ext})`)
    t.equal((await asBearer(gw, gw.apiToken, 'GET', `/api/v1/punches.${ext}`)).status, 200, `the site token (admin) may (${ext})`)
  }

  // Past the XLSX bound: stored on a connection of the test's own, as a long backlog would be.
  const db = openDatabase(join(data, 'punchline.db'))
  storePunches(db, 'EX-S1', Array.from({ length: XLSX_MAX_ROWS }, (_v, i) => 1000 + i))
  db.close()
  const tooMany = await asSession(gw, hr, 'GET', '/api/v1/punches.xlsx')
  t.equal(tooMany.status, 422, `more than ${XLSX_MAX_ROWS} punches: 422`)
  t.match(await tooMany.json(), { error: 'too_many_rows', message: /punches\.csv/ })
  t.equal(await refusedCount(gw, 'too_many_rows'), 1, 'counted')
  t.equal((await asSession(gw, hr, 'GET', '/api/v1/punches.xlsx?site=north')).status, 200, 'a narrower filter fits')
  // Exactly at the bound (the stored 50,000, not the 6 of today): built, and meanwhile the broker acks.
  const building = asSession(gw, hr, 'GET', `/api/v1/punches.xlsx?to=${now - 48 * 3600_000}`)
  let done = false
  void building.then(() => { done = true })
  const dev = await connectDevice(gw.mqttUrl, 'EX-N1')
  // Acks counted while the workbook is not yet answered. Were it built on the event loop, nothing could be
  // acked from the moment the build started until it was sent: one ack at most, from before the build.
  let ackedWhileBuilding = 0
  for (let n = 0; !done; n++) {
    await dev.publish(batch(`load-${n}`, [100 + n]))
    await dev.ackFor(`load-${n}`)
    if (!done) ackedWhileBuilding++
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  await dev.close()
  const atBound = await building
  t.equal(atBound.status, 200, `${XLSX_MAX_ROWS} punches: a workbook`)
  t.ok((await atBound.arrayBuffer()).byteLength > 1_000_000, 'of them all')
  t.ok(ackedWhileBuilding >= 3, `punch batches acknowledged while the workbook was built (${ackedWhileBuilding})`)
  const statuses = await Promise.all([1, 2, 3].map(async () => (await asSession(gw, hr, 'GET', `/api/v1/punches.xlsx?to=${now - 48 * 3600_000}`)).status))
  t.same(statuses.sort(), [200, 200, 429], `at most ${XLSX_EXPORTS_AT_ONCE} workbooks built at once; the next waits (429)`)
  t.equal(await refusedCount(gw, 'export_busy'), 1, 'counted')
  const big = await csvOf('')
  t.ok(big.records.length > rows.length + XLSX_MAX_ROWS, 'the CSV streams them all')
  t.same(new Set(big.records.map(r => r.id)).size, big.records.length, 'each once')
})
