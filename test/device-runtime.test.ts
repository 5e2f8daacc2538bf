/**
 * The device runtime's decisions without a gateway: duplicate reads, storage full, GPS stamping, the
 * clock (unsynced punches carry their uptime; a jump is reported, stored punches untouched), keypad
 * lines, the outcome every read gets, and config errors that name their field.
 */
import t, { type Test } from 'tap'
import { PassThrough } from 'node:stream'
import { EventEmitter } from 'node:events'
import { pino } from 'pino'
import { parseDeviceConfig } from '../device/config.js'
import { DeviceRuntime, type PunchEvent } from '../device/runtime.js'
import { createMemoryRing } from '../device/ring/index.js'
import { KeypadInput } from '../device/inputs/keypad.js'
import { emptyInputStats, type Input, type InputState, type PunchOutcome } from '../device/inputs/input.js'
import { formatOutcome } from '../device/cli/feedback.js'
import { decodeStatus, encodeStatus } from '../shared/codec/status.js'
import { readBattery } from '../device/battery.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const T = Date.parse('2026-11-23T08:00:00Z')
const silent = pino({ level: 'silent' })

/** An input driven by the test: the seam is the Input interface, the runtime behind it is real. */
class ScriptedInput extends EventEmitter implements Input {
  readonly name = 'scripted'
  state: InputState = 'closed'
  async start (): Promise<void> { this.state = 'open' }
  async stop (): Promise<void> { this.state = 'closed' }
  stats (): ReturnType<Input['stats']> { return emptyInputStats() }
}

function build (t: Test, over: Record<string, unknown> = {}, capacity = 10): { rt: DeviceRuntime, clock: { now: number }, input: ScriptedInput, events: PunchEvent[] } {
  const clock = { now: T }
  const config = parseDeviceConfig({ id: 'T-1', broker: { url: 'mqtt://127.0.0.1:1' }, ...over })
  const input = new ScriptedInput()
  const rt = new DeviceRuntime(config, {
    log: silent,
    inputs: [input],
    ring: createMemoryRing({ capacity, now: () => clock.now }),
    systemNow: () => clock.now,
    monotonic: () => clock.now - T
  })
  const events: PunchEvent[] = []
  rt.on('outcome', (e: PunchEvent) => events.push(e))
  t.teardown(async () => await rt.stop())
  return { rt, clock, input, events }
}

