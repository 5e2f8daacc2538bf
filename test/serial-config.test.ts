/**
 * createSerialInput at the edge: a config mistake is refused with a message naming the field; and an
 * input keeps reading when a listener of its events throws.
 */
import t from 'tap'
import { createSerialInput, type SerialInputConfig } from '../device/inputs/serial/index.js'
import { FakeRdm6300 } from '../fakes/hardware/fake-rdm6300.js'
import { inputOnPty, quietLog, until } from './helpers/serial.js'

const base: SerialInputConfig = { name: 'door', kind: 'rdm6300', path: '/dev/ttyUSB0' }

const refused: Array<[string, Partial<SerialInputConfig> | Record<string, unknown>, RegExp]> = [
  ['no name', { name: '' }, /^name: must be a non-empty string/],
  ['unknown kind', { kind: 'mifare' }, /^door\.kind: must be one of rdm6300, wiegand, r307, nmea/],
  ['no path', { path: '' }, /^door\.path: must be a device path/],
  ['baud not an integer', { baudRate: 9600.5 }, /^door\.baudRate: must be an integer between 50 and 4000000/],
  ['negative debounce', { debounceMs: -1 }, /^door\.debounceMs: /],
  ['r307 page count 0', { kind: 'r307', r307: { pageCount: 0 } }, /^door\.r307\.pageCount: must be an integer between 1 and 65535/],
  ['r307 address too big', { kind: 'r307', r307: { address: 2 ** 32 } }, /^door\.r307\.address: /],
  ['r307 poll too fast', { kind: 'r307', r307: { pollMs: 1 } }, /^door\.r307\.pollMs: /],
  ['nmea accuracy 0', { kind: 'nmea', nmea: { defaultAccM: 0 } }, /^door\.nmea\.defaultAccM: must be a number of metres > 0/],
  ['wiegand format without groups', { kind: 'wiegand', wiegand: { formats: ['\\d+'] } }, /^door\.wiegand\.formats\[0\]: needs the named groups/],
  ['kind options not an object', { kind: 'r307', r307: 5 }, /^door\.r307: must be an object/],
  ['wiegand formats not a list', { kind: 'wiegand', wiegand: { formats: 'W26' } }, /^door\.wiegand\.formats: must be a non-empty list/],
  ['wiegand template not text', { kind: 'wiegand', wiegand: { emp: 7 } }, /^door\.wiegand\.emp: must be a template string/],
  ['wiegand template placeholder', { kind: 'wiegand', wiegand: { emp: '{fc}-{card}' } }, /^door\.wiegand\.emp: unknown placeholder \{fc\}/]
]

for (const [what, change, message] of refused) {
  t.test(`refused: ${what}`, async t => {
    t.throws(() => createSerialInput({ ...base, ...change } as SerialInputConfig, { log: quietLog }), message)
  })
}

t.test('every kind builds with defaults, closed until started', async t => {
  for (const kind of ['rdm6300', 'wiegand', 'r307', 'nmea'] as const) {
    const input = createSerialInput({ ...base, kind }, { log: quietLog })
    t.equal(input.name, 'door')
    t.equal(input.state, 'closed')
    t.same(input.stats(), { frames: 0, reads: 0, debounced: 0, badChecksum: 0, noiseBytes: 0, reconnects: 0, errors: 0, noMatch: 0, deadPortResets: 0 })
  }
})

t.test('a listener that throws does not stop the input', async t => {
  const rig = await inputOnPty(t, { name: 'door', kind: 'rdm6300', debounceMs: 0 })
  rig.input.prependListener('read', () => { throw new Error('display broke') })
  const fake = await FakeRdm6300.open(rig.pair.b)
  t.teardown(() => fake.close())
  await fake.present(10)
  await fake.present(11)
  await until(() => rig.input.stats().reads === 2, 'both cards read')
  t.equal(rig.input.state, 'open')
  t.equal(rig.input.stats().errors, 0)
})
