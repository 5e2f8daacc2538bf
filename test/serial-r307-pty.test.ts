/**
 * The R307 driver over a real PTY pair against the fake module: a touch is one read of its template id,
 * an unknown finger is a no-match, corrupt answers are counted, and a silent module is a timeout error.
 */
import t from 'tap'
import { FakeR307 } from '../fakes/hardware/fake-r307.js'
import { inputOnPty, until } from './helpers/serial.js'

t.test('r307: touches, lifts, unknown fingers and a misbehaving module over a PTY', async t => {
  const rig = await inputOnPty(t, { name: 'finger', kind: 'r307', r307: { pollMs: 20, commandTimeoutMs: 300 } })
  const fake = await FakeR307.open(rig.pair.b)
  t.teardown(() => fake.close())

  await until(() => fake.module.count(0x01) >= 2, 'the input polls GenImg')
  fake.putFinger(17, 150)
  await until(() => rig.reads.length === 1, 'read of template 17')
  t.same(rig.reads[0], { input: 'finger', emp: '17', method: 'fingerprint' })
  const polls = fake.module.count(0x01)
  await until(() => fake.module.count(0x01) >= polls + 5, 'polls while the finger stays')
  t.equal(rig.reads.length, 1, 'one touch, one read')

  fake.lift()
  await until(() => fake.module.count(0x01) >= polls + 8, 'lift seen')
  fake.putUnknownFinger()
  await until(() => rig.noMatches === 1, 'no match')
  t.equal(rig.input.stats().noMatch, 1)
  fake.lift()
  const liftPolls = fake.module.count(0x01)
  await until(() => fake.module.count(0x01) >= liftPolls + 3, 'second lift seen')

  // Count from here: the first GenImg may have been sent before the fake opened its end (and flushed it).
  const errors = rig.input.stats().errors
  fake.module.corruptReplies = 1
  await until(() => rig.input.stats().badChecksum === 1, 'a corrupt answer counted')
  await until(() => rig.input.stats().errors === errors + 1, 'the corrupted command timed out')
  fake.module.silent = true
  await until(() => rig.input.stats().errors >= errors + 2, 'a silent module is an error')
  fake.module.silent = false
  fake.putFinger(999)
  await until(() => rig.reads.length === 2, 'read after recovery')
  t.equal(rig.reads[1].emp, '999')
  t.equal(fake.lineFaults.badChecksum + fake.lineFaults.noiseBytes, 0, 'what the input sent was clean')
})
