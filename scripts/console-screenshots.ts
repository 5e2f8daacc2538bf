/**
 * Screenshots of each page of the web console into docs/console/ (`npm run docs:screenshots`, after a
 * build): a real gateway on a temporary data dir with a real upstream that refuses one punch, a few MQTT
 * devices that report their status and punch, an admin made with the CLI, and headless Chromium
 * (scripts/console-browser.ts) at a desk screen's size and, for two pages, a phone's. ZKTeco terminals
 * push to its ADMS listener: fake ones (fakes/zkteco/terminal.ts) over real HTTP.
 *
 * Names given after the command make only those shots (`npm run docs:screenshots -- terminals devices`,
 * `fleet-phone`, `login`, `nodes`: a cluster's console, console-screenshot-nodes.ts); none makes them all.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import type { Page } from 'playwright-core'
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from '../faults/gateway-process.js'
import { punchlineBin } from '../sim/hardware-mode/device-child.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { FakeZkTerminal } from '../fakes/zkteco/terminal.js'
import { launchChromium, PHONE } from './console-browser.js'
import { shootNodes } from './console-screenshot-nodes.js'

const OUT = fileURLToPath(new URL('../docs/console/', import.meta.url))
const DESK = { viewport: { width: 1280, height: 860 } }
/** The badge whose punch the upstream refuses, so the dead-letter page has one. */
const REFUSED_BADGE = '0417'
/** A short history interval and a spell of upstream outage give the charts a shape in seconds. */
const SAMPLE_SECONDS = 1
const OUTAGE_MS = 8000
const TRAFFIC_MS = 16_000

const DEVICES = [
  { id: 'T-0001', fill: 0.02, battery: 1, online: true },
  { id: 'T-0002', fill: 0.86, battery: 0.64, online: true },
  { id: 'W-0100', fill: 0.1, battery: 0.41, online: true },
  { id: 'T-0003', fill: 0.3, battery: 0.9, online: false }
]

/** Connects the device, reports its status and a few punches; answers its client while it stays online. */
async function seedDevice (url: string, d: typeof DEVICES[number], i: number): Promise<mqtt.MqttClient | undefined> {
  const client = await mqtt.connectAsync(url, { clientId: d.id, protocolVersion: 4, reconnectPeriod: 0 })
  const capacity = 10_000
  const now = Date.now()
  await client.publishAsync(`att/v1/${d.id}/status`, JSON.stringify({
    v: 1,
    online: true,
    fw: '1.4.2',
    epoch: 'a1b2c3d4',
    clock: { synced: true, offsetMs: 12 * (i + 1) },
    ring: { capacity, pending: Math.round(capacity * d.fill), oldestPendingTs: now - 3_600_000 * (i + 1), overwritten: 0, refused: 0 },
    battery: d.battery
  }), { qos: 1, retain: true })
  const punches = Array.from({ length: 6 }, (_, k) => ({
    seq: k + 1,
    ts: k === 5 ? now - 30 * 3_600_000 : now - (6 - k) * 600_000,
    emp: i === 1 && k === 2 ? REFUSED_BADGE : String(1000 + i * 10 + k),
    // One punch per device synced 30 h late: flagged late-sync, so the review queue has some.
    kind: k % 2 === 0 ? 'in' : 'out',
    method: d.id.startsWith('W') ? 'gps' : 'card'
  }))
  await client.publishAsync(`att/v1/${d.id}/punches`, JSON.stringify({ v: 1, id: `${d.id}-1`, epoch: 'a1b2c3d4', tz: 0, punches }), { qos: 1 })
  if (d.online) return client
  await client.publishAsync(`att/v1/${d.id}/status`, JSON.stringify({ v: 1, online: false }), { qos: 1, retain: true })
  await client.endAsync()
  return undefined
}

/** What shows that each page has loaded what it shows. */
const READY: Record<string, string> = {
  fleet: '[data-tile="online"]',
  approvals: 'table[aria-label="flagged punches"] tbody tr',
  punches: 'table[aria-label="punches"] tbody tr',
  'dead-letters': 'table[aria-label="dead letters"] tbody tr',
  devices: 'tr[data-device]',
  terminals: 'tr[data-terminal][data-online="true"][data-clock="set"]',
  operators: 'tr[data-name="ada"]',
  audit: 'tr[data-audit]'
}

