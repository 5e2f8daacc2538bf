/**
 * A full database with a real gateway process: a device publishes until the storage budget is reached,
 * the gateway stops acknowledging (the device keeps the batch), says so in /api/alarms, /metrics and the
 * log; once the upstream takes the backlog, retention purges it, the gateway resumes by itself, and the
 * held batch is acknowledged, stored and delivered once.
 *
 * Why the budget (storage.maxDbBytes) and not the disk floor: making room on a real disk from a test needs
 * either root (a small tmpfs or loop mount) or a floor set just under the disk's current free space, which
 * every other process on a shared machine moves. The budget is the same guard, the same refusal and the
 * same alarm, and the room a purge makes is the database's own: deterministic here.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch, type TestDevice } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import type { ActiveAlarms } from '../gateway/health-watch.js'
import type { HealthSnapshot } from '../gateway/health.js'

const BUDGET = 1024 * 1024
const EPOCH = '9f2c41d0'

type Body = Record<string, unknown> & { id: string, punches: Array<{ seq: number }> }

/** Publishes a batch and waits for the gateway's answer: its ack, or the connection dropped without one. */
async function offer (dev: TestDevice, body: Body): Promise<'acked' | 'refused'> {
  let closed = false
  const onClose = (): void => { closed = true }
  dev.client.once('close', onClose)
  dev.client.publish(`att/v1/${dev.id}/punches`, JSON.stringify(body), { qos: 1 })
  const acked = (): boolean => dev.acks.some(a => a.id === body.id)
  await until(() => closed || acked(), `an ack or a disconnect for ${body.id}`, 20_000)
  dev.client.removeListener('close', onClose)
  return acked() ? 'acked' : 'refused'
}

async function getJson<T> (gw: GatewayProcess, path: string): Promise<T> {
  return await (await gw.api(path)).json() as T
}

async function metrics (gw: GatewayProcess): Promise<string> {
  return await (await fetch(gw.httpUrl + '/metrics')).text()
}

function storedCount (file: string, seqs: readonly number[]): number {
  // Read-only next to the running gateway: WAL lets a reader in without blocking its writer.
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare("SELECT count(*) AS n FROM punches WHERE device = 'D-1' AND epoch = ? AND seq BETWEEN ? AND ?")
      .get(EPOCH, seqs[0], seqs[seqs.length - 1]) as { n: number }).n
  } finally {
    db.close()
  }
}

