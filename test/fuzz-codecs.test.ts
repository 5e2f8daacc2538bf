/**
 * Property-based fuzzing of the wire contract's JSON codecs (shared/codec): the punch batch the gateway
 * decodes, the status it decodes, the ack and the command the device decodes. For each: arbitrary bytes,
 * text and JSON never make the decoder throw, and every refusal names its field and rule; what a decoder
 * accepts is valid by the published JSON Schema; one field given a wrong value is refused with a reason
 * about that field, and exactly when the schema refuses it; encode then decode gives back what went in.
 * Seed and run counts: test/fixtures/arbitraries.ts (FUZZ_SEED, FUZZ_RUNS; `npm run fuzz`).
 */
import t from 'tap'
import fc from 'fast-check'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { decodeBatch, encodeBatch, type BatchDecodeResult } from '../shared/codec/batch.js'
import { decodeStatus, encodeStatus } from '../shared/codec/status.js'
import { decodeCommand, encodeCommand } from '../shared/codec/command.js'
import { decodeAck, encodeAck, isErrorAck } from '../shared/codec/ack.js'
import { ackSchema, commandSchema, punchBatchSchema, punchSchema, statusSchema } from '../shared/schemas.js'
import { LIMITS, isEpoch, isSeq } from '../shared/punch.js'
import {
  REMOVE, ack, anyJson, batch, changedField, command, expect, expectReason, mutations, mutateAll, oddValue, property,
  reasonIsAbout, reasonNear, reasonStyle, safeIntegersOnly, sameJson, showChange, status, deviceText, withValueAt, wireBatch
} from './fixtures/arbitraries.js'

const ajv = new Ajv2020({ strict: false, allErrors: false })
const validBatch = ajv.compile(punchBatchSchema)
const validPunch = ajv.compile(punchSchema)
const validStatus = ajv.compile(statusSchema)
const validCommand = ajv.compile(commandSchema)
const validAck = ajv.compile(ackSchema)

const BATCH_ROOTS = ['payload', 'v', 'id', 'epoch', 'tz', 'punches']
const PUNCH_ROOTS = ['ts', 'emp', 'kind', 'method', 'clock', 'loc', 'manual', 'up']
const STATUS_ROOTS = ['payload', 'v', 'online', 'fw', 'epoch', 'clock', 'ring', 'battery', 'uptime', 'inputs']
const COMMAND_ROOTS = ['payload', 'v', 'op', 'now', 'epoch', 'from', 'to']
const ACK_ROOTS = ['payload', 'v', 'id', 'epoch', 'error', 'ok', 'rejected']

const bytesOf = (v: unknown): Buffer => Buffer.from(JSON.stringify(v))

/** Inputs of every kind a broker could hand a decoder. */
const garbage: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map(b => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 200 }).map(s => Buffer.from(s)),
  fc.json({ maxDepth: 4 }).map(s => Buffer.from(s)),
  anyJson.map(bytesOf)
)

// ---------------------------------------------------------------- punch batch

/** What every batch decode result must be, whatever went in: no field left unexplained. */
function checkBatchResult (r: BatchDecodeResult, inputPunches: number | undefined): void {
  if (!r.ok) {
    expectReason(r.error, BATCH_ROOTS, 'batch error')
    if (r.id !== undefined) expect(typeof r.id === 'string' && r.id.length >= 1, `echoed id ${String(r.id)}`)
    if (r.epoch !== undefined) expect(isEpoch(r.epoch), `echoed epoch ${String(r.epoch)}`)
    return
  }
  expect(r.batch.v === 1 && isEpoch(r.batch.epoch), 'accepted envelope')
  for (const p of r.batch.punches) expect(validPunch(p), () => `accepted a punch the schema refuses: ${JSON.stringify(p)} ${ajv.errorsText(validPunch.errors)}`)
  for (const x of r.rejected) {
    expect(isSeq(x.seq), `rejected seq ${x.seq}`)
    expectReason(x.reason, PUNCH_ROOTS, `rejection of seq ${x.seq}`)
  }
  if (inputPunches !== undefined) expect(r.batch.punches.length + r.rejected.length === inputPunches, 'every punch accepted or rejected')
}

t.test('batch: arbitrary bytes, text and JSON never throw; every refusal names a field and a rule', async t => {
  property(t, 'decodeBatch(garbage)', 2000, garbage, (b) => {
    checkBatchResult(decodeBatch(b), undefined)
  })
  property(t, 'decodeBatch(valid batch, bytes flipped, cut, spliced, duplicated)', 1500, fc.tuple(wireBatch, mutations), ([w, ms]) => {
    checkBatchResult(decodeBatch(mutateAll(bytesOf(w), ms)), undefined)
  })
  property(t, 'decodeBatch over a size limit says payload', 500, fc.tuple(wireBatch, fc.nat()), ([w, n]) => {
    const b = bytesOf(w)
    const r = decodeBatch(b, n % b.length)
    expect(!r.ok && reasonIsAbout(r.error, 'payload'), () => `${JSON.stringify(r)}`)
  })
})

