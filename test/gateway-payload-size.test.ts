/**
 * A payload's size is checked before a byte of it is decoded (issue 13: one device sending 1.8 MB batches
 * had each JSON-parsed before the 256 KiB check, and other devices' acks slowed from 3 to 121 ms), and
 * statuses are bounded too (they were stored and served up to the 2 MiB packet bound). A real gateway
 * process and real MQTT clients.
 */
import t from 'tap'
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { until } from './helpers/wait.js'
import { isErrorAck, type BatchAck, type ErrorAck } from '../shared/codec/ack.js'
import { LIMITS } from '../shared/punch.js'

let gw: GatewayProcess

t.before(async () => {
  gw = await startGatewayProcess({ dataDir: t.testdir(), allowAnonymous: true })
})

t.teardown(async () => { await gw?.stop() })

async function metric (re: RegExp): Promise<number> {
  const text = await (await fetch(gw.httpUrl + '/metrics')).text()
  const m = re.exec(text)
  return m === null ? 0 : Number(m[1])
}

t.test('an oversized batch that is not JSON gets the size reason: the size is checked before parsing', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'BIG-1')
  t.teardown(() => dev.close())
  await dev.publish(Buffer.alloc(300 * 1024, 'x'))
  await until(() => dev.acks.length > 0, 'an answer on the acks topic')
  const ack = dev.acks[0] as ErrorAck
  t.ok(isErrorAck(ack), 'an error answer')
  t.equal(ack.error, `payload: must be at most ${LIMITS.maxPayloadBytes} bytes (got ${300 * 1024})`)
  t.equal(ack.id, undefined, 'no id could be read')
  t.equal(await metric(/punchline_payloads_too_large_total\{channel="punches"\} (\d+)/), 1, 'counted by channel')
})

t.test('an oversized batch still has its id and epoch echoed when they lead the payload, as a device writes them', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'BIG-2')
  t.teardown(() => dev.close())
  await dev.publish(JSON.stringify({ ...batch('b-huge', [1]), pad: 'x'.repeat(LIMITS.maxPayloadBytes) }))
  const ack = await dev.ackFor('b-huge') as ErrorAck
  t.match(ack.error, /^payload: must be at most 262144 bytes/)
  t.equal(ack.epoch, '9f2c41d0')
  // Nothing was read from the punches: the device splits the batch and sends again, and that is stored.
  await dev.publish(batch('b-small', [1]))
  t.same((await dev.ackFor('b-small') as BatchAck).ok, [[1, 1]])
})

t.test('a status over the status bound is refused before parsing, counted, and the previous status kept', async t => {
  const dev = await connectDevice(gw.mqttUrl, 'STAT-1')
  t.teardown(() => dev.close())
  const topic = 'att/v1/STAT-1/status'
  await dev.publish({ v: 1, online: true, fw: 'first', ext: { note: 'a small extension is kept' } }, topic)
  const statusOf = async (): Promise<Record<string, unknown> | undefined> => {
    const list = await (await gw.api('/api/devices')).json() as Array<{ id: string, status: Record<string, unknown> | null }>
    return list.find(d => d.id === 'STAT-1')?.status ?? undefined
  }
  await until(async () => (await statusOf())?.fw === 'first', 'the first status stored')
  t.same((await statusOf())?.ext, { note: 'a small extension is kept' }, 'unknown fields within the bound are kept')

  // Unknown fields of 20 KiB, valid JSON: refused for its size.
  await dev.publish({ v: 1, online: true, fw: 'padded', pad: 'y'.repeat(20 * 1024) }, topic)
  // Not JSON at all and over the bound: the size reason, not a JSON one.
  await dev.publish(Buffer.alloc(LIMITS.maxStatusBytes + 1, '{'), topic)
  await until(async () => await metric(/punchline_payloads_too_large_total\{channel="status"\} (\d+)/) === 2, 'both oversized statuses counted')
  // The child's log reaches us through its stdout, after the metric may already say so.
  await until(() => gw.logs.some(l => l.msg === 'unreadable status' && l.device === 'STAT-1'), 'the refusal logged')
  const line = gw.logs.find(l => l.msg === 'unreadable status' && l.device === 'STAT-1')
  t.match(line, { error: `payload: must be at most ${LIMITS.maxStatusBytes} bytes (got ${Buffer.byteLength(JSON.stringify({ v: 1, online: true, fw: 'padded', pad: 'y'.repeat(20 * 1024) }))})` })
  await dev.publish({ v: 1, online: true, fw: 'last' }, topic)
  await until(async () => (await statusOf())?.fw === 'last', 'a good status after them is stored')
  const all = await (await gw.api('/api/devices')).text()
  t.notOk(all.includes('yyyyyyyy'), 'the padded status was never stored nor served')
})
