/**
 * The BLE input through real node-ble, over a private dbus-daemon, against the fake BlueZ and its
 * watches: discovery, connect, notifications as reads, acks with the runtime's outcome, resends that are
 * re-acked and never punched twice, reconnects after a link loss or a walk out of range, bad frames
 * counted, and a stop that lets the process exit.
 */
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { startPrivateDbus } from './helpers/private-dbus.js'
import { FakeBluez, type FakeWatch, type FakeWatchOptions } from '../fakes/hardware/fake-bluez.js'
import { createBleInput, crc16, encodePunchFrame, fragmentFrame, type BleInput, type PunchFrame } from '../device/inputs/ble/index.js'
import type { InputRead, InputState, PunchOutcome } from '../device/inputs/input.js'
import { until as waitFor } from './helpers/wait.js'

const until = async (cond: () => boolean, what: string, ms = 20_000): Promise<void> => await waitFor(cond, what, ms)

const log = pino({ level: 'silent' })
const A = 'AA:BB:CC:DD:EE:01'
const TS = Date.UTC(2026, 10, 23, 8, 0)
const punch = (n: number, more: Partial<PunchFrame> = {}): PunchFrame => ({ n, ts: TS + n * 60_000, emp: `E${n}`, method: 'ble', ...more })

interface Rig {
  bluez: FakeBluez
  busAddress: string
  watch: FakeWatch
  input: BleInput
  reads: InputRead[]
  states: InputState[]
  /** decides each read's outcome; undefined leaves the read unanswered */
  answer: (read: InputRead) => PunchOutcome | undefined
}

async function rig (t: Test, watch: FakeWatchOptions): Promise<Rig> {
  const bus = await startPrivateDbus()
  process.env.DBUS_SYSTEM_BUS_ADDRESS = bus.address
  const bluez = await FakeBluez.start({ busAddress: bus.address })
  const input = createBleInput({ name: 'watches', peers: [watch.address], pollMs: 50, findTimeoutMs: 1_000, stepTimeoutMs: 5_000, healthCheckMs: 200, backoff: { baseMs: 20, capMs: 200 } }, { log })
  let seq = 0
  const r: Rig = { bluez, busAddress: bus.address, watch: bluez.addWatch(watch), input, reads: [], states: [], answer: () => ({ outcome: 'accepted', seq: ++seq }) }
  input.on('read', (read: InputRead) => {
    r.reads.push(read)
    const outcome = r.answer(read)
    if (outcome !== undefined) read.reply?.(outcome)
  })
  input.on('state', (s: InputState) => r.states.push(s))
  t.teardown(async () => {
    await input.stop()
    await r.bluez.stop()
    await bus.stop()
  })
  await input.start()
  return r
}

t.test('a watch is discovered and connected; its punches become reads and each is acked with its outcome', async t => {
  const { bluez, watch, input, reads, states } = await rig(t, {
    address: A,
    punches: [
      punch(1, { kind: 'in', clock: 'synced', loc: { lat: 31.2304, lon: 121.4737, acc: 12 } }),
      punch(2, { method: 'manual', manual: { reason: 'badge left at home' }, clock: 'unsynced' }),
      punch(3, { emp: 'Zoë', kind: 'break-out' })
    ]
  })
  await until(() => watch.acks.length === 3, 'three acks')
  t.ok(bluez.discoveryStarts >= 1, 'the input started a discovery')
  t.equal(bluez.discovering, false, 'and stopped it once connected')
  t.same(reads.map(r => ({ ...r, reply: undefined })), [
    { input: 'watches', emp: 'E1', method: 'ble', ts: TS + 60_000, kind: 'in', clock: 'synced', loc: { lat: 31.2304, lon: 121.4737, acc: 12 }, reply: undefined },
    { input: 'watches', emp: 'E2', method: 'manual', ts: TS + 120_000, clock: 'unsynced', manual: { reason: 'badge left at home' }, reply: undefined },
    { input: 'watches', emp: 'Zoë', method: 'ble', ts: TS + 180_000, kind: 'break-out', reply: undefined }
  ], 'every field of the frame reaches the read, with the watch clock')
  t.same(watch.acks, [{ n: 1, outcome: 'accepted', seq: 1 }, { n: 2, outcome: 'accepted', seq: 2 }, { n: 3, outcome: 'accepted', seq: 3 }])
  t.same(watch.pending, [], 'the watch freed every acked punch')
  t.equal(input.state, 'open')
  t.same(states.slice(0, 1), ['opening'])

  watch.punch(punch(4))
  await until(() => watch.acks.length === 4, 'the live punch acked')
  t.equal(reads[3].emp, 'E4', 'a punch made while connected is read at once')
  t.match(input.stats(), { frames: 4, reads: 4, debounced: 0, badChecksum: 0, noiseBytes: 0, errors: 0 })
})

