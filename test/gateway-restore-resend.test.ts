/**
 * Issue 4: "A restore from a backup taken during ingest loses nothing that devices cannot resend."
 * A real gateway process, real device runtimes with file rings punching all along, `punchline backup`
 * while they ingest, more punches acked after it (some forwarded upstream, some not), then stop, `punchline
 * restore --latest`, start on the same ports. The devices' own accepted punches are the ground truth: all
 * of them must be in the resynced file exactly once, and upstream at least once, twice only for punches it
 * had before the restore. The rings are drained before the stop, so only the resend can bring back what the
 * backup lacks. The devices reach the gateway through a link cut before each stop, so the stop does not
 * depend on how the gateway ends live connections (test/gateway-stop.test.ts is about that).
 */
import t from 'tap'
import { join } from 'node:path'
import { pino } from 'pino'
import Database from 'better-sqlite3'
import { startGatewayProcess, cliAsync, type GatewayProcess } from './helpers/gateway-process.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { LinkProxy } from '../fakes/link/netem.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime } from '../device/runtime.js'
import { until as waitFor } from './helpers/wait.js'
import { setTimeout as sleep } from 'node:timers/promises'

const until = async (cond: () => boolean, what: string | (() => string)): Promise<void> => await waitFor(cond, what, 60_000)
const ASKED = 'asked device to resend what the restored database may lack'

interface Terminal { runtime: DeviceRuntime, taken: Set<string> }

function stored (file: string): Map<string, number> {
  const db = new Database(file, { readonly: true })
  try {
    const rows = db.prepare('SELECT device, epoch, seq, count(*) AS n FROM punches GROUP BY device, epoch, seq').all() as Array<{ device: string, epoch: string, seq: number, n: number }>
    return new Map(rows.map(r => [`${r.device}:${r.epoch}:${r.seq}`, r.n]))
  } finally { db.close() }
}

/** Cuts the devices off, stops the gateway and waits for its last log line: all lines before it are read then. */
async function stopAndRead (gw: GatewayProcess, link: LinkProxy): Promise<void> {
  link.cut()
  await gw.stop()
  await until(() => gw.logs.some(l => l.msg === 'gateway stopped'), 'the gateway\'s last log line')
}

