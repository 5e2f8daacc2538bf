/**
 * The broker's frame meter (gateway/broker/packet-guard.ts) on hand-made MQTT byte streams: packets within
 * the bound pass, one beyond it is stopped as soon as its length is read, across any chunk split.
 */
import t from 'tap'
import { FrameMeter, PartialBudget } from '../gateway/broker/packet-guard.js'

t.test('frame meter: passes packets within the bound, stops one beyond it, across chunk splits', async t => {
  const packet = (type: number, bodyLen: number): Buffer => {
    const len: number[] = []
    let x = bodyLen
    do { let b = x % 128; x = Math.floor(x / 128); if (x > 0) b |= 0x80; len.push(b) } while (x > 0)
    return Buffer.concat([Buffer.from([type, ...len]), Buffer.alloc(bodyLen)])
  }
  const meter = (max: number): FrameMeter => {
    const m = new FrameMeter({ maxPacketBytes: max, maxConnectBytes: max, budget: new PartialBudget(Infinity) })
    m.admit()
    return m
  }
  const m = meter(1000)
  const stream = Buffer.concat([packet(0x30, 10), packet(0xc0, 0), packet(0x32, 1000), packet(0x30, 300)])
  for (let i = 0; i < stream.length; i += 7) t.equal(m.feed(stream.subarray(i, i + 7)), undefined)
  const over = meter(1000)
  t.equal(over.feed(packet(0x30, 10)), undefined)
  const big = packet(0x30, 1001)
  t.equal(over.feed(big.subarray(0, 2)), undefined, 'the length is not complete yet')
  t.match(over.feed(big.subarray(2, 3))?.message, /MQTT packet of 1001 bytes exceeds the limit of 1000/)
  t.match(meter(10).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))?.message, /malformed/)
})