const ENVELOPE_FIELDS = ['v', 'id', 'epoch', 'tz', 'punches']
const PUNCH_FIELDS = ['seq', 'ts', 'emp', 'kind', 'method', 'clock', 'loc', 'loc.lat', 'loc.lon', 'loc.acc', 'manual', 'manual.reason', 'up']
/** Rules that tie two fields: breaking one may be reported as the other. */
const PUNCH_RELATED: Record<string, string[]> = { method: ['manual'], manual: ['method'], 'manual.reason': ['method'] }

const batchChange = fc.record({
  w: wireBatch,
  field: fc.oneof(fc.constantFrom(...ENVELOPE_FIELDS), fc.record({ i: fc.nat(), f: fc.constantFrom(...PUNCH_FIELDS) })),
  value: fc.oneof({ weight: 5, arbitrary: oddValue }, { weight: 1, arbitrary: fc.constant(REMOVE) })
}).map(c => {
  const punches = c.w.punches as unknown[]
  const path = typeof c.field === 'string' ? c.field : `punches.${c.field.i % punches.length}.${c.field.f}`
  return { ...c, path, changed: withValueAt(c.w, path, c.value) as Record<string, unknown> }
})

t.test('batch: one field given a wrong value is refused naming that field, exactly when the schema refuses it', async t => {
  property(t, 'decodeBatch(valid batch with one field changed)', 2500, batchChange, ({ w, field, value, path, changed }) => {
    const punches = w.punches as Array<Record<string, unknown>>
    const r = decodeBatch(bytesOf(changed))
    checkBatchResult(r, undefined)
    const schemaOk = validBatch(structuredClone(changed))
    const show = (): string => showChange(path, value, r)
    if (r.ok && r.rejected.length === 0) {
      expect(schemaOk, () => `decoder accepts, schema refuses: ${show()}`)
      return
    }
    // Beyond the schema, the decoder refuses integers past 2^53 - 1 (they cannot be told apart).
    expect(!schemaOk || !safeIntegersOnly(changed), () => `schema accepts, decoder refuses: ${show()}`)
    if (typeof field === 'string' || field.f === 'seq') {
      // The envelope, or a seq: the message cannot be read at all.
      const about = typeof field === 'string' ? changedField(w, path) : reasonStyle(path)
      expect(!r.ok && reasonNear(r.error, about), () => `expected an error about ${about}: ${show()}`)
      return
    }
    const i = field.i % punches.length
    const inPunch = changedField(punches[i], field.f)
    const seq = punches[i].seq
    expect(r.ok && r.rejected.length === 1 && r.rejected[0].seq === seq && r.batch.punches.length === punches.length - 1,
      () => `expected seq ${String(seq)} alone rejected: ${show()}`)
    const ok = [inPunch, ...(PUNCH_RELATED[inPunch] ?? [])].some(f => reasonNear(r.rejected[0].reason, f))
    expect(ok, () => `expected a reason about ${inPunch}: ${show()}`)
  })
})

t.test('batch: encode then decode gives back the batch; decoding is idempotent', async t => {
  property(t, 'decodeBatch(encodeBatch(b)) = b', 1000, batch, (b) => {
    const r = decodeBatch(Buffer.from(encodeBatch(b)))
    expect(r.ok && r.rejected.length === 0, () => `refused a valid batch: ${JSON.stringify(r)}`)
    expect(sameJson(r.batch, b), () => `round trip changed it: ${JSON.stringify(r.batch)}`)
  })
  property(t, 'decode . encode . decode = decode, for anything accepted', 1000, fc.oneof(wireBatch, batchChange.map(c => c.changed)), (w) => {
    const r = decodeBatch(bytesOf(w))
    if (!r.ok || r.batch.punches.length === 0) return
    const again = decodeBatch(Buffer.from(encodeBatch(r.batch)))
    expect(again.ok && again.rejected.length === 0 && sameJson(again.batch, r.batch), () => JSON.stringify(again))
  })
})

// ---------------------------------------------------------------- status

