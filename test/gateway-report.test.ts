/**
 * `punchline report` (the built CLI) against a real database holding devices, a backlog, dead letters of
 * both kinds, flagged punches and a backup: the text an operator reads and the JSON a script reads; then
 * next to a running gateway, which goes on acknowledging while the report reads.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { DeviceStore } from '../gateway/store/device-store.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { PunchStore } from '../gateway/store/punch-store.js'
import { backupDatabase } from '../gateway/store/backup.js'
import type { HealthSnapshot } from '../gateway/health.js'
import type { Alarm } from '../gateway/alarms.js'
import { cli, cliAsync, startGatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'

const MIN = 60_000
type Report = HealthSnapshot & { alarms: Alarm[] }

function store (db: Db, device: string, seqs: number[], received: number, flags = ''): void {
  const punches = new PunchStore(db)
  punches.write(() => {
    for (const seq of seqs) {
      punches.insert({ device, epoch: '9f2c41d0', tz: 480, punch: { seq, ts: received - MIN, emp: `E${seq}`, kind: 'in', method: 'card', clock: 'synced' }, flags }, received)
    }
  })
}

/** A site a little out of shape: every section of the report has something to say. */
async function site (dir: string): Promise<void> {
  const now = Date.now()
  const db = openDatabase(join(dir, 'punchline.db'))
  try {
    const devices = new DeviceStore(db)
    await devices.add('T-1', 'secret-0001', now - 30 * 86_400_000)
    devices.saveStatus('T-1', {
      v: 1,
      online: true,
      clock: { synced: true, offsetMs: 300_000 },
      battery: 0.5,
      ring: { capacity: 100, pending: 85, oldestPendingTs: null, overwritten: 0, refused: 0 }
    }, now - MIN)
    devices.saveStatus('T-2', { v: 1, online: false }, now - 5 * 60 * MIN)
    devices.flush()

    const outbox = new ForwardStore(db)
    store(db, 'T-1', [1, 2, 3], now - 2 * 86_400_000, 'expired') // outside the 24 h window
    store(db, 'T-1', [4, 5], now - 60 * MIN, 'late-sync')
    store(db, 'T-1', [6], now - 60 * MIN, 'clock-unsynced,manual')
    outbox.complete(outbox.formBatch(6, now - 60 * MIN)!.key)
    store(db, 'T-1', [7, 8], now - 60 * MIN)
    outbox.deadLetter(outbox.formBatch(1, now)!.key, 422, 'bad employee', now) // 7: refused
    const held = outbox.formBatch(1, now)!
    outbox.park([held.firstId], 'unknown-badge', now) // 8: waits for a roster entry
    outbox.complete(held.key)
    store(db, 'T-2', [1, 2, 3, 4], now - 40 * MIN) // pending: no upstream takes them

    await backupDatabase(db, join(dir, 'backups'), 7, now - 60 * MIN)
  } finally {
    db.close()
  }
}

/** A config without the disk floor: this machine's free space must not add a storage alarm. */
async function noFloor (dir: string): Promise<string> {
  const file = join(dir, 'gateway.json')
  await writeFile(file, JSON.stringify({ storage: { minFreeBytes: 0 } }))
  return file
}