t.test('notifications sent before StartNotify has returned are read, even when fragmented', async t => {
  const { watch, input, reads } = await rig(t, { address: A, eager: true, punches: [punch(1, { emp: 'E'.repeat(40) }), punch(2, { loc: { lat: 1, lon: 2, acc: 3 } })] })
  await until(() => watch.acks.length === 2, 'both acked')
  t.same(reads.map(r => r.emp), ['E'.repeat(40), 'E2'])
  t.equal(input.stats().noiseBytes, 0)
})

t.test('the outcome goes back: duplicate-read and refusals, and storage-full is tried again later', async t => {
  const r = await rig(t, { address: A, mtu: 185 })
  const { watch, reads } = r
  await until(() => watch.subscribed, 'subscribed')
  r.answer = (read) => read.emp === 'E1'
    ? { outcome: 'duplicate-read', previousSeq: 40 }
    : { outcome: 'refused', reason: 'storage-full', message: 'ring full' }
  watch.punch(punch(1))
  watch.punch(punch(2))
  await until(() => watch.acks.length === 2, 'two acks')
  t.same(watch.acks, [{ n: 1, outcome: 'duplicate-read', seq: 40 }, { n: 2, outcome: 'storage-full', seq: 0 }])
  t.same(watch.pending, [2], 'the watch keeps the punch the device had no room for')

  r.answer = () => ({ outcome: 'accepted', seq: 41 })
  watch.resend()
  await until(() => watch.acks.length === 3, 'the retry acked')
  t.same(watch.acks[2], { n: 2, outcome: 'accepted', seq: 41 })
  t.equal(reads.length, 3, 'a punch refused for storage is read again when resent')
  t.same(watch.pending, [])
})

t.test('a frame sent again is acked again with the first outcome and never read twice', async t => {
  const r = await rig(t, { address: A, punches: [punch(1)] })
  const { watch, input, reads } = r
  await until(() => watch.acks.length === 1, 'first ack')
  watch.sendAgain(1)
  await until(() => watch.acks.length === 2, 'the re-ack')
  t.same(watch.acks[1], watch.acks[0], 'the same outcome and seq again')
  t.equal(reads.length, 1, 'one read only')
  t.equal(input.stats().debounced, 1)

  // The runtime has not answered yet when the link drops; the watch resends on reconnect.
  const held: InputRead[] = []
  r.answer = (read) => { held.push(read); return undefined }
  watch.punch(punch(2))
  await until(() => held.length === 1, 'the read of n=2')
  watch.disconnect()
  await until(() => input.stats().reconnects === 1 && input.stats().debounced === 2, 'reconnect and the resend of n=2')
  t.equal(reads.length, 2, 'the resend while the first copy is with the runtime is not read again')
  t.same(watch.pending, [2])
  held[0].reply?.({ outcome: 'accepted', seq: 2 })
  await until(() => watch.pending.length === 0, 'n=2 freed')
  t.same(watch.acks.at(-1), { n: 2, outcome: 'accepted', seq: 2 }, 'the late outcome is written on the new link')
})

t.test('the input reconnects after the link drops and after the watch leaves and comes back', async t => {
  const { watch, input, reads, states } = await rig(t, { address: A, punches: [punch(1)] })
  await until(() => watch.acks.length === 1, 'first ack')

  watch.disconnect()
  await until(() => input.stats().reconnects === 1 && input.state === 'open', 'reconnected after a link loss')
  t.ok(states.includes('error'), 'the loss was reported')

  watch.disappear()
  await until(() => input.state === 'error', 'reported lost')
  watch.punch(punch(2))
  await until(() => input.stats().errors >= 1, 'an attempt failed while the watch was away')
  t.equal(reads.length, 1, 'nothing read while away')
  watch.appear()
  await until(() => watch.acks.length === 2, 'the punch made while away is acked')
  t.equal(reads[1].emp, 'E2')
  t.equal(input.stats().reconnects, 2)
  t.equal(input.state, 'open')
  t.ok(watch.connects >= 3, 'a new connection each time')
})

