/**
 * The published JSON Schemas and the decoders say the same thing, and the docs print the schemas the code
 * holds.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { SCHEMAS, punchBatchSchema, ackSchema, statusSchema, commandSchema } from '../shared/schemas.js'
import { decodeBatch } from '../shared/codec/batch.js'
import { decodeAck } from '../shared/codec/ack.js'
import { decodeStatus } from '../shared/codec/status.js'
import { decodeCommand } from '../shared/codec/command.js'
import { schemaSection } from '../scripts/protocol-schemas.js'

const ajv = new Ajv2020({ strict: false, allErrors: true })

t.test('docs/PROTOCOL.md prints the schemas the code holds (npm run docs:schemas)', async t => {
  const doc = readFileSync(new URL('../docs/PROTOCOL.md', import.meta.url), 'utf8')
  t.ok(doc.includes(schemaSection()), 'schema section up to date')
  t.equal(Object.keys(SCHEMAS).length, 6)
})

const p = { seq: 1, ts: 1795309083120, emp: 'E1', method: 'card' }
const batches: unknown[] = [
  { v: 1, epoch: '9f2c41d0', punches: [p] },
  { v: 1, id: 'b', epoch: '9f2c41d0', tz: -720, punches: [{ ...p, kind: 'break-in', clock: 'unsynced', loc: { lat: -90, lon: 180, acc: 0 } }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, method: 'manual', manual: { reason: 'forgot' } }] },
  { v: 2, epoch: '9f2c41d0', punches: [p] },
  { v: 1, epoch: '9F2C41D0', punches: [p] },
  { v: 1, epoch: '9f2c41d0', tz: 841, punches: [p] },
  { v: 1, epoch: '9f2c41d0', punches: [] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, seq: 0 }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, emp: '' }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, kind: 'lunch' }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, loc: { lat: 0, lon: 0 } }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, loc: { lat: 0, lon: 0, acc: -2 } }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, manual: { reason: 'x' } }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, method: 'manual' }] },
  { v: 1, epoch: '9f2c41d0', punches: [{ ...p, ts: 946684799999 }] },
  { v: 1, id: '', epoch: '9f2c41d0', punches: [p] }
]

t.test('a batch is schema-valid exactly when the decoder accepts all of it', async t => {
  const validate = ajv.compile(punchBatchSchema)
  for (const b of batches) {
    const d = decodeBatch(Buffer.from(JSON.stringify(b)))
    const decoderAll = d.ok && d.rejected.length === 0
    t.equal(validate(structuredClone(b)), decoderAll, JSON.stringify(b))
  }
})

t.test('acks, statuses and commands: schema and decoder agree', async t => {
  const cases: Array<[object, (x: string) => { ok: boolean }, string]> = [
    [ackSchema, decodeAck, '{"v":1,"id":"b","epoch":"9f2c41d0","ok":[[1,3]],"rejected":[{"seq":4,"reason":"emp: x"}]}'],
    [ackSchema, decodeAck, '{"v":1,"error":"v: must be 1"}'],
    [statusSchema, decodeStatus, '{"v":1,"online":false}'],
    [statusSchema, decodeStatus, '{"v":1,"online":true,"ring":{"capacity":10,"pending":1,"oldestPendingTs":null,"overwritten":0,"refused":0},"battery":0.5}'],
    [statusSchema, decodeStatus, '{"v":1,"online":"yes"}'],
    [statusSchema, decodeStatus, '{"v":1,"online":true,"inputs":{"door-reader":{"state":"open","reconnects":2,"badChecksum":0,"noiseBytes":4,"errors":3,"deadPortResets":1},"gps":{"state":"error","reconnects":0,"badChecksum":1,"noiseBytes":0,"errors":7}}}'],
    [statusSchema, decodeStatus, '{"v":1,"online":true,"inputs":{"door":{"state":"stuck","reconnects":0,"badChecksum":0,"noiseBytes":0,"errors":0}}}'],
    [statusSchema, decodeStatus, '{"v":1,"online":true,"inputs":{"door":{"state":"open","reconnects":0,"badChecksum":0,"noiseBytes":0}}}'],
    [statusSchema, decodeStatus, '{"v":1,"online":true,"inputs":{"door":{"state":"open","reconnects":0,"badChecksum":0,"noiseBytes":0,"errors":0,"deadPortResets":-1}}}'],
    [statusSchema, decodeStatus, '{"v":1,"online":true,"inputs":[]}'],
    [commandSchema, decodeCommand, '{"v":1,"op":"time","now":1795341200000}'],
    [commandSchema, decodeCommand, '{"v":1,"op":"resend","epoch":"9f2c41d0","from":1,"to":500}'],
    [commandSchema, decodeCommand, '{"v":1,"op":"reboot"}']
  ]
  for (const [schema, decode, text] of cases) {
    t.equal(ajv.validate(schema, JSON.parse(text)), decode(text).ok, text)
  }
})
