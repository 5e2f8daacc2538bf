/**
 * The console live, in headless Chromium against a real gateway process: an admin adds a device and sees
 * it come online when a real MQTT client connects with the secret the page showed; "sync now" reaches the
 * device; a punch published at the terminal appears on the fleet page while it is open (server-sent
 * events: the page polls only while the stream is down, and it is up), beside the 24 h charts; a secret
 * rotated and the device removed.
 */
import t from 'tap'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { addOperator } from './helpers/api-v1.js'
import { gatewayForwardingTo } from './helpers/refusing-sink.js'
import { browserFor, goTo, logIn, openConsole, unexpected } from './helpers/console-page.js'

/**
 * How long the test waits for what the live stream brings. With the stream up the page does not poll, so
 * what shows came over it; how fast is measured in `npm run bench` (docs/BENCHMARKS.md, "Online latency":
 * punch → live event), not here on a shared machine.
 */
const LIVE_WAIT_MS = 30_000

t.test('live: a device added in the console comes online, sync now reaches it, its punch appears', async t => {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  const { gw, data } = await gatewayForwardingTo(t, sink, { allowAnonymous: false })
  const password = await addOperator(data, 'ada', 'admin')

  const browser = await browserFor(t)
  const { page, errors } = await openConsole(browser, gw)
  await logIn(page, 'ada', password)
  await page.locator('[data-live="live"]').waitFor()

  await t.test('the printable health report opens from the header', async t => {
    const [report] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('link', { name: 'Report' }).click()])
    await report.waitForLoadState()
    t.match(await report.textContent('body'), /T-|devices|backlog/i, 'the report, on the session')
    await report.close()
  })

  let secret = ''
  await t.test('a device added in the console comes online on the page when it connects', async t => {
    await goTo(page, 'Devices')
    await page.getByLabel('Device id').fill('T-LIVE')
    await page.getByRole('button', { name: 'Add device' }).click()
    secret = (await page.locator('[data-secret="T-LIVE"]').textContent()) ?? ''
    t.ok(secret.length >= 16, 'its secret, shown once')
    await page.locator('tr[data-device="T-LIVE"][data-online="false"]').waitFor()
    const dev = await connectDevice(gw.mqttUrl, 'T-LIVE', { secret })
    t.teardown(() => dev.close())
    await page.locator('tr[data-device="T-LIVE"][data-online="true"]').waitFor({ timeout: LIVE_WAIT_MS })
    t.pass('online without a reload')
    await page.locator('tr[data-device="T-LIVE"]').getByRole('button', { name: 'Sync now' }).click()
    await page.locator('tr[data-device="T-LIVE"]').getByText('sync asked').waitFor()
    await until(() => dev.commands.length > 0, 'the device to get the sync command')
    t.pass('sync now reached the device')

    await t.test('a punch at the terminal appears on the open fleet page', async t => {
      await goTo(page, 'Fleet')
      await dev.publish(batch('live-1', [1]))
      await page.locator('table[aria-label="punches arriving"] tr', { hasText: 'T-LIVE' }).waitFor({ timeout: LIVE_WAIT_MS })
      t.equal(await page.locator('[data-live]').getAttribute('data-live'), 'live', 'shown while the stream stayed up: it came over the stream, not a poll')
      await page.locator('.chart canvas').nth(1).waitFor()
      t.pass('the 24 h charts drawn (uPlot under the Content-Security-Policy)')
    })

    await t.test('a rotated secret is shown once; a removed device leaves the list', async t => {
      await goTo(page, 'Devices')
      const row = page.locator('tr[data-device="T-LIVE"]')
      await row.getByRole('button', { name: 'Rotate secret' }).click()
      await page.locator('[data-secret="T-LIVE"]', { hasNotText: secret }).waitFor()
      t.pass('a new secret')
      await row.getByRole('button', { name: 'Remove' }).click()
      await row.getByRole('button', { name: 'Really remove T-LIVE' }).click()
      await row.waitFor({ state: 'detached' })
      t.pass('gone from the list')
    })
  })

  t.same(unexpected(errors), [], 'no script errors and nothing the Content-Security-Policy refused')
})
