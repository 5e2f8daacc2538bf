/**
 * What the gateway creates is its own (issue 13, low): under a default umask (022) the data directory is
 * 0700 and the database, its -wal and -shm, backups, the lock and pid files are 0600: they hold punches,
 * badge numbers and device secret hashes. Backups leave no .partial-wal / .partial-shm (or -wal / -shm)
 * beside them, and rotation removes those an earlier version or a crash left. Before the fix the files
 * were 0644, the directory 0755, and every backup left two stray files that were never removed.
 */
import t from 'tap'
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startGatewayProcess, cli } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8)

t.test('data dir 0700; database, WAL, shm, backups, lock and pid files 0600; no stray backup files', async t => {
  // Inherited by the gateway and CLI processes this test starts.
  const before = process.umask(0o022)
  t.teardown(() => { process.umask(before) })
  const dir = join(t.testdir(), 'data')
  const gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  const dev = await connectDevice(gw.mqttUrl, 'M-1')
  t.teardown(() => dev.close())
  await dev.publish(batch('b1', [1, 2, 3]))
  await dev.ackFor('b1')

  // Left by earlier versions (every check of a WAL-mode copy) and by a crashed backup, an hour and more ago.
  const backups = join(dir, 'backups')
  t.equal(cli(['backup', '--data', dir]).status, 0)
  const old = readdirSync(backups).find(n => n.endsWith('.db'))!
  const strays = [`${old}-wal`, `${old}-shm`, 'punchline-20200101T000000000Z.db.partial', 'punchline-20200101T000000000Z.db.partial-wal', 'punchline-20200101T000000000Z.db.partial-shm']
  for (const s of strays) {
    writeFileSync(join(backups, s), '')
    utimesSync(join(backups, s), new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000))
  }
  const out = cli(['backup', '--data', dir, '--keep', '1'])
  t.equal(out.status, 0, out.stderr)

  t.equal(mode(dir), '700', 'data dir')
  for (const f of ['punchline.db', 'punchline.db-wal', 'punchline.db-shm', 'gateway.lock', 'gateway.pid']) t.equal(mode(join(dir, f)), '600', f)
  t.equal(mode(backups), '700', 'backups dir')
  const left = readdirSync(backups)
  t.equal(left.length, 1, `only the newest backup is left: ${left.join(', ')}`)
  t.match(left[0], /^punchline-\d{8}T\d{9}Z\.db$/)
  t.equal(mode(join(backups, left[0])), '600', 'the backup')
})