t.test('status: garbage never throws, refusals name a field, acceptance means schema-valid, round trips', async t => {
  const check = (b: Buffer): void => {
    const r = decodeStatus(b)
    if (!r.ok) expectReason(r.error, STATUS_ROOTS, 'status error')
    else expect(validStatus(structuredClone(r.status)), () => `accepted a status the schema refuses: ${b.toString()} ${ajv.errorsText(validStatus.errors)}`)
  }
  property(t, 'decodeStatus(garbage)', 2000, garbage, check)
  property(t, 'decodeStatus(valid status, bytes mutated)', 2000, fc.tuple(status, mutations), ([s, ms]) => check(mutateAll(bytesOf(s), ms)))
  property(t, 'decodeStatus(encodeStatus(s)) = s', 1500, status, (s) => {
    const r = decodeStatus(encodeStatus(s))
    expect(r.ok && sameJson(r.status, s), () => `round trip: ${JSON.stringify(r)}`)
  })
})

const STATUS_FIELDS = ['v', 'online', 'fw', 'epoch', 'clock', 'clock.synced', 'clock.offsetMs', 'ring', 'ring.capacity', 'ring.pending',
  'ring.oldestPendingTs', 'ring.overwritten', 'ring.refused', 'ring.expired', 'ring.rejected', 'battery', 'uptime',
  'inputs', 'inputs.door', 'inputs.door.state', 'inputs.door.reconnects', 'inputs.door.errors', 'inputs.door.deadPortResets']

t.test('status: one field given a wrong value is refused naming it, exactly when the schema refuses it', async t => {
  property(t, 'decodeStatus(valid status with one field changed)', 3000,
    fc.record({ s: status, field: fc.constantFrom(...STATUS_FIELDS), value: fc.oneof({ weight: 5, arbitrary: oddValue }, { weight: 1, arbitrary: fc.constant(REMOVE) }) }),
    ({ s, field, value }) => {
      const changed = withValueAt(s, field, value)
      const r = decodeStatus(bytesOf(changed))
      const show = (): string => showChange(field, value, r)
      const schemaOk = validStatus(structuredClone(changed))
      if (r.ok) {
        expect(schemaOk, () => `decoder accepts, schema refuses: ${show()}`)
        return
      }
      expect(!schemaOk || !safeIntegersOnly(changed), () => `schema accepts, decoder refuses: ${show()}`)
      const about = changedField(s, field)
      expect(reasonNear(r.error, about), () => `expected an error about ${about}: ${show()}`)
    })
})

// ---------------------------------------------------------------- command

t.test('command: garbage never throws, refusals name a field, acceptance means schema-valid, round trips', async t => {
  const check = (b: Buffer): void => {
    const r = decodeCommand(b)
    if (!r.ok) expectReason(r.error, COMMAND_ROOTS, 'command error')
    else expect(validCommand(structuredClone(r.command)), () => `accepted a command the schema refuses: ${b.toString()}`)
  }
  property(t, 'decodeCommand(garbage)', 2000, garbage, check)
  property(t, 'decodeCommand(valid command, bytes mutated)', 2000, fc.tuple(command, mutations), ([c, ms]) => check(mutateAll(bytesOf(c), ms)))
  property(t, 'decodeCommand(encodeCommand(c)) = c', 1000, command, (c) => {
    const r = decodeCommand(encodeCommand(c))
    expect(r.ok && sameJson(r.command, c), () => JSON.stringify(r))
  })
  const COMMAND_RELATED: Record<string, string[]> = { op: ['now', 'epoch', 'from', 'to'], from: ['to'], to: ['from'] }
  property(t, 'decodeCommand(valid command with one field changed)', 2000,
    fc.record({ c: command, field: fc.constantFrom('v', 'op', 'now', 'epoch', 'from', 'to'), value: fc.oneof(oddValue, fc.constant(REMOVE)) }),
    ({ c, field, value }) => {
      const changed = withValueAt(c, field, value) as Record<string, unknown>
      const r = decodeCommand(bytesOf(changed))
      const show = (): string => showChange(field, value, r)
      const schemaOk = validCommand(structuredClone(changed))
      if (r.ok) {
        expect(schemaOk, () => `decoder accepts, schema refuses: ${show()}`)
        return
      }
      // Beyond the schema, the decoder wants a resend range in order, and safe integers.
      const ordered = changed.op !== 'resend' || !(Number(changed.from) > Number(changed.to))
      expect(!schemaOk || !safeIntegersOnly(changed) || !ordered, () => `schema accepts, decoder refuses: ${show()}`)
      expect([field, ...(COMMAND_RELATED[field] ?? [])].some(f => reasonNear(r.error, f)), () => `expected an error about ${field}: ${show()}`)
    })
})

// ---------------------------------------------------------------- ack

