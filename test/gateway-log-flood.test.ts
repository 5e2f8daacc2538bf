/**
 * One device that sends thousands of bad messages must not fill the gateway's log (issue 13: one device
 * wrote 319 MB of log in 15 s until the storage guard stopped ingest for everyone). A real gateway process
 * writes its log to a file, as under a supervisor; a device floods rejected punches, unreadable batches,
 * unreadable statuses and refused subscriptions. The log keeps a bounded number of lines about it, the
 * metrics count every line left out, and another device is still served.
 */
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI } from './helpers/gateway-process.js'
import { connectDevice, batch, type TestDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import type { BatchAck } from '../shared/codec/ack.js'

interface Line { msg: string, device?: string, client?: string, [k: string]: unknown }

function readLog (file: string): Line[] {
  const out: Line[] = []
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text === '') continue
    try { out.push(JSON.parse(text) as Line) } catch { /* a partial last line */ }
  }
  return out
}

async function metric (httpUrl: string, re: RegExp): Promise<number> {
  const text = await (await fetch(httpUrl + '/metrics')).text()
  const m = re.exec(text)
  return m === null ? 0 : Number(m[1])
}

const REJECTED_BATCHES = 8
const PER_BATCH = 500
const UNREADABLE = 400
const BAD_STATUSES = 400
const REFUSED_SUBSCRIPTIONS = 300

let child: ChildProcess
let logFile: string
let httpUrl: string
let mqttUrl: string

t.before(async () => {
  const dir = t.testdir()
  logFile = join(dir, 'gateway.log')
  const fd = openSync(logFile, 'a')
  child = spawn(process.execPath, [CLI, 'gateway', '--data', dir, '--mqtt-port', '0', '--http-port', '0', '--allow-anonymous'], {
    env: { ...process.env, PUNCHLINE_LOG_LEVEL: 'info' },
    stdio: ['ignore', fd, 'inherit']
  })
  closeSync(fd)
  let ready: Line | undefined
  await until(() => (ready = readLog(logFile).find(l => l.msg === 'gateway ready')) !== undefined, 'gateway ready in its log file', 20_000)
  httpUrl = `http://127.0.0.1:${ready!.httpPort as number}`
  mqttUrl = `mqtt://127.0.0.1:${ready!.mqttPort as number}`
})

t.teardown(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise(resolve => child.once('exit', resolve))
  }
})

t.test('a flooding device gets a bounded number of log lines; the rest are counted; others are still acked', async t => {
  const flood: TestDevice = await connectDevice(mqttUrl, 'FLOOD-1')
  t.teardown(() => flood.close())
  const other = await connectDevice(mqttUrl, 'CALM-1')
  t.teardown(() => other.close())

  for (let b = 0; b < REJECTED_BATCHES; b++) {
    const seqs = Array.from({ length: PER_BATCH }, (_, i) => b * PER_BATCH + i + 1)
    const body = batch(`bad-${b}`, seqs)
    for (const p of body.punches as Array<Record<string, unknown>>) p.ts = 5
    await flood.publish(body)
  }
  for (let i = 0; i < UNREADABLE; i++) await flood.publish(`not json ${i}`)
  for (let i = 0; i < BAD_STATUSES; i++) await flood.publish(`{"v":1,"online":"maybe-${i}"}`, 'att/v1/FLOOD-1/status')
  for (let i = 0; i < REFUSED_SUBSCRIPTIONS; i++) {
    await flood.client.subscribeAsync(`att/v1/OTHER-${i}/acks`, { qos: 1 }).catch(() => undefined)
  }
  await flood.ackFor(`bad-${REJECTED_BATCHES - 1}`)

  await other.publish(batch('calm-1', [1, 2, 3]))
  const ack = await other.ackFor('calm-1') as BatchAck
  t.same(ack.ok, [[1, 3]], 'the other device is still served')

  await until(async () => await metric(httpUrl, /punchline_rejects_total\{field="status"\} (\d+)/) >= BAD_STATUSES, 'every status handled')
  await until(async () => await metric(httpUrl, /punchline_batches_total\{result="unreadable"\} (\d+)/) >= UNREADABLE, 'every unreadable batch handled')

  const suppressed = async (kind: string): Promise<number> =>
    await metric(httpUrl, new RegExp(`punchline_log_suppressed_total\\{kind="${kind}"\\} (\\d+)`))
  const counts = {
    punch: await suppressed('punch-rejected'),
    batch: await suppressed('batch-unreadable'),
    status: await suppressed('status-unreadable'),
    subscribe: await suppressed('acl-subscribe')
  }

  // Stop the gateway so its log is flushed to the file, then read what it wrote about the flooding device.
  child.kill('SIGTERM')
  await new Promise(resolve => child.once('exit', resolve))
  const lines = readLog(logFile)
  const about = lines.filter(l => l.device === 'FLOOD-1' || l.client === 'FLOOD-1')
  const byMsg = (msg: string): number => about.filter(l => l.msg === msg).length
  t.comment(`lines about the flooding device: ${about.length} of ${lines.length}; suppressed ${JSON.stringify(counts)}`)
  t.ok(about.length <= 20, `at most 20 lines about the flooding device (got ${about.length})`)

  // Every message of the flood either wrote its line or was counted as suppressed.
  t.equal(byMsg('punch rejected') + counts.punch, REJECTED_BATCHES * PER_BATCH, 'rejected punches: logged + suppressed = all')
  t.equal(byMsg('unreadable punch batch') + counts.batch, UNREADABLE, 'unreadable batches: logged + suppressed = all')
  t.equal(byMsg('unreadable status') + counts.status, BAD_STATUSES, 'unreadable statuses: logged + suppressed = all')
  t.equal(byMsg('subscription refused by ACL') + counts.subscribe, REFUSED_SUBSCRIPTIONS, 'refused subscriptions: logged + suppressed = all')
  t.ok(byMsg('punch rejected') >= 1, 'the first rejected punch is still logged, with its reason')
  t.match(about.find(l => l.msg === 'punch rejected'), { reason: /^ts: must be an integer/ })
})