/**
 * A punch a second from each online device, the upstream down for the first `OUTAGE_MS`; resolves after
 * `TRAFFIC_MS` with a function that stops it (it goes on meanwhile, so the fleet page has punches arriving).
 */
async function traffic (clients: Array<{ id: string, client: mqtt.MqttClient }>, upstream: WebhookUpstream): Promise<() => Promise<void>> {
  const start = Date.now()
  let seq = 100
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      if (Date.now() - start > OUTAGE_MS) upstream.respond(refuseOne)
      seq++
      await Promise.all(clients.map(async ({ id, client }) => await client.publishAsync(`att/v1/${id}/punches`, JSON.stringify({
        v: 1, id: `t-${seq}`, epoch: 'a1b2c3d4', tz: 0, punches: [{ seq, ts: Date.now(), emp: String(2000 + seq % 40), kind: seq % 2 === 0 ? 'in' : 'out', method: 'card' }]
      }), { qos: 1 })))
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  })()
  await new Promise(resolve => setTimeout(resolve, TRAFFIC_MS))
  return async () => { stopped = true; await loop }
}

/** Two make-up requests waiting for hr, filed with the site token as an integration would. */
async function fileMakeups (gw: GatewayProcess): Promise<void> {
  const hour = 3_600_000
  for (const [emp, ago, kind, reason, evidence] of [
    ['1002', 3 * hour, 'in', 'badge left at home', 'seen by the shift lead, Ana'],
    ['1024', 5 * hour, 'out', 'terminal at gate 2 was off', 'ticket IT-4411']
  ] as const) {
    const at = new Date(Date.now() - ago).toISOString().replace('Z', '+00:00')
    const res = await gw.api('/api/v1/makeups', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ emp, ts: at, kind, reason, evidence }) })
    if (res.status !== 201) throw new Error(`make-up for ${emp}: ${res.status} ${await res.text()}`)
  }
}

function refuseOne (req: Parameters<Parameters<WebhookUpstream['respond']>[0]>[0]): { status: number, body?: string } {
  return req.body?.punches.some(p => p.emp === REFUSED_BADGE) === true ? { status: 422, body: '{"error":"unknown employee 0417"}' } : { status: 200 }
}

/** The shots named on the command line, or all of them. */
const WANTED = process.argv.slice(2)
const wanted = (name: string): boolean => WANTED.length === 0 || WANTED.includes(name)

/**
 * Three terminals registered over the API: two call (one sent a line that cannot be read, one answered
 * INFO), one never has. Returns the online ones; the caller closes them.
 */
async function seedTerminals (gw: GatewayProcess, admsPort: number): Promise<FakeZkTerminal[]> {
  const register = async (sn: string, zone: string, device?: string): Promise<void> => {
    const res = await gw.api('/api/v1/terminals', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sn, zone, device }) })
    if (res.status !== 201) throw new Error(`terminal ${sn}: ${res.status} ${await res.text()}`)
  }
  await register('CJDE203960077', 'Asia/Ho_Chi_Minh', 'gate-1')
  await register('BOCK194260011', 'Asia/Ho_Chi_Minh')
  await register('AEWD180960235', 'Europe/Berlin', 'berlin-lobby')
  const terminals = [
    new FakeZkTerminal({ sn: 'CJDE203960077', server: `http://127.0.0.1:${admsPort}`, zone: 'Asia/Ho_Chi_Minh', firmware: 'Ver 8.0.4.2-20220126' }),
    new FakeZkTerminal({ sn: 'BOCK194260011', server: `http://127.0.0.1:${admsPort}`, zone: 'Asia/Ho_Chi_Minh', firmware: 'Ver 6.60 Apr 12 2019' })
  ]
  for (const [i, terminal] of terminals.entries()) {
    await terminal.handshake()
    for (let k = 0; k < 4 + i * 3; k++) terminal.punch(String(1001 + k), { state: k % 2 })
    await terminal.uploadAll()
    await terminal.heartbeat() // takes the gateway's clock
  }
  const [gate] = terminals
  await fetch(`http://127.0.0.1:${admsPort}/iclock/cdata?SN=${gate.sn}&table=ATTLOG&Stamp=9`, { method: 'POST', body: '1007\t2026-13-01 08:00:00\t0\t1\n\t2026-12-07 08:01:12\t0\t1\n' })
  await gw.api(`/api/v1/terminals/${gate.sn}/commands`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"command":"info"}' })
  await gate.heartbeat()
  return terminals
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

