/**
 * R307 packets without a port (known bytes, splits, noise, corrupt checksums and lengths) and the driver
 * loop against the fake module in memory: one touch one read, no-match, lift, timeouts, late answers.
 */
import t from 'tap'
import { R307Driver, R307Framer, encodeR307Packet, R307_TYPE, type R307Packet } from '../device/inputs/serial/r307.js'
import type { ProtocolEvents } from '../device/inputs/serial/protocol.js'
import { R307Module } from '../fakes/hardware/fake-r307.js'
import { recorder, until } from './helpers/serial.js'

// GenImg as every R30x datasheet prints it, and the "no finger" answer.
const GEN_IMG = Buffer.from('ef01ffffffff010003010005', 'hex')
const NO_FINGER = Buffer.from('ef01ffffffff07000302000c', 'hex')

function framer (): { f: R307Framer, r: ReturnType<typeof recorder<R307Packet>> } {
  const r = recorder<R307Packet>()
  return { f: new R307Framer(r.sink), r }
}

t.test('the datasheet packets encode and decode byte for byte', async t => {
  t.same(encodeR307Packet({ address: 0xffffffff, type: R307_TYPE.command, payload: Buffer.from([0x01]) }), GEN_IMG)
  t.same(encodeR307Packet({ address: 0xffffffff, type: R307_TYPE.ack, payload: Buffer.from([0x02]) }), NO_FINGER)
  const { f, r } = framer()
  f.push(Buffer.concat([GEN_IMG, NO_FINGER]))
  t.same(r.frames, [
    { address: 0xffffffff, type: 0x01, payload: Buffer.from([0x01]) },
    { address: 0xffffffff, type: 0x07, payload: Buffer.from([0x02]) }
  ])
  t.equal(r.noise, 0)
})

t.test('a packet split at every byte position decodes once', async t => {
  const p = encodeR307Packet({ address: 0x12345678, type: R307_TYPE.ack, payload: Buffer.from([0, 0x01, 0x2c, 0, 0x64]) })
  for (let i = 1; i < p.length; i++) {
    const { f, r } = framer()
    f.push(p.subarray(0, i))
    t.same(r.frames, [])
    f.push(p.subarray(i))
    t.equal(r.frames.length, 1, `split at ${i}`)
    t.equal(r.frames[0]?.payload.readUInt16BE(1), 300)
    t.equal(r.noise, 0)
  }
})

t.test('noise, a lone EF, a bad checksum and an impossible length are told apart', async t => {
  const { f, r } = framer()
  const bad = Buffer.from(GEN_IMG)
  bad[bad.length - 1] ^= 0x01
  const hugeLength = Buffer.from('ef01ffffffff07ffff', 'hex')
  const wrongType = Buffer.from('ef01ffffffff05000301', 'hex')
  f.push(Buffer.concat([Buffer.from([0x00, 0xef, 0x02, 0xef]), bad, hugeLength, wrongType, NO_FINGER]))
  t.equal(r.bad.length, 1)
  t.equal(r.frames.length, 1)
  t.same(r.frames[0]?.payload, Buffer.from([0x02]))
  t.equal(r.noise, 4 + hugeLength.length + wrongType.length)
})

t.test('reset drops a partial packet as noise', async t => {
  const { f, r } = framer()
  f.push(GEN_IMG.subarray(0, 7))
  f.reset()
  f.push(NO_FINGER)
  t.equal(r.frames.length, 1)
  t.equal(r.noise, 7)
})

interface Rig {
  module: R307Module
  driver: R307Driver
  reads: string[]
  counts: { frames: number, noMatch: number, errors: string[], bad: number, noise: number }
  writes: number
}

/** The driver wired to the module in memory, answers delivered on a later turn like a port would. */
function rig (opts: ConstructorParameters<typeof R307Driver>[0] = {}, mangle: (reply: Buffer) => Buffer = (b) => b): Rig {
  const module = new R307Module()
  const counts = { frames: 0, noMatch: 0, errors: [] as string[], bad: 0, noise: 0 }
  const reads: string[] = []
  const events: ProtocolEvents = {
    frame: () => { counts.frames++ },
    credential: (emp) => { reads.push(emp) },
    fix: () => {},
    badChecksum: () => { counts.bad++ },
    noise: (n) => { counts.noise += n },
    error: (why) => { counts.errors.push(why) },
    noMatch: () => { counts.noMatch++ }
  }
  const driver = new R307Driver({ pollMs: 5, commandTimeoutMs: 200, ...opts }, events)
  const out: Rig = { module, driver, reads, counts, writes: 0 }
  const moduleSide = new R307Framer({
    frame: (p) => {
      const reply = p === undefined ? undefined : module.handle(p)
      if (reply !== undefined) setImmediate(() => driver.push(mangle(reply)))
    },
    badChecksum: () => {},
    noise: () => {}
  })
  driver.opened((bytes) => { out.writes++; moduleSide.push(bytes) })
  return out
}

