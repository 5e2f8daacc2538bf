/**
 * The simulator's in-process site link (fakes/link/memory-link.ts over fakes/link/memory-wire.ts): the transport
 * of fleets too large for a TCP connection per device. The wire behaves like a socket pair (never
 * delivers inside write, keeps order under latency, an end or a reset reaches the far side); the link
 * carries the device's real uplink into a real gateway's broker, and a cut is an outage the uplink rides
 * out without losing or doubling a punch.
 */
import t from 'tap'
import { once } from 'node:events'
import { join } from 'node:path'
import { pino } from 'pino'
import { memoryWire, refusedWire } from '../fakes/link/memory-wire.js'
import { MemoryLink } from '../fakes/link/memory-link.js'
import { connectLiteOver } from '../sim/fleet/lite-client.js'
import { defaultConfig } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { createMemoryRing } from '../device/ring/index.js'
import { Uplink } from '../device/uplink.js'
import { until } from './helpers/wait.js'

const log = pino({ level: 'silent' })

t.test('the wire delivers in a later turn, in order, and carries an end and a reset across', async t => {
  const { client, server } = memoryWire()
  const got: string[] = []
  server.on('data', (b: Buffer) => got.push(b.toString()))
  client.write('a')
  client.write('b')
  t.same(got, [], 'nothing arrives inside write()')
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setImmediate(resolve))
  t.same(got.join(''), 'ab', 'what one turn wrote arrives together')
  const ended = once(server, 'end')
  client.end('c')
  await ended
  t.equal(got.join(''), 'abc', 'the end comes after the data')

  const pair = memoryWire()
  const closed = once(pair.server, 'close')
  pair.client.destroy()
  await closed
  t.ok(pair.server.destroyed, 'a reset closes the far side')
})

t.test('latency with jitter delays chunks but never reorders them', async t => {
  let n = 0
  const { client, server } = memoryWire(() => [30, 0, 15, 5, 0][n++ % 5])
  const got: string[] = []
  server.on('data', (b: Buffer) => got.push(b.toString()))
  const started = Date.now()
  for (const x of ['1', '2', '3', '4', '5']) {
    client.write(x)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  await until(() => got.join('').length === 5, 'all chunks', 2000)
  t.equal(got.join(''), '12345')
  t.ok(Date.now() - started >= 25, 'the first chunk waited its latency')
})

t.test('a refused wire fails like a refused TCP connect: later, with ECONNREFUSED', async t => {
  const end = refusedWire()
  t.notOk(end.destroyed, 'not at once')
  const [err] = await once(end, 'error') as [NodeJS.ErrnoException]
  t.equal(err.code, 'ECONNREFUSED')
})

t.test('the real uplink through the link into a real gateway: punches acked once, a cut ridden out', async t => {
  const cfg = defaultConfig()
  cfg.dataDir = join(t.testdir(), 'gateway')
  cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0 }
  cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
  cfg.allowAnonymous = true
  cfg.backup = { ...cfg.backup, intervalHours: 0 }
  const gw = new Gateway(cfg, { log })
  let up = false
  const link = new MemoryLink(() => up ? (socket) => gw.acceptConnection(socket) : undefined)
  const refusedEarly = link.open()
  const [early] = await once(refusedEarly, 'error') as [NodeJS.ErrnoException]
  t.equal(early.code, 'ECONNREFUSED', 'no gateway yet: refused')
  await gw.start()
  up = true
  t.teardown(async () => { await link.close(); await gw.stop() })

  const ring = createMemoryRing({ capacity: 100 })
  const uplink = new Uplink({
    url: 'mqtt://memory-link/site',
    deviceId: 'M-1',
    ring,
    log,
    backoff: { baseMs: 20, capMs: 100 },
    connect: connectLiteOver(() => link.open())
  })
  uplink.start()
  t.teardown(async () => await uplink.stop())
  const punch = (i: number): void => { ring.append({ emp: `E${i}`, ts: Date.now(), kind: 'in', method: 'card', clock: 'synced' }); uplink.kick() }
  await until(() => uplink.connected, 'online', 5000)
  for (let i = 1; i <= 5; i++) punch(i)
  await until(() => ring.stats().pending === 0, 'first five acked', 5000)

  link.cut()
  t.ok(link.down)
  await until(() => !uplink.connected, 'the cut is seen', 5000)
  for (let i = 6; i <= 10; i++) punch(i)
  await new Promise(resolve => setTimeout(resolve, 200))
  t.equal(ring.stats().pending, 5, 'nothing goes while the link is down')
  link.restore()
  await until(() => ring.stats().pending === 0, 'the rest acked after the link is back', 5000)

  const rows = gw.db.prepare("SELECT count(*) AS n, count(DISTINCT seq) AS d FROM punches WHERE device = 'M-1'").get() as { n: number, d: number }
  t.same(rows, { n: 10, d: 10 }, 'every punch stored once')
  t.equal(link.cuts, 1)
})
