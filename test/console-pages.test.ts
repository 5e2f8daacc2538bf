/**
 * The web console in headless Chromium against a real gateway process with a real upstream and a real
 * MQTT device: log in (a wrong password shows the API's words), the fleet page, punch search, a dead letter
 * replayed until the upstream has it, operators added (a bad name refused with the API's field and rule),
 * the audit log, what a viewer is not offered, a password change, and the fleet on a phone's screen.
 */
import t from 'tap'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { addOperator, login, asSession } from './helpers/api-v1.js'
import { gatewayForwardingTo, sinkRefusingSeq } from './helpers/refusing-sink.js'
import { browserFor, goTo, logIn, openConsole, unexpected } from './helpers/console-page.js'
import { PHONE } from '../scripts/console-browser.js'

t.test('the console over the API: log in, fleet, punches, dead letters, operators, audit, roles, a phone', async t => {
  const sink = await sinkRefusingSeq(t, 2)
  // Alarms evaluated every second: the parked punch raises dead-letters while the test looks.
  const { gw, data } = await gatewayForwardingTo(t, sink, { settings: { alarms: { intervalSeconds: 1 } } })
  t.match(gw.logs.find(l => l.msg.startsWith('HTTP API: no admin operator yet')), { console: `http://127.0.0.1:${gw.httpPort}/` }, 'the start log names the console')
  const adaPassword = await addOperator(data, 'ada', 'admin')
  const vicPassword = await addOperator(data, 'vic', 'viewer')

  const dev = await connectDevice(gw.mqttUrl, 'T-9')
  t.teardown(() => dev.close())
  await dev.publish(batch('b-1', [1, 2, 3]))
  await dev.ackFor('b-1')
  const hanaPassword = await addOperator(data, 'hana', 'hr')
  const hr = await login(gw, 'hana', hanaPassword)
  const deadLetters = async (): Promise<Array<{ rowId: number }>> => await (await asSession(gw, hr, 'GET', '/api/v1/dead-letters')).json() as Array<{ rowId: number }>
  await until(async () => (await deadLetters()).length === 1, 'the refused punch to be parked')

  const browser = await browserFor(t)
  const { page, errors, context } = await openConsole(browser, gw)

  const index = await fetch(gw.httpUrl + '/')
  t.match(index.headers.get('content-security-policy'), /default-src 'self'/, 'a strict Content-Security-Policy')
  t.equal(index.headers.get('cache-control'), 'no-cache', 'the page is revalidated at each load')
  const script = /src="(assets\/main-[A-Z0-9]+\.js)"/.exec(await index.text())![1]
  t.equal((await fetch(`${gw.httpUrl}/${script}`)).headers.get('cache-control'), 'public, max-age=31536000, immutable', 'hashed assets are kept')

  await t.test('a wrong password: the API\'s words, and no way in', async t => {
    await page.getByLabel('Name').fill('ada')
    await page.getByLabel('Password').fill('not-her-password')
    await page.getByRole('button', { name: 'Log in' }).click()
    t.equal(await page.getByRole('alert').textContent(), 'wrong name or password')
  })

  await logIn(page, 'ada', adaPassword)

  await t.test('the fleet: devices by state, the backlog, dead letters, an alarm acknowledged', async t => {
    await page.getByRole('heading', { name: 'Fleet' }).waitFor()
    await page.locator('[data-tile="dead-letters"] b', { hasText: '1' }).waitFor()
    t.equal(await page.locator('[data-tile="never"] b').textContent(), '0', 'T-9 has been seen')
    const alarm = page.locator('li[data-alarm="dead-letters"]')
    await alarm.waitFor()
    t.match(await alarm.textContent(), /1 dead letter waits/, 'the alarm with what to do')
    await alarm.getByRole('button', { name: 'Acknowledge' }).click()
    await alarm.getByText('acknowledged by ada').waitFor()
    t.pass('acknowledged from the page')
  })

  await t.test('punch search: filters, and the export links carry them', async t => {
    await goTo(page, 'Punches')
    await page.getByLabel('Device', { exact: true }).fill('T-9')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.locator('table[aria-label="punches"] tbody tr').nth(2).waitFor()
    t.equal(await page.locator('table[aria-label="punches"] tbody tr').count(), 3, 'the three punches of T-9')
    await page.getByLabel('Badge', { exact: true }).fill('E1003')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.locator('[data-count="1"]').waitFor()
    t.match(await page.locator('table[aria-label="punches"] tbody').textContent(), /E1003/)
    t.match(await page.getByRole('link', { name: 'CSV' }).getAttribute('href'), /^\/api\/v1\/punches\.csv\?badge=E1003&device=T-9&tz=[A-Za-z_/]+$/)
    await page.getByLabel('Flag').selectOption('late-sync')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.locator('[data-count="0"]').waitFor()
  })

  await t.test('a dead letter replayed from the console reaches the upstream, and is audited', async t => {
    sink.respond(() => ({ status: 200 }))
    await goTo(page, 'Dead letters')
    await page.getByRole('checkbox', { name: 'tick T-9:9f2c41d0:2' }).check()
    await page.getByRole('button', { name: 'Replay ticked (1)' }).click()
    t.match(await page.getByRole('status').textContent(), /^1 sent again/)
    await sink.waitFor(() => sink.received.get('T-9:9f2c41d0:2') === 1)
    await page.getByText('No dead letters.').waitFor()
  })

  await t.test('operators: one added shows its first password once; a bad name shows the API\'s field and rule', async t => {
    await goTo(page, 'Operators')
    const operators = page.getByRole('form', { name: 'add operator' })
    await operators.getByLabel('Name').fill('bad name!')
    await operators.getByRole('button', { name: 'Add operator' }).click()
    t.match(await page.getByRole('alert').first().textContent(), /^body\.name: must match pattern/)
    await operators.getByLabel('Name').fill('olga')
    await operators.getByLabel('Role').selectOption('viewer')
    await operators.getByRole('button', { name: 'Add operator' }).click()
    const password = await page.locator('[data-secret="olga"]').textContent()
    t.match(password, /^[A-Za-z0-9_-]{20,}$/, 'the first password, shown once')
    t.match(await page.locator('table[aria-label="operators list"] tr[data-name="olga"]').textContent(), /viewer.*enabled/)
    const res = await fetch(gw.httpUrl + '/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'olga', password }) })
    t.equal(res.status, 200, 'she can log in with it')
  })

  await t.test('the audit log shows who did what', async t => {
    await goTo(page, 'Audit log')
    await page.locator('tr[data-audit="operator.add"]', { hasText: 'olga' }).waitFor()
    t.match(await page.locator('tr[data-audit="deadletters.replay"]').textContent(), /ada.*deadletters\.replay.*1 replayed/)
  })

  await t.test('log out ends the session', async t => {
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByRole('button', { name: 'Log in' }).waitFor()
    t.equal((await context.cookies()).filter(c => c.name === 'punchline_session').length, 0, 'the cookie is gone')
  })

  await t.test('hr: people and approvals, not operators; devices read only', async t => {
    await logIn(page, 'hana', hanaPassword)
    t.equal(await page.getByRole('navigation', { name: 'pages' }).textContent(), 'FleetApprovalsPunchesDaysDead lettersDevicesTerminalsAudit log')
    await goTo(page, 'Devices')
    await page.locator('tr[data-device="T-9"]').waitFor()
    t.equal(await page.getByRole('button', { name: 'Rotate secret' }).count(), 0, 'no secret to rotate')
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByRole('button', { name: 'Log in' }).waitFor()
  })

  await t.test('a viewer is offered neither the pages nor the actions the role may not take', async t => {
    await logIn(page, 'vic', vicPassword)
    const menu = await page.getByRole('navigation', { name: 'pages' }).textContent()
    t.equal(menu, 'FleetDevicesTerminals', 'the fleet, the devices and the terminals only')
    await goTo(page, 'Devices')
    await page.locator('tr[data-device="T-9"]').waitFor()
    t.equal(await page.getByRole('button', { name: 'Add device' }).count(), 0, 'no device to add')
    t.equal(await page.getByRole('button', { name: 'Remove' }).count(), 0, 'none to remove')
    await page.goto(gw.httpUrl + '/#/operators')
    await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor()
    t.pass('a page the role may not see falls back to the fleet')
  })

  await t.test('a password change: the API\'s rule, then done', async t => {
    await page.getByRole('link', { name: 'Password' }).click()
    await page.getByLabel('Current password').fill(vicPassword)
    await page.getByLabel('New password', { exact: true }).fill('short')
    await page.getByLabel('New password again').fill('short')
    await page.getByRole('button', { name: 'Change password' }).click()
    t.match(await page.getByRole('alert').textContent(), /^body\.password: must NOT have fewer than 12 characters/)
    await page.getByLabel('New password', { exact: true }).fill('a long enough passphrase')
    await page.getByLabel('New password again').fill('a long enough passphrase')
    await page.getByRole('button', { name: 'Change password' }).click()
    await page.getByText('Password changed').waitFor()
    const res = await fetch(gw.httpUrl + '/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'vic', password: 'a long enough passphrase' }) })
    t.equal(res.status, 200, 'the new password logs in')
  })

  await t.test('on a phone\'s screen the fleet fits its width', async t => {
    const phone = await openConsole(browser, gw, PHONE)
    await logIn(phone.page, 'ada', adaPassword)
    await phone.page.locator('[data-tile="online"]').waitFor()
    const widths = await phone.page.evaluate('({ page: document.documentElement.scrollWidth, screen: window.innerWidth })') as { page: number, screen: number }
    t.ok(widths.page <= widths.screen, `no sideways scrolling (${widths.page} <= ${widths.screen})`)
    const menu = await phone.page.getByRole('navigation', { name: 'pages' }).boundingBox()
    t.ok(menu !== null && menu.width <= widths.screen, 'the menu is a row across the top')
    t.same(unexpected(phone.errors), [], 'no script or policy errors')
    await phone.context.close()
  })

  t.same(unexpected(errors), [], 'no script errors and nothing the Content-Security-Policy refused')
})