t.test('a finger held through many polls is one read; lifted and put back, a second', async t => {
  const r = rig()
  t.teardown(() => r.driver.closed())
  await until(() => r.module.count(0x01) >= 3, 'polling with no finger')
  t.same(r.reads, [])
  r.module.putFinger(42)
  await until(() => r.reads.length === 1, 'first read')
  const polls = r.module.count(0x01)
  await until(() => r.module.count(0x01) >= polls + 10, 'polls while the finger stays')
  t.same(r.reads, ['42'], 'still one read')
  t.equal(r.module.count(0x04), 1, 'searched once')
  r.module.lift()
  // Polls counted from the lift: counted from before the held finger's polls, a loaded machine could
  // already be past the mark at the lift, and the next finger came before any poll saw none.
  const lifted = r.module.count(0x01)
  await until(() => r.module.count(0x01) >= lifted + 3, 'lift seen')
  r.module.putFinger(7)
  await until(() => r.reads.length === 2, 'second read')
  t.same(r.reads, ['42', '7'])
  t.same(r.counts.errors, [])
})

t.test('an unknown finger is one no-match per touch, and no read', async t => {
  const r = rig()
  t.teardown(() => r.driver.closed())
  r.module.putUnknownFinger()
  await until(() => r.counts.noMatch === 1, 'no match')
  const polls = r.module.count(0x01)
  await until(() => r.module.count(0x01) >= polls + 5, 'more polls')
  t.equal(r.counts.noMatch, 1)
  t.same(r.reads, [])
})

t.test('the searched range is configurable: a template outside it is no match', async t => {
  const r = rig({ startPage: 100, pageCount: 10 })
  t.teardown(() => r.driver.closed())
  r.module.putFinger(42)
  await until(() => r.counts.noMatch === 1, 'no match outside 100-109')
  r.module.lift()
  await until(() => r.module.fingerOn === false && r.module.count(0x01) > 5, 'lift')
  r.module.putFinger(105)
  await until(() => r.reads.length === 1, 'a match inside')
  t.same(r.reads, ['105'])
})

t.test('a silent module: each unanswered command is an error, and it recovers when it speaks again', async t => {
  const r = rig({ commandTimeoutMs: 50 })
  t.teardown(() => r.driver.closed())
  r.module.silent = true
  await until(() => r.counts.errors.length >= 2, 'timeouts')
  t.match(r.counts.errors[0], /GenImg: no answer within 50 ms/)
  r.module.silent = false
  r.module.putFinger(3)
  await until(() => r.reads.length === 1, 'read after recovery')
})

t.test('corrupt answers are counted as bad checksums, then the loop carries on', async t => {
  const r = rig({ commandTimeoutMs: 50 })
  t.teardown(() => r.driver.closed())
  r.module.corruptReplies = 2
  r.module.putFinger(9)
  await until(() => r.reads.length === 1, 'read after corrupt answers')
  t.equal(r.counts.bad, 2)
  t.same(r.reads, ['9'])
})

t.test('an answer with a damaged length costs one timeout, not the answers after it (found by test/fuzz-serial.test.ts)', async t => {
  // The fuzzer's case: a header whose length reads 0x00EF. The framer waited for 239 bytes and took some
  // 20 answers with it; now the driver drops the partial packet when the command times out.
  let damaged = 0
  const r = rig({ commandTimeoutMs: 50 }, (reply) => {
    if (damaged++ > 0) return reply
    const b = Buffer.from(reply)
    b.writeUInt16BE(0x00ef, 7)
    return b
  })
  t.teardown(() => r.driver.closed())
  r.module.putFinger(5)
  await until(() => r.reads.length === 1, 'read after the damaged answer')
  t.same(r.reads, ['5'])
  t.same(r.counts.errors, ['GenImg: no answer within 50 ms'])
  t.equal(r.counts.noise, 12, 'the damaged answer, dropped as noise')
})

t.test('module error codes are errors; a smudged image is tried again while the finger stays', async t => {
  const r = rig()
  t.teardown(() => r.driver.closed())
  r.module.failNext.set(0x02, 0x06)
  r.module.failNext.set(0x04, 0x17)
  r.module.putFinger(12)
  await until(() => r.counts.errors.length === 2, 'two module errors')
  t.same(r.counts.errors, ['Img2Tz: 0x06 (image too messy)', 'Search: 0x17 (module error)'])
  await until(() => r.reads.length === 1, 'the third try reads')
  t.same(r.reads, ['12'])
  r.module.lift()
  r.module.failNext.set(0x01, 0x03)
  await until(() => r.counts.errors.length === 3, 'GenImg fault')
  t.equal(r.counts.errors[2], 'GenImg: 0x03 (image capture failed)')
})

t.test('an answer with no command waiting is ignored, not taken for the next one', async t => {
  const r = rig({ pollMs: 60_000 })
  await until(() => r.module.count(0x01) === 1, 'first poll answered')
  await until(() => r.counts.frames === 1, 'answer read')
  r.driver.push(encodeR307Packet({ address: 0xffffffff, type: R307_TYPE.ack, payload: Buffer.from([0x00, 0x00, 0x05, 0x00, 0x10]) }))
  t.same(r.counts.errors, ['late acknowledgement ignored'])
  r.driver.push(encodeR307Packet({ address: 0x01020304, type: R307_TYPE.ack, payload: Buffer.from([0x00]) }))
  t.match(r.counts.errors[1], /unexpected packet type 0x7 from address 1020304/)
  r.driver.closed()
  t.same(r.reads, [])
})

t.test('after closed() the driver stops asking', async t => {
  const r = rig()
  await until(() => r.writes >= 3, 'polling')
  r.driver.closed()
  const writes = r.writes
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal(r.writes, writes)
})
