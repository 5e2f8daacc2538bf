/**
 * Backups and damaged files with a real gateway process and real SQLite files: an online backup while
 * devices publish, rotation, a restore (refused while the gateway runs), and a corrupt database at start
 * moved aside with a clear log line instead of a crash loop.
 */
import t from 'tap'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { startGatewayProcess, cli, cliAsync } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { checkIntegrity } from '../gateway/store/backup.js'

const count = (file: string): number => {
  const db = new Database(file, { readonly: true })
  try { return (db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n } finally { db.close() }
}

t.test('online backup during ingest, rotation, restore', async t => {
  const dir = t.testdir()
  let gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  const dev = await connectDevice(gw.mqttUrl, 'B-1')
  let seq = 0
  const publishSome = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const id = `b-${seq}`
      await dev.publish(batch(id, Array.from({ length: 50 }, () => ++seq)))
      await dev.ackFor(id)
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  }
  await publishSome(4)
  const during = publishSome(20) // keeps ingesting while the backups run
  const outputs = []
  for (let i = 0; i < 3; i++) outputs.push(await cliAsync(['backup', '--data', dir, '--keep', '2']))
  await during
  for (const o of outputs) t.match(o.stdout, /backup written: .*punchline-\d{8}T\d{9}Z\.db .*integrity checked/, o.stderr)
  const backups = readdirSync(join(dir, 'backups')).filter(n => n.endsWith('.db'))
  t.equal(backups.length, 2, 'only the newest two are kept')
  for (const b of backups) t.equal(checkIntegrity(join(dir, 'backups', b)), undefined, `${b} is whole`)
  t.match(cli(['backup', 'list', '--data', dir]).stdout, /MiB .*punchline-/)

  const refused = cli(['restore', '--latest', '--data', dir])
  t.not(refused.status, 0)
  t.match(refused.stderr, /is running .*stop it first/)

  await dev.close()
  await gw.stop()
  const live = count(join(dir, 'punchline.db'))
  t.equal(live, 24 * 50)
  const restored = cli(['restore', '--latest', '--data', dir])
  t.equal(restored.status, 0, restored.stderr)
  t.match(restored.stdout, /restored .* the previous file is kept as .*before-restore-/)
  const back = count(join(dir, 'punchline.db'))
  t.ok(back >= 4 * 50 && back <= live, `the restored file holds what was stored when the backup was taken (${back} of ${live})`)
  t.equal(back % 50, 0, 'a snapshot holds whole committed batches, never part of one')
  gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  const health = await fetch(gw.httpUrl + '/healthz')
  t.equal(health.status, 200)
})

t.test('a corrupt database is moved aside and the gateway starts', async t => {
  const dir = t.testdir()
  let gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  await gw.stop()
  // Garbage over the whole file: what a dying SD card leaves behind.
  writeFileSync(join(dir, 'punchline.db'), Buffer.alloc(64 * 1024, 0x5a))
  gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  const line = gw.logs.find(l => l.msg.startsWith('database failed its integrity check'))
  t.ok(line, 'one clear log line says what happened and what to do')
  t.match(line, { level: 50, keptAs: /punchline\.db\.corrupt-/, msg: /punchline restore/ })
  t.ok(existsSync(String(line?.keptAs)), 'the damaged file is kept for recovery')
  t.equal((await fetch(gw.httpUrl + '/healthz')).status, 200, 'and the gateway serves')
})

t.test('a corrupt database: device credentials and the roster come back from the newest backup', async t => {
  const dir = t.testdir()
  const secret = cli(['devices', 'add', 'K-1', '--data', dir]).stdout.trim().split(' ')[1]
  t.equal(cli(['roster', 'add', '1234', 'EMP-1', '--device', 'K-1', '--data', dir]).status, 0)
  t.equal(cli(['backup', '--data', dir]).status, 0)
  writeFileSync(join(dir, 'punchline.db'), Buffer.alloc(64 * 1024, 0x5a))
  const gw = await startGatewayProcess({ dataDir: dir })
  t.teardown(async () => await gw.stop())
  t.match(gw.logs.find(l => l.msg === 'device registry and roster taken from the newest backup'), { devices: 1, roster: 1 })
  const dev = await connectDevice(gw.mqttUrl, 'K-1', { secret })
  t.teardown(() => dev.close())
  await dev.publish(batch('b1', [1]))
  t.match(await dev.ackFor('b1'), { ok: [[1, 1]] }, 'the registered device connects with its old secret and is served')
  await t.rejects(connectDevice(gw.mqttUrl, 'K-1', { secret: 'wrong-secret-123' }), 'credentials are still checked')
  t.match(cli(['roster', 'list', '--data', dir]).stdout, /device:K-1\t1234\tEMP-1/)
})