async function shoot (page: Page, name: string, route: string, fullPage: boolean): Promise<void> {
  await page.getByRole('navigation', { name: 'pages' }).locator(`a[href="#/${route}"]`).click()
  if (route === 'punches') await page.getByRole('button', { name: 'Search' }).click()
  await page.locator(READY[route]).first().waitFor()
  if (route === 'fleet') await page.locator('table[aria-label="punches arriving"] tbody tr').nth(2).waitFor()
  if (route === 'terminals') {
    await page.locator('tr[data-terminal="CJDE203960077"]').getByRole('button', { name: 'Open' }).click()
    await page.locator('tr[data-done="true"]', { hasText: 'TransactionCount=' }).waitFor()
    await page.locator('tr[data-problem-field]').first().waitFor()
  }
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage })
  console.log(`docs/console/${name}.png`)
}

const dir = mkdtempSync(join(tmpdir(), 'punchline-shots-'))
const upstream = new WebhookUpstream()
await upstream.start()
upstream.respond(refuseOne)
const config = writeGatewayConfig(dir, { history: { sampleSeconds: SAMPLE_SECONDS }, forward: { lingerMs: 10 }, alarms: { intervalSeconds: 1 } })
const admsPort = await freePort()
const gw = await startGatewayProcess({ dataDir: join(dir, 'data'), upstream: upstream.url, allowAnonymous: true, args: ['--config', config, '--adms-port', String(admsPort)] })
const browser = await launchChromium()
let stopTraffic = async (): Promise<void> => {}
let terminals: FakeZkTerminal[] = []
try {
  const made = spawnSync(process.execPath, [punchlineBin(), 'operators', 'add', 'ada', '--role', 'admin', '--data', join(dir, 'data'), '--json'], { encoding: 'utf8' })
  const password = (JSON.parse(made.stdout) as { password: string }).password
  const online: Array<{ id: string, client: mqtt.MqttClient }> = []
  for (const [i, d] of DEVICES.entries()) {
    const client = await seedDevice(gw.mqttUrl, d, i)
    if (client !== undefined) online.push({ id: d.id, client })
  }
  await fileMakeups(gw)
  terminals = await seedTerminals(gw, admsPort)
  // The charts need a spell of traffic and an outage; only the fleet's shots show them.
  if (wanted('fleet') || wanted('fleet-phone')) {
    upstream.respond(() => ({ status: 503 }))
    stopTraffic = await traffic(online, upstream)
  }
  mkdirSync(OUT, { recursive: true })

  for (const [size, options, pages] of [
    ['', DESK, ['fleet', 'approvals', 'punches', 'dead-letters', 'devices', 'terminals', 'operators', 'audit']],
    ['-phone', PHONE, ['fleet', 'punches']]
  ] as const) {
    const shots = pages.filter(route => wanted(route + size))
    if (shots.length === 0 && !(size === '' && wanted('login'))) continue
    const context = await browser.newContext(options)
    const page = await context.newPage()
    await page.goto(gw.httpUrl + '/')
    if (size === '' && wanted('login')) await page.screenshot({ path: join(OUT, 'login.png') })
    await page.getByLabel('Name').fill('ada')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('navigation', { name: 'pages' }).waitFor()
    for (const route of shots) await shoot(page, route + size, route, size === '')
    await context.close()
  }
  if (wanted('nodes')) await shootNodes(browser, dir, OUT)
} finally {
  await stopTraffic()
  for (const terminal of terminals) terminal.close()
  await browser.close()
  await gw.stop()
  await upstream.close()
  rmSync(dir, { recursive: true, force: true })
}