t.test('a BlueZ that dies without a word is noticed, and the input connects to the one that comes back', async t => {
  const r = await rig(t, { address: A, punches: [punch(1)] })
  await until(() => r.watch.acks.length === 1, 'first ack')
  await r.bluez.stop()
  await until(() => r.input.state === 'error', 'the silent loss noticed by the health check')
  r.bluez = await FakeBluez.start({ busAddress: r.busAddress })
  const watch = r.bluez.addWatch({ address: A, punches: [punch(2)] })
  await until(() => watch.acks.length === 1, 'the ack from the new BlueZ')
  t.same(watch.acks, [{ n: 2, outcome: 'accepted', seq: 2 }])
  t.equal(r.input.stats().reconnects, 1)
  t.equal(r.input.state, 'open')
})

t.test('a watch out of range at start is found once it comes into range', async t => {
  const { watch, input, states } = await rig(t, { address: A, present: false, punches: [punch(1)] })
  await until(() => input.stats().errors >= 2, 'two failed attempts')
  t.equal(input.state, 'error')
  t.same(states.slice(0, 2), ['opening', 'error'])
  watch.appear()
  await until(() => watch.acks.length === 1, 'the ack')
  t.equal(input.stats().reconnects, 0, 'a first connection is no reconnect')
})

t.test('bad frames and stray fragments are counted, answered where possible, and harmless', async t => {
  const { watch, input, reads } = await rig(t, { address: A })
  await until(() => watch.subscribed, 'subscribed')
  const good = (encodePunchFrame(punch(77)) as { bytes: Buffer }).bytes

  const badCrc = Buffer.from(good)
  badCrc[badCrc.length - 1] ^= 0xff
  watch.sendFrameBytes(badCrc)
  await until(() => input.stats().badChecksum === 1, 'the checksum failure counted')

  const badKind = Buffer.from(good)
  badKind[12] = 9
  badKind.writeUInt16BE(crc16(badKind, 0, badKind.length - 2), badKind.length - 2)
  watch.sendFrameBytes(badKind)
  await until(() => watch.acks.length === 1, 'the refusal')
  t.same(watch.acks[0], { n: 77, outcome: 'invalid', seq: 0 }, 'a readable n with a bad field is refused as invalid')
  t.equal(input.stats().errors, 1)

  const parts = fragmentFrame(Buffer.concat([good, Buffer.alloc(30)]), 23)
  watch.sendRaw(parts[1])
  await until(() => input.stats().noiseBytes === parts[1].length, 'the stray fragment counted as noise')

  watch.punch(punch(78))
  await until(() => watch.acks.length === 2, 'a good punch after all that')
  t.same(reads.map(r => r.emp), ['E78'], 'only the good frame became a read')
  t.equal(input.state, 'open')
})

const CHILD = fileURLToPath(new URL('./fixtures/ble-stop-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

for (const mode of ['after-read', 'while-looking'] as const) {
  t.test(`stop() disconnects and destroys node-ble, and the process exits (${mode})`, async t => {
    const bus = await startPrivateDbus()
    const bluez = await FakeBluez.start({ busAddress: bus.address })
    t.teardown(async () => { await bluez.stop(); await bus.stop() })
    const watch = bluez.addWatch({ address: A, present: mode === 'after-read', punches: [punch(1)] })
    // The child loads TypeScript the way this test process does (tap's loader, from execArgv), so the
    // coverage it reports maps onto the same compiled code as ours.
    const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address }
    const child = spawn(process.execPath, [...process.execArgv, CHILD, mode, A], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const exit = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(-1) }, 30_000)
      child.once('exit', (code) => { clearTimeout(timer); resolve(code) })
    })
    t.equal(exit, 0, `the child exits by itself after stop() (output: ${out.trim()})`)
    t.match(out, /stopped/)
    if (mode === 'after-read') {
      t.same(watch.acks, [{ n: 1, outcome: 'accepted', seq: 1 }], 'it had connected and acked')
      t.equal(watch.connected, false, 'stop() disconnected the watch')
    } else {
      t.equal(watch.connects, 0)
    }
  })
}