t.test('text: alarms first, then devices, backlog, flags, storage and backups', async t => {
  const dir = t.testdir()
  await site(dir)
  const r = cli(['report', '--data', dir, '--config', await noFloor(dir)])
  t.equal(r.status, 0, r.stderr)
  const out = r.stdout
  t.match(out, /^punchline report: gateway \S+ at \d{4}-/)
  t.match(out, /ALARMS \(5\)\n {2}SEVERITY +ALARM +DEVICE +WHAT TO DO\n/)
  for (const [name, device] of [['backlog-old', '-'], ['clock-offset', 'T-1'], ['dead-letters', '-'], ['device-silent', 'T-2'], ['ring-nearly-full', 'T-1']]) {
    t.match(out, new RegExp(`\\n {2}WARNING +${name} +${device} +\\S`), `${name} ${device}`)
  }
  t.match(out, /DEVICES \(2: 1 online, 1 offline or unknown\)/)
  t.match(out, /\n {2}T-1 +online +\S+ \(1 min ago\) +85 % \(85 \/ 100\) +\+5 min +50 %\n/)
  t.match(out, /\n {2}T-2 +offline +\S+ \(5 h ago\) +- +- +-\n/)
  t.match(out, /pending punches {2}4 - no upstream configured/)
  t.match(out, /oldest pending {3}stored 40 min ago/)
  t.match(out, /dead letters {5}refused 1, unmapped 1/)
  t.match(out, /FLAGS \(last 24 h\)\n {2}FLAG +PUNCHES\n {2}late-sync +2\n {2}clock-unsynced +1\n {2}manual +1\n\n/)
  t.notMatch(out, /expired/, 'flags older than 24 h are not counted')
  t.match(out, /ingest +accepting/)
  t.match(out, /disk +[\d.]+ \w+ free of [\d.]+ \w+; no floor/, 'the config file was read')
  t.match(out, /BACKUPS \(1\)\n.*\n {2}\S+ \(1 h ago\) +[\d.]+ KiB +\S+punchline-\d{8}T\d{9}Z\.db/)
})

t.test('--json: the snapshot and its alarms, for scripts', async t => {
  const dir = t.testdir()
  await site(dir)
  const r = cli(['report', '--data', dir, '--json', '--config', await noFloor(dir)])
  t.equal(r.status, 0, r.stderr)
  const report = JSON.parse(r.stdout) as Report
  t.match(report.devices, [
    { id: 'T-1', online: true, ring: { pending: 85, capacity: 100, fill: 0.85 }, clockOffsetMs: 300_000, battery: 0.5 },
    { id: 'T-2', online: false, ring: null, clockOffsetMs: null, battery: null }
  ])
  t.match(report.backlog, { pendingPunches: 4, batches: 0 })
  t.ok(report.backlog.oldestPendingAgeMs! >= 40 * MIN)
  t.same(report.deadLetters, { refused: 1, unmapped: 1 })
  t.same(report.flags24h, { 'late-sync': 2, 'clock-unsynced': 1, manual: 1 })
  t.equal(report.backups.length, 1)
  t.equal(report.storage.full, null)
  t.same(report.alarms.map(a => `${a.name}/${a.subject ?? ''}/${a.severity}`),
    ['backlog-old//warning', 'clock-offset/T-1/warning', 'dead-letters//warning', 'device-silent/T-2/warning', 'ring-nearly-full/T-1/warning'])
})

t.test('no database: a clear error, not an empty report', async t => {
  const r = cli(['report', '--data', t.testdir()])
  t.equal(r.status, 1)
  t.match(r.stderr, /no database at .*punchline\.db: nothing to report \(check --data\)/)
})

t.test('next to a running gateway: the report reads, the gateway keeps acknowledging', async t => {
  const dir = t.testdir()
  const gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  t.teardown(() => gw.stop())
  const dev = await connectDevice(gw.mqttUrl, 'R-1')
  t.teardown(() => dev.close())
  await dev.publish(batch('b-1', [1, 2, 3]))
  await dev.ackFor('b-1')
  // The gateway writes last-seen times once a second (device-store.ts): wait for the device's row.
  const db = openDatabase(join(dir, 'punchline.db'), { readonly: true })
  t.teardown(() => db.close())
  const row = db.prepare('SELECT id FROM devices WHERE id = ?')
  await until(() => row.get('R-1') !== undefined, 'the device\'s row written', 10_000, 50)
  const [r] = await Promise.all([cliAsync(['report', '--data', dir, '--json']), (async () => {
    await dev.publish(batch('b-2', [4, 5]))
    await dev.ackFor('b-2')
  })()])
  t.equal(r.status, 0, r.stderr)
  const report = JSON.parse(r.stdout) as Report
  t.same(report.devices.map(d => d.id), ['R-1'])
  t.ok(report.backlog.pendingPunches >= 3, `${report.backlog.pendingPunches} punches wait (no upstream)`)
  await dev.publish(batch('b-3', [6]))
  t.same((await dev.ackFor('b-3') as { ok: unknown }).ok, [[6, 6]], 'and the gateway still acknowledges after it')
})