t.test('ack: garbage never throws, refusals name a field, acceptance means a schema-valid ack, round trips', async t => {
  const check = (b: Buffer): void => {
    const r = decodeAck(b)
    if (!r.ok) { expectReason(r.error, ACK_ROOTS, 'ack error'); return }
    // The device takes a missing ok or rejected as empty: what it acts on is a schema-valid ack.
    const again = JSON.parse(encodeAck(r.ack))
    expect(validAck(again), () => `accepted an ack the schema refuses: ${b.toString()} ${ajv.errorsText(validAck.errors)}`)
    if (!isErrorAck(r.ack)) for (const [a, z] of r.ack.ok) expect(a <= z, `range [${a}, ${z}]`)
  }
  property(t, 'decodeAck(garbage)', 2000, garbage, check)
  property(t, 'decodeAck(valid ack, bytes mutated)', 2000, fc.tuple(ack, mutations), ([a, ms]) => check(mutateAll(bytesOf(a), ms)))
  property(t, 'decodeAck(encodeAck(a)) = a', 1500, ack, (a) => {
    const r = decodeAck(encodeAck(a))
    expect(r.ok && sameJson(r.ack, a), () => JSON.stringify(r))
  })
  const ACK_FIELDS = ['v', 'id', 'epoch', 'error', 'ok', 'ok.0', 'ok.0.0', 'ok.0.1', 'rejected', 'rejected.0', 'rejected.0.seq', 'rejected.0.reason']
  const ACK_RELATED: Record<string, string[]> = { error: ['epoch', 'ok', 'rejected'], 'ok.0.0': ['ok.0.1'], 'ok.0.1': ['ok.0.0'] }
  property(t, 'decodeAck(valid ack with one field changed)', 1500,
    fc.record({ a: ack, field: fc.constantFrom(...ACK_FIELDS), value: fc.oneof(oddValue, fc.constant(REMOVE)) }),
    ({ a, field, value }) => {
      const changed = withValueAt(a, field, value) as Record<string, unknown>
      const r = decodeAck(bytesOf(changed))
      const show = (): string => showChange(field, value, r)
      if (r.ok) return // what it accepted is checked against the schema above
      const about = changedField(a, field)
      expect([about, ...(ACK_RELATED[about] ?? [])].some(f => reasonNear(r.error, f)), () => `expected an error about ${about}: ${show()}`)
      // Beyond the schema, the decoder wants ranges in order, safe integers, and an `error` member (whose
      // presence makes an error ack) to be a string.
      const ordered = !Array.isArray(changed.ok) || changed.ok.every(x => !Array.isArray(x) || !(x[0] > x[1]))
      const errorString = changed.error === undefined || typeof changed.error === 'string'
      expect(!(validAck(structuredClone(changed)) && safeIntegersOnly(changed) && ordered && errorString), () => `schema accepts, decoder refuses: ${show()}`)
    })
})

t.test('text lengths are counted in characters, as the schema counts them', async t => {
  property(t, 'emp, id and reason at their limits in astral characters', 300,
    fc.tuple(deviceText(1, LIMITS.maxEmpLength), fc.constantFrom('\u{1f600}', '\u{20000}', 'a')), ([s, c]) => {
      const emp = c.repeat(LIMITS.maxEmpLength)
      const w = { v: 1, id: emp, epoch: '9f2c41d0', punches: [{ seq: 1, ts: LIMITS.minTs, emp, method: 'manual', manual: { reason: c.repeat(LIMITS.maxManualReasonLength) } }, { seq: 2, ts: LIMITS.minTs, emp: s, method: 'card' }] }
      const r = decodeBatch(bytesOf(w))
      expect(r.ok && r.rejected.length === 0 && validBatch(w), () => JSON.stringify(r))
      const over = decodeBatch(bytesOf({ ...w, punches: [{ ...w.punches[1], emp: emp + c }] }))
      expect(over.ok && over.rejected.length === 1 && reasonIsAbout(over.rejected[0].reason, 'emp'), () => JSON.stringify(over))
    })
})

t.test('device text: bytes that are not UTF-8 in an emp never pass as text', async t => {
  const invalid = fc.constantFrom([0xff], [0xfe], [0x80], [0xc0, 0xaf], [0xc3, 0x28], [0xe4, 0xb8], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f, 0x98])
  property(t, 'decodeBatch(valid batch, one emp with a bad byte sequence)', 1000, fc.tuple(batch, fc.nat(), invalid), ([b, n, bytes]) => {
    const i = n % b.punches.length
    const MARK = '@@not-utf8@@'
    const text = encodeBatch({ ...b, punches: b.punches.map((p, k) => k === i ? { ...p, emp: p.emp + MARK } : p) })
    const at = text.indexOf(MARK)
    const r = decodeBatch(Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at + MARK.length))]))
    const seq = b.punches[i].seq
    expect(r.ok && r.batch.punches.every(p => p.seq !== seq), () => `accepted seq ${seq}: ${JSON.stringify(r)}`)
    expect(r.ok && r.rejected.length === 1 && reasonIsAbout(r.rejected[0].reason, 'emp'), () => `expected a reason about emp: ${JSON.stringify(r)}`)
  })
})
