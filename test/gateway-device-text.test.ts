/**
 * Device text that is not text (a NUL, a lone surrogate, bytes that are not UTF-8) in a badge or a
 * make-up reason is refused by field and rule instead of being stored changed (issue 13: it was accepted,
 * silently turned into U+FFFD on the way, and every identical resend counted a false conflict). A real
 * gateway process, a real MQTT device sending raw bytes, a real upstream.
 */
import t from 'tap'
import type { GatewayProcess } from './helpers/gateway-process.js'
import { anonymousSite } from './helpers/site.js'
import { connectDevice } from './helpers/mqtt-device.js'
import type { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import type { BatchAck } from '../shared/codec/ack.js'

let gw: GatewayProcess
let sink: WebhookUpstream

t.before(async () => {
  ({ gw, sink } = await anonymousSite(t))
})

const RULE = 'must be valid UTF-8 text without control characters'
const ts = Date.now() - 60_000

/** The batch's JSON with each `@n@` placeholder replaced by raw bytes, as a device with a broken encoder sends it. */
function payload (id: string): Buffer {
  const punch = (seq: number, emp: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ seq, ts, emp, method: 'card', ...extra })
  const manual = (seq: number, reason: string): Record<string, unknown> => punch(seq, `E${seq}`, { method: 'manual', manual: { reason } })
  const text = JSON.stringify({
    v: 1,
    id,
    epoch: '9f2c41d0',
    punches: [
      punch(1, 'E1'),
      punch(2, 'E2\u0000'),
      punch(3, 'E3\ud800'),
      punch(4, 'E4@1@'),
      manual(5, 'forgot\u0000card'),
      manual(6, 'forgot @2@ card'),
      punch(7, 'E7\ufffd'),
      punch(8, '\u{1f600}\u4e2d'),
      manual(9, 'reader offline')
    ]
  })
  const bytes: Record<string, number[]> = { '@1@': [0xff], '@2@': [0xc3, 0x28] }
  const parts = text.split(/(@\d@)/)
  return Buffer.concat(parts.map(p => bytes[p] !== undefined ? Buffer.from(bytes[p]) : Buffer.from(p)))
}

async function conflicts (): Promise<number> {
  const text = await (await fetch(gw.httpUrl + '/metrics')).text()
  return Number(/punchline_conflicts_total (\d+)/.exec(text)?.[1] ?? -1)
}

t.test('bad device text is rejected by field; the good punches are stored as sent; a resend counts no conflict', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'TXT-1')
  t.teardown(() => dev.close())
  await dev.publish(payload('txt-1'))
  const ack = await dev.ackFor('txt-1') as BatchAck
  t.same(ack.ok, [[1, 1], [7, 9]], 'the good punches are stored')
  t.same(ack.rejected, [
    { seq: 2, reason: `emp: ${RULE}` },
    { seq: 3, reason: `emp: ${RULE}` },
    { seq: 4, reason: `emp: ${RULE}` },
    { seq: 5, reason: `manual.reason: ${RULE}` },
    { seq: 6, reason: `manual.reason: ${RULE}` }
  ], 'each bad one by field and rule')

  await sink.waitFor(() => [1, 7, 8, 9].every(s => sink.received.has(`TXT-1:9f2c41d0:${s}`)))
  t.equal(sink.punches.get('TXT-1:9f2c41d0:7')?.emp, 'E7\ufffd', 'U+FFFD the device really sent is text, kept as sent')
  t.equal(sink.punches.get('TXT-1:9f2c41d0:8')?.emp, '\u{1f600}\u4e2d')
  for (const s of [2, 3, 4, 5, 6]) t.notOk(sink.received.has(`TXT-1:9f2c41d0:${s}`), `seq ${s} never forwarded`)

  const before = await conflicts()
  await dev.publish(payload('txt-2'))
  const again = await dev.ackFor('txt-2') as BatchAck
  t.same(again.ok, ack.ok, 'the same answer for the same batch')
  t.same(again.rejected, ack.rejected)
  t.equal(await conflicts(), before, 'an identical resend is no conflict')
  t.equal(before, 0)
})