t.test('restore of a backup taken during ingest: devices resend what was acked after it', async t => {
  const dir = t.testdir()
  const gwDir = join(dir, 'gw')
  const dbFile = join(gwDir, 'punchline.db')
  const sink = new WebhookUpstream()
  await sink.start()
  let gw: GatewayProcess = await startGatewayProcess({ dataDir: gwDir, upstream: sink.url, allowAnonymous: true })
  const ports = { mqttPort: gw.mqttPort, httpPort: gw.httpPort }
  const link = new LinkProxy({ host: '127.0.0.1', port: gw.mqttPort })
  const linkPort = await link.listen()

  let acked = 0
  /** time commands applied, per device: each says a gateway handled the device coming online */
  const clockSets = new Map<DeviceRuntime, number>()
  const terminals: Terminal[] = Array.from({ length: 4 }, (_, i) => {
    const config = parseDeviceConfig({
      id: `R-${i}`,
      broker: { url: `mqtt://127.0.0.1:${linkPort}` },
      ring: { path: join(dir, `ring-${i}.bin`), capacity: 20_000 },
      uplink: { batchSize: 50, window: 2, backoffCapMs: 300 },
      clock: { trustSystemClock: true },
      duplicateWindowMs: 0
    })
    const runtime = new DeviceRuntime(config, { log: pino({ level: 'silent' }) })
    const taken = new Set<string>()
    runtime.on('outcome', (e: { outcome: { outcome: string, seq?: number } }) => {
      if (e.outcome.outcome === 'accepted') taken.add(`${config.id}:${runtime.ring.epoch}:${e.outcome.seq!}`)
    })
    runtime.uplink.on('acked', (seqs: number[]) => { acked += seqs.length })
    clockSets.set(runtime, 0)
    runtime.on('clock', () => clockSets.set(runtime, clockSets.get(runtime)! + 1))
    return { runtime, taken }
  })
  t.teardown(async () => {
    for (const d of terminals) await d.runtime.stop().catch(() => {})
    await link.close()
    await gw.stop()
    await sink.close()
  })
  for (const d of terminals) await d.runtime.start()

  let punching = true
  let n = 0
  const load = (async () => {
    while (punching) {
      for (const d of terminals) d.runtime.punch({ emp: 'E' + String(1000 + (n++ % 50)), method: 'card' })
      await sleep(10)
    }
  })()
  const allTaken = (): string[] => terminals.flatMap(d => [...d.taken])
  const pending = (): number => terminals.reduce((s, d) => s + d.runtime.ring.stats().pending, 0)

  await until(() => acked >= 400, 'punches acked before the backup')
  const ackedBeforeBackup = acked
  const backup = await cliAsync(['backup', '--data', gwDir])
  const ackedAtBackup = acked
  t.equal(backup.status, 0, backup.stderr)
  t.ok(ackedAtBackup > ackedBeforeBackup, `ingest went on while the backup ran (${ackedBeforeBackup} → ${ackedAtBackup} acked)`)

  // After the backup: punches acked and forwarded upstream, then acked while the upstream refuses them.
  await until(() => acked >= ackedAtBackup + 600, 'punches acked and forwarded after the backup')
  sink.respond(() => ({ status: 503 }))
  const ackedAtOutage = acked
  await until(() => acked >= ackedAtOutage + 400, 'punches acked while the upstream is down')
  punching = false
  await load
  await until(() => pending() === 0, () => `the rings to drain (${pending()} pending)`)
  const taken = allTaken()
  await stopAndRead(gw, link)
  const deliveredBefore = new Set(sink.received.keys())

  const restored = await cliAsync(['restore', '--latest', '--data', gwDir])
  t.equal(restored.status, 0, restored.stderr)
  t.match(restored.stdout, /asked once to resend the punches stored after the backup \(taken .*\), acknowledged ones too.*What cannot come back: punches a device has overwritten/s)
  const inBackup = stored(dbFile)
  const missing = taken.filter(id => !inBackup.has(id))
  t.ok(missing.length >= 500, `the backup lacks punches acked after it (${missing.length} of ${taken.length})`)
  t.ok(missing.some(id => !deliveredBefore.has(id)), 'some of them never reached the upstream before the restore')

  sink.respond(() => ({ status: 200 }))
  gw = await startGatewayProcess({ dataDir: gwDir, upstream: sink.url, allowAnonymous: true, ...ports })
  link.restore()
  await sink.waitFor(() => taken.every(id => sink.received.has(id)), 60_000)
  await stopAndRead(gw, link)
  const asked = gw.logs.filter(l => l.msg === ASKED)

  const after = stored(dbFile)
  t.same(taken.filter(id => after.get(id) !== 1), [], 'every punch the devices took is stored exactly once')
  t.equal(after.size, taken.length, 'and nothing else')
  t.same(asked.map(l => l.device).sort(), terminals.map(d => d.runtime.config.id), 'each device asked once')
  const dupes = [...sink.received].filter(([, c]) => c > 1).map(([id]) => id)
  t.same(dupes.filter(id => !deliveredBefore.has(id)), [], 'duplicates upstream only for punches delivered before the restore')
  t.same(taken.filter(id => !sink.received.has(id)), [], 'every punch reached the upstream')
  t.same(taken.filter(id => !deliveredBefore.has(id) && sink.received.get(id) !== 1), [], 'once, when it had not before the restore')
  t.comment(`taken ${taken.length}, in the backup ${inBackup.size}, acked after it and resent ${missing.length}, ` +
    `delivered upstream before the restore ${deliveredBefore.size}, duplicates upstream ${sink.duplicates}`)
  for (const l of asked) t.comment(`${String(l.device)}: ${JSON.stringify(l.asked)}`)

  // Asked once per restore: a further start asks nothing, though every device comes online again (the
  // time command is sent by the same handler, just before any resend).
  const times = terminals.map(d => clockSets.get(d.runtime)!)
  gw = await startGatewayProcess({ dataDir: gwDir, upstream: sink.url, allowAnonymous: true, ...ports })
  link.restore()
  await until(() => terminals.every((d, i) => clockSets.get(d.runtime)! > times[i]), 'every device to get the time from the restarted gateway')
  await stopAndRead(gw, link)
  t.ok(gw.logs.some(l => l.msg.startsWith('this database was restored')), 'the restarted gateway still knows the file was restored')
  t.same(gw.logs.filter(l => l.msg === ASKED), [], 'and asks no device again')
})
