/**
 * A terminal with a card reader on a real PTY (socat): a card presented at the fake reader becomes a
 * punch at the gateway and upstream, and `doctor` listening to the same port tells a clean line from a
 * noisy one.
 */
import t from 'tap'
import { join } from 'node:path'
import { pino } from 'pino'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { PtyPair } from '../fakes/hardware/pty-pair.js'
import { FakeRdm6300 } from '../fakes/hardware/fake-rdm6300.js'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime, type PunchEvent } from '../device/runtime.js'
import { createInputs } from '../device/inputs/index.js'
import { runChecks } from '../device/doctor.js'
import { PassThrough } from 'node:stream'

const log = pino({ level: 'silent' })

t.test('card reader on a PTY → ring → gateway → upstream; doctor sees the line', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), upstream: sink.url, allowAnonymous: true })
  const pair = await PtyPair.start(dir)
  t.teardown(async () => { await pair.close(); await gw.stop(); await sink.close() })

  const config = parseDeviceConfig({
    id: 'T-HW',
    broker: { url: gw.mqttUrl },
    ring: { path: join(dir, 'ring.bin'), capacity: 1000 },
    clock: { trustSystemClock: true },
    inputs: [{ kind: 'rdm6300', name: 'door', path: pair.a }]
  })
  const runtime = new DeviceRuntime(config, { log, inputs: createInputs(config.inputs, { log, stdin: new PassThrough() }) })
  const events: PunchEvent[] = []
  runtime.on('outcome', (e: PunchEvent) => events.push(e))
  await runtime.start() // opens the runtime's end first: serialport flushes on open
  const reader = await FakeRdm6300.open(pair.b)
  await reader.present(1234567)
  await sink.waitFor(() => sink.received.size === 1, 15_000)
  t.match(events, [{ input: 'door', emp: '0001234567', method: 'card', outcome: { outcome: 'accepted', seq: 1 } }])
  t.match([...sink.punches.values()], [{ emp: '0001234567', method: 'card', device: 'T-HW', flags: [] }])
  await runtime.stop()

  // The doctor opens the same port itself (the runtime is stopped) and listens.
  const doctorInputs = createInputs(config.inputs, { log, stdin: new PassThrough() })
  const listening = runChecks(config, { log, inputs: doctorInputs, listenMs: 1500 })
  setTimeout(() => { reader.write(Buffer.from('line noise')).then(() => reader.presentBadChecksum(42)).catch(() => {}) }, 500)
  const checks = await listening
  await reader.close()
  t.match(checks.find(c => c.name === 'input door'), { verdict: 'warn', detail: /1 bad checksum\(s\), 10 noise byte\(s\).*baud rate/ })
  t.match(checks.find(c => c.name === 'ring'), { verdict: 'ok', detail: /0 of 1000 slots waiting/ })
})
