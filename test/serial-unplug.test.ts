/**
 * Unplugging: socat killed under the runtime's open port is a USB adapter pulled out. The input must say
 * so, keep trying, count the reconnect when a new socat brings the same path back, and read again.
 */
import t from 'tap'
import { FakeRdm6300 } from '../fakes/hardware/fake-rdm6300.js'
import { FakeR307 } from '../fakes/hardware/fake-r307.js'
import { PtyPair } from '../fakes/hardware/pty-pair.js'
import { createSerialInput } from '../device/inputs/serial/index.js'
import type { InputState } from '../device/inputs/input.js'
import { inputOnPty, quietLog, until } from './helpers/serial.js'

t.test('rdm6300: unplugged, the input goes to error and retries; plugged back, it reconnects and reads', async t => {
  const rig = await inputOnPty(t, { name: 'door', kind: 'rdm6300', debounceMs: 0 })
  const fake = await FakeRdm6300.open(rig.pair.b)
  await fake.present(1)
  await until(() => rig.reads.length === 1, 'read before the unplug')

  await rig.pair.close()
  await fake.close()
  await until(() => rig.input.state === 'error', 'error state after the unplug')
  await until(() => rig.input.stats().errors >= 2, 'failed reopen attempts counted')
  t.equal(rig.input.stats().reconnects, 0)

  rig.pair = await PtyPair.start(rig.dir)
  await until(() => rig.input.state === 'open', 'open again', 15_000)
  t.equal(rig.input.stats().reconnects, 1)
  t.same(rig.states, ['opening', 'open', 'error', 'open'])

  const again = await FakeRdm6300.open(rig.pair.b)
  t.teardown(() => again.close())
  await again.present(2, { chunkSize: 4, gapMs: 10 })
  await until(() => rig.reads.length === 2, 'read after the reconnect')
  t.same(rig.reads.map(r => r.emp), ['0000000001', '0000000002'])
})

t.test('r307: the fingerprint loop stops with the port and polls again after the reconnect', async t => {
  const rig = await inputOnPty(t, { name: 'finger', kind: 'r307', r307: { pollMs: 20, commandTimeoutMs: 300 } })
  const fake = await FakeR307.open(rig.pair.b)
  fake.putFinger(5)
  await until(() => rig.reads.length === 1, 'read before the unplug')
  await rig.pair.close()
  await fake.close()
  await until(() => rig.input.state === 'error', 'error state')

  rig.pair = await PtyPair.start(rig.dir)
  await until(() => rig.input.state === 'open', 'open again', 15_000)
  const again = await FakeR307.open(rig.pair.b)
  t.teardown(() => again.close())
  await until(() => again.module.count(0x01) >= 2, 'polling resumed')
  again.putFinger(6)
  await until(() => rig.reads.length === 2, 'read after the reconnect')
  t.same(rig.reads.map(r => r.emp), ['5', '6'])
  t.equal(rig.input.stats().reconnects, 1)
})

t.test('a reader not plugged in at start-up: error, then open once it appears (not a reconnect)', async t => {
  const dir = t.testdir()
  const input = createSerialInput({ name: 'late', kind: 'rdm6300', path: `${dir}/a` }, { log: quietLog })
  const states: InputState[] = []
  input.on('state', (s: InputState) => states.push(s))
  let pair: PtyPair | undefined
  t.teardown(async () => { await input.stop(); await pair?.close() })
  await input.start()
  t.equal(input.state, 'error')
  pair = await PtyPair.start(dir)
  await until(() => input.state === 'open', 'opened once the path exists', 15_000)
  t.equal(input.stats().reconnects, 0)
  t.ok(input.stats().errors >= 1)
  const fake = await FakeRdm6300.open(pair.b)
  t.teardown(() => fake.close())
  await fake.present(3)
  await until(() => input.stats().reads === 1, 'read')
  t.same(states, ['opening', 'error', 'open'])
})

t.test('stop() while retrying ends the retries', async t => {
  const dir = t.testdir()
  const input = createSerialInput({ name: 'gone', kind: 'nmea', path: `${dir}/a` }, { log: quietLog })
  await input.start()
  await until(() => input.stats().errors >= 2, 'retrying')
  await input.stop()
  t.equal(input.state, 'closed')
  const pair = await PtyPair.start(dir)
  t.teardown(() => pair.close())
  const errors = input.stats().errors
  await new Promise(resolve => setTimeout(resolve, 600))
  t.equal(input.state, 'closed', 'not reopened')
  t.equal(input.stats().errors, errors)
})