t.test('a second read of the same credential inside the window is a duplicate read', async t => {
  const { rt, clock, input, events } = build(t, { duplicateWindowMs: 30_000 })
  await rt.start()
  const replies: PunchOutcome[] = []
  input.emit('read', { input: 'scripted', emp: 'C-1', method: 'card', reply: (o: PunchOutcome) => replies.push(o) })
  clock.now += 10_000
  input.emit('read', { input: 'scripted', emp: 'C-1', method: 'card', reply: (o: PunchOutcome) => replies.push(o) })
  input.emit('read', { input: 'scripted', emp: 'C-2', method: 'card' })
  clock.now += 30_000
  input.emit('read', { input: 'scripted', emp: 'C-1', method: 'card' })
  t.same(events.map(e => e.outcome.outcome), ['accepted', 'duplicate-read', 'accepted', 'accepted'])
  t.same(replies, [{ outcome: 'accepted', seq: 1 }, { outcome: 'duplicate-read', previousSeq: 1 }], 'the input is told each outcome')
  t.match(formatOutcome(events[1]), /DUPLICATE READ\s+C-1 .*#1/)
  t.match(rt.stats(), { reads: 4, accepted: 3, duplicateReads: 1, refused: 0 })
  t.equal(rt.ring.stats().pending, 3)
})

t.test('storage full: refused with the reason, counted, nothing overwritten', async t => {
  const { rt, events } = build(t, { duplicateWindowMs: 0 }, 3)
  await rt.start()
  for (let i = 0; i < 4; i++) rt.punch({ emp: 'E' + i, method: 'pin' })
  const last = events[3]
  t.match(last.outcome, { outcome: 'refused', reason: 'storage-full', message: /storage full: 3 punches wait/ })
  t.match(formatOutcome(last), /REFUSED\s+E3/)
  t.match(rt.stats(), { accepted: 3, refused: 1 })
  t.match(rt.ring.stats(), { refused: 1, overwritten: 0, pending: 3 })
})

t.test('a recent GPS fix is stamped on the punch; a stale one is not', async t => {
  const { rt, clock, input } = build(t, { maxFixAgeMs: 60_000, duplicateWindowMs: 0 })
  await rt.start()
  input.emit('fix', { input: 'gps', lat: 1.3, lon: 103.8, acc: 8, ts: clock.now })
  rt.punch({ emp: 'E1', method: 'gps' })
  clock.now += 61_000
  rt.punch({ emp: 'E2', method: 'gps' })
  const [a, b] = rt.ring.pending({ order: 'oldest', limit: 10 })
  t.same(a.loc, { lat: 1.3, lon: 103.8, acc: 8 })
  t.equal(b.loc, undefined)
})

t.test('unsynced punches carry their uptime; the time command jumps the clock and leaves stored punches alone', async t => {
  const { rt, clock } = build(t, { duplicateWindowMs: 0, clock: { jumpWarnMs: 60_000 } })
  await rt.start()
  clock.now += 5000
  rt.punch({ emp: 'E1', method: 'card' })
  const jumps: unknown[] = []
  rt.on('clock', (j) => jumps.push(j))
  rt.uplink.emit('time', T + 5000 + 3 * 3_600_000) // the gateway says we are 3 h behind
  rt.punch({ emp: 'E2', method: 'card' })
  const [p1, p2] = rt.ring.pending({ order: 'oldest', limit: 10 })
  t.match(p1, { ts: T + 5000, clock: 'unsynced', up: 5000 })
  t.match(p2, { ts: T + 5000 + 3 * 3_600_000, clock: 'synced' })
  t.equal(p2.up, undefined, 'synced punches need no uptime')
  t.match(jumps, [{ byMs: 3 * 3_600_000 }])
  t.match(rt.clock.status(), { synced: true, offsetMs: 3 * 3_600_000, lastJumpMs: 3 * 3_600_000 })
  t.ok(rt.clock.synced)
})

t.test('the status names each input with its state and counters (the optional `inputs` extension)', async t => {
  class SerialLike extends EventEmitter implements Input {
    readonly name = 'door-reader'
    state: InputState = 'closed'
    async start (): Promise<void> { this.state = 'open' }
    async stop (): Promise<void> { this.state = 'closed' }
    stats (): ReturnType<Input['stats']> & { deadPortResets: number } {
      return { ...emptyInputStats(), reconnects: 2, badChecksum: 1, noiseBytes: 9, errors: 4, deadPortResets: 1 }
    }
  }
  const serial = new SerialLike()
  const rt = new DeviceRuntime(parseDeviceConfig({ id: 'T-3', broker: { url: 'mqtt://127.0.0.1:1' } }), {
    log: silent, inputs: [new ScriptedInput(), serial], ring: createMemoryRing({ capacity: 2 })
  })
  t.teardown(async () => await rt.stop())
  await rt.start()
  serial.state = 'error'
  const status = rt.uplink.status()
  t.same(status.inputs, {
    scripted: { state: 'open', reconnects: 0, badChecksum: 0, noiseBytes: 0, errors: 0 },
    'door-reader': { state: 'error', reconnects: 2, badChecksum: 1, noiseBytes: 9, errors: 4, deadPortResets: 1 }
  })
  const decoded = decodeStatus(encodeStatus(status))
  t.ok(decoded.ok && decoded.status.inputs?.['door-reader'].deadPortResets === 1, 'the gateway reads it back')
})

t.test('a trusted system clock before 2020 is still unsynced', async t => {
  const { rt } = build(t, { clock: { trustSystemClock: true } })
  t.ok(rt.clock.synced, 'a sane trusted clock is synced from the start')
  const clock = { now: Date.UTC(2000, 0, 1) }
  const rt2 = new DeviceRuntime(parseDeviceConfig({ id: 'T-2', broker: { url: 'mqtt://127.0.0.1:1' }, clock: { trustSystemClock: true } }), {
    log: silent, ring: createMemoryRing({ capacity: 2 }), systemNow: () => clock.now
  })
  t.teardown(async () => await rt2.stop())
  t.notOk(rt2.clock.synced)
})

t.test('keypad lines become pin punches; noise is counted, not punched', async t => {
  const stream = new PassThrough()
  const keypad = new KeypadInput({ name: 'pad', stream, log: silent })
  const clock = { now: T }
  const rt = new DeviceRuntime(parseDeviceConfig({ id: 'T-3', broker: { url: 'mqtt://127.0.0.1:1' }, duplicateWindowMs: 0 }), {
    log: silent, inputs: [keypad], ring: createMemoryRing({ capacity: 10 }), systemNow: () => clock.now
  })
  t.teardown(async () => await rt.stop())
  await rt.start()
  t.equal(keypad.state, 'open')
  stream.write('4711\n4712 out\n\nnot a punch at all\n4713 sideways\n')
  await new Promise(resolve => setImmediate(resolve))
  const punches = rt.ring.pending({ order: 'oldest', limit: 10 })
  t.match(punches, [{ emp: '4711', method: 'pin', kind: 'auto' }, { emp: '4712', method: 'pin', kind: 'out' }])
  t.equal(punches.length, 2)
  t.match(keypad.stats(), { reads: 2, frames: 2 })
  t.ok(keypad.stats().noiseBytes > 0)
})

t.test('config: profiles, and errors that name the field', async t => {
  const watch = parseDeviceConfig({ id: 'W-1', profile: 'watch', broker: { url: 'mqtts://gw:8883' } })
  t.match(watch, { ring: { capacity: 500, retentionHours: 72, policy: 'refuse' }, uplink: { window: 1, order: 'newest' } })
  const terminal = parseDeviceConfig({ id: 'T-1', broker: { url: 'mqtt://gw' }, ring: { capacity: 200_000 } })
  t.match(terminal, { profile: 'terminal', ring: { capacity: 200_000 }, uplink: { window: 4, connectTimeoutMs: 30_000 } })
  t.equal(parseDeviceConfig({ id: 'T-1', broker: { url: 'mqtt://gw' }, uplink: { connectTimeoutMs: 5000 } }).uplink.connectTimeoutMs, 5000)
  t.equal(parseDeviceConfig({ id: 'T-1', broker: { url: 'mqtt://gw' }, secret: 'a' }, { PUNCHLINE_DEVICE_SECRET: 'b' }).secret, 'b')
  const bad: Array<[unknown, RegExp]> = [
    [{ broker: { url: 'mqtt://gw' } }, /^id:/],
    [{ id: 'T 1', broker: { url: 'mqtt://gw' } }, /^id:/],
    [{ id: 'T', broker: { url: 'http://gw' } }, /^broker.url: must start with mqtt/],
    [{ id: 'T' }, /^broker.url: required/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, ring: { capacity: 1 } }, /^ring.capacity: must be a whole number between 2/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, ring: { capacity: '10' } }, /^ring.capacity: must be a number/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, ring: { policy: 'drop' } }, /^ring.policy:/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, ring: { colour: 'red' } }, /^ring.colour: unknown setting/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, uplink: { batchSize: 501 } }, /^uplink.batchSize:/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, uplink: { connectTimeoutMs: 500 } }, /^uplink.connectTimeoutMs: must be a whole number between 1000/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, profile: 'fridge' }, /^profile:/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, inputs: [{ kind: 'laser' }] }, /^inputs\[0\].kind:/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, inputs: [{ kind: 'keypad' }, { kind: 'keypad' }] }, /^inputs\[1\].name: 'keypad' is used twice/],
    [{ id: 'T', broker: { url: 'mqtt://gw' }, wifi: true }, /^wifi: unknown setting/]
  ]
  for (const [raw, message] of bad) t.throws(() => parseDeviceConfig(raw), message, JSON.stringify(raw))
})

