/**
 * The console's Terminals page in headless Chromium against a real gateway process with its ADMS listener
 * and a fake ZKTeco terminal over real HTTP: an admin registers the terminal (an offset for a zone refused
 * with the API's field and rule); the terminal shakes hands and its heartbeat runs at the pace the gateway
 * gives it; the page shows it online with its clock set; INFO queued on the page reaches it at a heartbeat
 * and its answer shows; a line it posts that cannot be read shows under its problems; hr sees the problems
 * but no admin action; a viewer, on a phone, sees the list without any; the admin removes it, told that its
 * punches stay.
 */
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { startGatewayProcess, writeGatewayConfig } from './helpers/gateway-process.js'
import { freePort } from './helpers/ports.js'
import { addOperator } from './helpers/api-v1.js'
import { browserFor, goTo, logIn, openConsole, unexpected } from './helpers/console-page.js'
import { FakeZkTerminal } from '../fakes/zkteco/terminal.js'
import { PHONE } from '../scripts/console-browser.js'

const SN = 'CJDE2039600'
/** The gateway tells terminals to call every adms.delaySeconds; one second keeps the test short. */
const DELAY_SECONDS = 1

/** The terminal's heartbeat, every `Delay` seconds as its handshake said, until stopped (as a terminal does). */
function heartbeats (terminal: FakeZkTerminal): () => Promise<void> {
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      await terminal.heartbeat()
      await sleep(Number(terminal.options.Delay ?? DELAY_SECONDS) * 1000)
    }
  })()
  return async () => { stopped = true; await loop }
}

