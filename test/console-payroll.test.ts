/**
 * The console for payroll and approvals, in headless Chromium against a real gateway process with a real
 * upstream: punches a real MQTT device stored, found in the punch search and downloaded as CSV (each row
 * checked against what the API says is stored); one badge's day in the day view; a make-up request filed
 * with an evidence file and approved in the console reaches the upstream flagged manual, naming its
 * approver and comment; a punch flagged late-sync confirmed from the review queue, the decision sent
 * upstream.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { addOperator, asBearer } from './helpers/api-v1.js'
import { gatewayForwardingTo } from './helpers/refusing-sink.js'
import { browserFor, goTo, logIn, openConsole, unexpected } from './helpers/console-page.js'
import { calendarDate, toLocalInput } from '../console/ui/format.js'

/** The smallest PNG a browser shows: a 1×1 transparent pixel. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64')

t.test('payroll and approvals: search, CSV export, the day view, a make-up approved and a review decided, up to the upstream', async t => {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  const { gw, data } = await gatewayForwardingTo(t, sink)
  const password = await addOperator(data, 'hana', 'hr')
  const dev = await connectDevice(gw.mqttUrl, 'T-LIVE')
  t.teardown(() => dev.close())
  await dev.publish(batch('pay-1', [1, 2, 3, 4]))
  await dev.ackFor('pay-1')
  // Synced 30 h late: flagged late-sync, which asks for a review.
  await dev.publish(batch('late-1', [5], { punches: [{ seq: 5, ts: Date.now() - 30 * 3600_000, emp: 'E1005', kind: 'in', method: 'card' }] }))
  await dev.ackFor('late-1')

  const browser = await browserFor(t)
  const { page, errors } = await openConsole(browser, gw)
  await logIn(page, 'hana', password)

  await t.test('the CSV download holds the punches the gateway stored for the filter', async t => {
    await goTo(page, 'Punches')
    await page.getByLabel('Device', { exact: true }).fill('T-LIVE')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.locator('[data-count="5"]').waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()])
    const rows = parse(readFileSync(await download.path()), { columns: true, bom: true }) as Array<Record<string, string>>
    const stored = await (await asBearer(gw, gw.apiToken, 'GET', '/api/v1/punches?device=T-LIVE')).json() as { punches: Array<{ id: number, emp: string, ts: number, kind: string }> }
    t.same(rows.map(r => ({ id: Number(r.id), emp: r.emp, ts: Date.parse(r.ts_utc), kind: r.kind })), stored.punches.map(p => ({ id: p.id, emp: p.emp, ts: p.ts, kind: p.kind })), 'row for row, the stored punches')
  })

  await t.test('the day view: first in and last out of a badge today', async t => {
    await goTo(page, 'Days')
    await page.getByLabel('Person or badge').fill('E1001')
    await page.getByRole('button', { name: 'Show days' }).click()
    const today = page.locator(`tr[data-day="${calendarDate(Date.now())}"]`)
    await today.waitFor()
    t.match(await today.textContent(), /\d\d:\d\d:\d\d/, 'a first in')
  })

  await t.test('a make-up request filed and approved in the console reaches the upstream with its approver', async t => {
    await goTo(page, 'Approvals')
    await page.getByText('File a make-up request').click()
    const form = page.getByRole('form', { name: 'file a make-up request' })
    await form.getByLabel('Badge').fill('E2001')
    await form.getByLabel('Time').fill(toLocalInput(Date.now() - 3600_000))
    await form.getByLabel('Reason').fill('forgot the badge at home')
    await form.getByLabel('Evidence file').setInputFiles({ name: 'note.png', mimeType: 'image/png', buffer: PNG })
    await form.getByRole('button', { name: 'File request' }).click()
    const row = page.locator('table[aria-label="make-up requests"] tr', { hasText: 'E2001' })
    await row.waitFor()
    const fileLink = await row.getByRole('link', { name: 'file' }).getAttribute('href')
    const served = await page.evaluate(`fetch(${JSON.stringify(fileLink)}).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)))`) as number[]
    t.same(Buffer.from(served), PNG, 'the evidence file, kept and served back on the session')
    await row.getByRole('textbox').fill('seen by the shift lead')
    await row.getByRole('button', { name: 'Approve' }).click()
    await page.locator('[data-queue="makeups-empty"]').waitFor()
    const approved = await (await asBearer(gw, gw.apiToken, 'GET', '/api/v1/makeups?status=approved')).json() as { items: Array<{ punchId: string }> }
    const id = approved.items[0].punchId
    await sink.waitFor(() => sink.received.get(id) === 1)
    t.match(sink.punches.get(id), { emp: 'E2001', flags: ['manual'], manual: { reason: 'forgot the badge at home', requestedBy: 'hana', approvedBy: 'hana', comment: 'seen by the shift lead' } })
  })

  await t.test('a flagged punch confirmed from the review queue: the decision goes upstream', async t => {
    const row = page.locator('table[aria-label="flagged punches"] tr', { hasText: 'E1005' })
    await row.waitFor()
    t.match(await row.textContent(), /late-sync/)
    await row.getByRole('textbox').fill('came back from the site visit')
    await row.getByRole('button', { name: 'Confirm' }).click()
    await page.locator('[data-queue="reviews-empty"]').waitFor()
    await sink.waitFor(() => sink.requests.some(r => r.body?.reviews?.some(v => v.punch === 'T-LIVE:9f2c41d0:5') === true))
    const sent = sink.requests.flatMap(r => r.body?.reviews ?? []).find(v => v.punch === 'T-LIVE:9f2c41d0:5')
    t.match(sent, { decision: 'confirmed', by: 'hana', comment: 'came back from the site visit', flags: ['late-sync'] })
  })

  t.same(unexpected(errors), [], 'no script errors and nothing the Content-Security-Policy refused')
})