t.test('battery: read from power_supply when there is one', async t => {
  const root = t.testdir()
  t.equal(readBattery(join(root, 'missing')), undefined)
  mkdirSync(join(root, 'AC'))
  writeFileSync(join(root, 'AC', 'type'), 'Mains\n')
  t.equal(readBattery(root), undefined, 'mains only: no battery')
  mkdirSync(join(root, 'BAT0'))
  writeFileSync(join(root, 'BAT0', 'type'), 'Battery\n')
  writeFileSync(join(root, 'BAT0', 'capacity'), '87\n')
  t.equal(readBattery(root), 0.87)
})

t.test('a ring write that fails is a refusal with the reason, not a crash', async t => {
  const { openFileRing } = await import('../device/ring/index.js')
  const ring = openFileRing({ path: join(t.testdir(), 'ring.bin'), capacity: 4 })
  const rt = new DeviceRuntime(parseDeviceConfig({ id: 'T-4', broker: { url: 'mqtt://127.0.0.1:1' } }), { log: silent, ring })
  const replies: PunchOutcome[] = []
  ring.close() // the medium is gone: every write now fails
  const o = rt.punch({ emp: 'E1', method: 'card', reply: (x: PunchOutcome) => replies.push(x) })
  t.match(o, { outcome: 'refused', reason: 'storage-error', message: /storage error: .*not recorded/ })
  t.same(replies, [o], 'the input hears it too')
  t.match(rt.stats(), { reads: 1, refused: 1, accepted: 0 })
  await rt.uplink.stop()
})