t.test('storage full: no ack, the device keeps the batch, an alarm; room again: resumes by itself', async t => {
  const dir = t.testdir()
  const data = join(dir, 'data')
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  // The upstream is down while the database fills: nothing is delivered, so retention may purge nothing.
  sink.respond(() => ({ status: 503 }))
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({
    storage: { maxDbBytes: BUDGET, minFreeBytes: 0, checkIntervalMs: 100 },
    // about 86 ms: a delivered punch is purgeable almost at once (retention runs on every check while full)
    retention: { deliveredDays: 1e-6, intervalMinutes: 60 },
    alarms: { intervalSeconds: 0.2 },
    forward: { backoffBaseMs: 50, backoffCapMs: 200, lingerMs: 10 },
    backup: { intervalHours: 0 }
  }))
  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  const file = join(data, 'punchline.db')

  let seq = 0
  const nextBatch = (n: number): Body => batch(`b-${seq}`, Array.from({ length: n }, () => ++seq)) as Body
  let dev = await connectDevice(gw.mqttUrl, 'D-1')
  t.teardown(() => dev.close())
  // A refusal counts once the verdict holds: over the budget with the WAL given back. While a reader keeps
  // the guard's truncating checkpoint from completing, the WAL's bytes count; once it completes there may
  // be room again (real room: the WAL's bytes are free), and the device sends the batch again.
  const settled = async (): Promise<'full' | 'room'> => {
    let verdict: 'full' | 'room' | undefined
    await until(async () => {
      const s = (await getJson<HealthSnapshot>(gw, '/api/health')).storage
      verdict = s.full === null ? 'room' : s.walBytes === 0 ? 'full' : undefined
      return verdict !== undefined
    }, 'the storage verdict to hold: full with the WAL checkpointed, or room')
    return verdict!
  }
  let held: Body | undefined
  let acked = 0
  let next = nextBatch(200)
  while (held === undefined && acked < 500) {
    if (await offer(dev, next) === 'acked') {
      acked++
      next = nextBatch(200)
    } else if (await settled() === 'full') {
      held = next
    } else {
      await dev.close()
      dev = await connectDevice(gw.mqttUrl, 'D-1')
    }
  }
  t.ok(held !== undefined, `the gateway stopped acknowledging after ${acked} batches of 200`)
  const heldSeqs = held!.punches.map(p => p.seq)
  t.notOk(dev.acks.some(a => a.id === held!.id), 'no ack for the batch')
  t.equal(storedCount(file, heldSeqs), 0, 'and none of it stored: the device still holds it')

  // The alarms are evaluated on their own interval: one taken just before the file filled says warning
  // (near the budget); the next one says critical, and stays so while nothing can be purged.
  await until(async () => (await getJson<ActiveAlarms>(gw, '/api/alarms')).alarms.some(a => a.name === 'storage' && a.severity === 'critical'), 'a critical storage alarm')
  const alarm = (await getJson<ActiveAlarms>(gw, '/api/alarms')).alarms.find(a => a.name === 'storage')!
  t.equal(alarm.severity, 'critical')
  t.match(alarm.message, /ingest stopped, database: [\d.]+ MiB over the 1 MiB budget/)
  const m = await metrics(gw)
  t.match(m, /^punchline_storage_full 1$/m)
  t.match(m, /^punchline_alarm\{name="storage",severity="critical"\} 1$/m)
  t.match(m, /^punchline_batches_refused_total\{reason="storage-full"\} [1-9]/m)
  t.match((await getJson<HealthSnapshot>(gw, '/api/health')).storage, { maxDbBytes: BUDGET, full: /^database: / })
  t.ok(gw.logs.some(l => l.level === 50 && l.msg.startsWith('storage full: ingest stopped')), 'one error line says so')

  // The device tries again on a new connection (what its uplink does after a drop): still refused.
  await dev.close()
  dev = await connectDevice(gw.mqttUrl, 'D-1')
  t.equal(await offer(dev, held!), 'refused', 'still full while nothing can be purged')
  await dev.close()

  // The upstream is back: the backlog drains, retention purges it, the guard finds room.
  sink.respond(() => ({ status: 200 }))
  await until(() => gw.logs.some(l => l.msg === 'storage has room again: ingest resumed'), () => 'the gateway to resume: ' + JSON.stringify(gw.logs.slice(-5)), 30_000)
  // Delivery itself frees pages (delivered punches leave the pending table, migration 5); retention purges
  // the punches while the guard is still full. Either may be what brings the file under its budget.
  const purged = gw.logs.some(l => l.msg === 'retention: delivered punches purged' && (l.purged as number) > 0)
  const resumed = gw.logs.find(l => l.msg === 'storage has room again: ingest resumed')
  const freed = (resumed?.usage as { freePageBytes?: number } | undefined)?.freePageBytes ?? 0
  t.ok(purged || freed > 0, 'a purge or the delivery made the room')

  let answer: 'acked' | 'refused' = 'refused'
  await until(async () => {
    dev = await connectDevice(gw.mqttUrl, 'D-1')
    answer = await offer(dev, held!)
    if (answer === 'refused') await dev.close()
    return answer === 'acked'
  }, 'the held batch to be acknowledged', 30_000, 100)
  const ack = dev.acks.find(a => a.id === held!.id)!
  t.same((ack as { ok: unknown }).ok, [[heldSeqs[0], heldSeqs[heldSeqs.length - 1]]], 'every punch of the held batch acknowledged')
  t.equal(storedCount(file, heldSeqs), heldSeqs.length, 'stored once')
  const ids = heldSeqs.map(s => `D-1:${EPOCH}:${s}`)
  await sink.waitFor(() => ids.every(id => sink.received.get(id) !== undefined), 20_000)
  t.ok(ids.every(id => sink.received.get(id) === 1), 'and delivered once')

  // Cleared as critical; a warning may follow, since the purge stopped at room for ingest, near the budget.
  const critical = async (): Promise<boolean> => (await getJson<ActiveAlarms>(gw, '/api/alarms')).alarms.some(a => a.name === 'storage' && a.severity === 'critical')
  // Near the budget the guard may find the file full again for a moment (the held batch came in, retention
  // purges what is delivered): wait for a moment where the view and the gauges agree it is not.
  let after = ''
  await until(async () => {
    after = await metrics(gw)
    return !(await critical()) && /^punchline_storage_full 0$/m.test(after) && /^punchline_alarm\{name="storage",severity="critical"\} 0$/m.test(after)
  }, () => 'the critical storage alarm to clear, in the view and the gauges: ' + (/^punchline_(storage_full|alarm\{name="storage".*) .*$/gm.exec(after)?.[0] ?? ''))
  t.ok(gw.logs.some(l => l.alarm === 'storage' && ((l.msg === 'alarm cleared: storage' && l.severity === 'critical') || (l.was === 'critical' && l.severity === 'warning'))),
    'the end of the critical alarm is logged (cleared, or eased to a warning)')
})