t.test('terminals in the console: register, online with its clock set, INFO answered, a bad line, roles', async t => {
  const dir = t.testdir()
  const admsPort = await freePort()
  const passwords = { admin: await addOperator(dir, 'ada', 'admin'), hr: await addOperator(dir, 'hana', 'hr'), viewer: await addOperator(dir, 'vic', 'viewer') }
  const config = writeGatewayConfig(dir, { adms: { delaySeconds: DELAY_SECONDS } })
  const gw = await startGatewayProcess({ dataDir: dir, args: ['--adms-port', String(admsPort), '--config', config] })
  const terminal = new FakeZkTerminal({ sn: SN, server: `http://127.0.0.1:${admsPort}`, zone: 'Asia/Ho_Chi_Minh' })
  let stopHeartbeats = async (): Promise<void> => {}
  t.teardown(async () => { await stopHeartbeats(); terminal.close(); await gw.stop() })

  const browser = await browserFor(t)
  const { page, errors } = await openConsole(browser, gw)
  await logIn(page, 'ada', passwords.admin)
  await goTo(page, 'Terminals')
  await page.getByText('No terminals yet.').waitFor()
  const row = page.locator(`tr[data-terminal="${SN}"]`)

  await t.test('an admin registers it; an offset for a zone is refused with the API\'s field and rule', async t => {
    const form = page.getByRole('form', { name: 'register a terminal' })
    await form.getByLabel('Serial number').fill(SN)
    await form.getByLabel('Zone').fill('+07:00')
    await form.getByRole('button', { name: 'Register terminal' }).click()
    t.match(await form.getByRole('alert').textContent(), /^body\.zone: \+07:00 is not an IANA time zone name.*\(rule: zone\)$/)
    await form.getByLabel('Zone').fill('Asia/Ho_Chi_Minh')
    await form.getByRole('button', { name: 'Register terminal' }).click()
    await row.waitFor()
    t.match(await row.textContent(), new RegExp(`${SN}zk-${SN}Asia/Ho_Chi_Minhoffline.*never.*not set.*from the start`))
  })

  await t.test('it shakes hands, its heartbeat runs: online, its clock set by the gateway', async t => {
    t.equal((await terminal.handshake()).status, 200)
    t.equal(terminal.options.Delay, String(DELAY_SECONDS), 'the pace the gateway gave it')
    stopHeartbeats = heartbeats(terminal)
    await page.locator(`tr[data-terminal="${SN}"][data-online="true"][data-clock="set"]`).waitFor()
    t.match(await row.textContent(), /online.*s ago.*Ver 8\.0\.4\.2.*set \d{4}-\d\d-\d\d/, 'online, heard from, its firmware, its clock set')
  })

  await t.test('INFO queued on the page reaches it at a heartbeat; its answer shows', async t => {
    await page.getByRole('region', { name: `terminal ${SN}` }).waitFor()
    t.equal(await row.getByRole('button').textContent(), 'Close', 'opened on the page when registered')
    const commands = page.getByRole('region', { name: 'commands' })
    await commands.getByRole('combobox').selectOption('info')
    await commands.getByRole('button', { name: 'Queue command' }).click()
    await commands.locator('tr[data-done="true"]', { hasText: 'TransactionCount=' }).waitFor()
    t.ok(terminal.commands.some(c => c.command === 'INFO' && c.result === 0), 'the terminal ran INFO')
    t.match(await commands.locator('tr', { hasText: 'TransactionCount=' }).textContent(), /INFOdone [\s\S]*~DeviceName=FAKE-ZK/)
  })

  await t.test('a line it sent that cannot be read shows under its problems', async t => {
    const res = await fetch(`http://127.0.0.1:${admsPort}/iclock/cdata?SN=${SN}&table=ATTLOG&Stamp=1`, { method: 'POST', body: '7\t2026-13-01 08:00:00\t0\t1\n' })
    t.equal(res.status, 200)
    const problem = page.getByRole('region', { name: 'lines that could not be read' }).locator('tr[data-problem-field="time"]')
    await problem.waitFor()
    t.match(await problem.textContent(), /1time.*7\t2026-13-01 08:00:00\t0\t1$/, 'line, field, rule and the line as sent')
  })

  await t.test('a zone changed on the page', async t => {
    const form = page.getByRole('form', { name: 'change its zone' })
    await form.getByLabel('Zone').fill('Asia/Tokyo')
    await form.getByRole('button', { name: 'Change zone' }).click()
    await row.getByText('Asia/Tokyo').waitFor()
    t.pass('the list shows the new zone')
  })

  await t.test('hr sees its problems, no admin action', async t => {
    const hr = await openConsole(browser, gw)
    await logIn(hr.page, 'hana', passwords.hr)
    await goTo(hr.page, 'Terminals')
    await hr.page.locator(`tr[data-terminal="${SN}"] button`, { hasText: 'Open' }).click()
    await hr.page.locator('tr[data-problem-field="time"]').waitFor()
    for (const name of ['Register terminal', 'Queue command', 'Change zone', 'Remove terminal']) {
      t.equal(await hr.page.getByRole('button', { name }).count(), 0, `no ${name}`)
    }
    t.same(unexpected(hr.errors), [], 'no script errors')
    await hr.context.close()
  })

  await t.test('a viewer on a phone sees the list without the admin buttons, within the screen\'s width', async t => {
    const viewer = await openConsole(browser, gw, PHONE)
    await logIn(viewer.page, 'vic', passwords.viewer)
    await goTo(viewer.page, 'Terminals')
    await viewer.page.locator(`tr[data-terminal="${SN}"][data-online="true"]`).waitFor()
    t.equal(await viewer.page.getByRole('button', { name: 'Register terminal' }).count(), 0, 'nothing to register')
    t.equal(await viewer.page.locator('table[aria-label="terminals"] button').count(), 0, 'no terminal to open, change or remove')
    const widths = await viewer.page.evaluate('({ page: document.documentElement.scrollWidth, screen: window.innerWidth })') as { page: number, screen: number }
    t.ok(widths.page <= widths.screen, `no sideways scrolling (${widths.page} <= ${widths.screen})`)
    t.same(unexpected(viewer.errors), [], 'no script errors')
    await viewer.context.close()
  })

  await t.test('removed after a confirmation that says its punches stay', async t => {
    await page.getByRole('button', { name: 'Remove terminal' }).click()
    const confirm = page.getByRole('alertdialog', { name: `remove ${SN}` })
    t.match(await confirm.textContent(), /Its stored punches stay/)
    await confirm.getByRole('button', { name: `Really remove ${SN}` }).click()
    await row.waitFor({ state: 'detached' })
    t.equal((await terminal.handshake()).status, 403, 'the gateway refuses it from then on')
  })

  t.same(unexpected(errors), [], 'no script errors and nothing the Content-Security-Policy refused')
})
