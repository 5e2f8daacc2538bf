/**
 * JSON Schemas (draft 2020-12) of every message in the contract, published in docs/PROTOCOL.md for
 * integrators. The decoders in codec/ are the executable form of the same rules and carry the readable
 * per-field reasons; test/schemas.test.ts keeps the two in step and checks that the docs print these.
 */
import { LIMITS, PUNCH_KINDS, PUNCH_METHODS, CLOCK_STATES } from './punch.js'

const seq = { type: 'integer', minimum: 1, maximum: LIMITS.maxSeq }
const epoch = { type: 'string', pattern: '^[0-9a-f]{8}$' }
const batchId = { type: 'string', minLength: 1, maxLength: LIMITS.maxBatchIdLength }
/** Text a device sends that is stored or forwarded: no control characters, no lone surrogates (shared/codec/device-text.ts). */
const DEVICE_TEXT = '^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]*$'

export const punchSchema = {
  type: 'object',
  required: ['seq', 'ts', 'emp', 'method'],
  properties: {
    seq,
    ts: { type: 'integer', minimum: LIMITS.minTs, maximum: LIMITS.maxTs, description: 'UTC epoch ms, device clock' },
    emp: { type: 'string', minLength: 1, maxLength: LIMITS.maxEmpLength, pattern: DEVICE_TEXT },
    kind: { enum: [...PUNCH_KINDS], default: 'auto' },
    method: { enum: [...PUNCH_METHODS] },
    clock: { enum: [...CLOCK_STATES], default: 'synced' },
    loc: {
      type: 'object',
      required: ['lat', 'lon', 'acc'],
      properties: {
        lat: { type: 'number', minimum: -90, maximum: 90 },
        lon: { type: 'number', minimum: -180, maximum: 180 },
        acc: { type: 'number', minimum: 0, description: 'metres' }
      }
    },
    manual: {
      type: 'object',
      required: ['reason'],
      properties: { reason: { type: 'string', minLength: 1, maxLength: LIMITS.maxManualReasonLength, pattern: DEVICE_TEXT } }
    },
    up: { type: 'integer', minimum: 0, description: 'ms since the device runtime started (monotonic); sent with unsynced punches' }
  },
  if: { properties: { method: { const: 'manual' } }, required: ['method'] },
  then: { required: ['manual'] },
  else: { not: { required: ['manual'] } }
} as const

export const punchBatchSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/v1/punch-batch',
  title: `Punch batch (device → gateway, att/v1/{device}/punches); whole payload at most ${LIMITS.maxPayloadBytes} bytes; a seq repeated in one batch counts once (its first copy decides)`,
  type: 'object',
  required: ['v', 'epoch', 'punches'],
  properties: {
    v: { const: 1 },
    id: { ...batchId, pattern: DEVICE_TEXT },
    epoch,
    tz: { type: 'integer', minimum: LIMITS.minTz, maximum: LIMITS.maxTz, description: 'device UTC offset, minutes' },
    punches: { type: 'array', minItems: 1, maxItems: LIMITS.maxPunchesPerBatch, items: punchSchema }
  }
} as const

export const ackSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/v1/ack',
  title: 'Ack (gateway → device, att/v1/{device}/acks): a batch answer or an error',
  oneOf: [
    {
      type: 'object',
      required: ['v', 'epoch', 'ok', 'rejected'],
      properties: {
        v: { const: 1 },
        id: batchId,
        epoch,
        ok: { type: 'array', items: { type: 'array', prefixItems: [seq, seq], minItems: 2, maxItems: 2 } },
        rejected: {
          type: 'array',
          items: { type: 'object', required: ['seq', 'reason'], properties: { seq, reason: { type: 'string' } } }
        }
      }
    },
    {
      type: 'object',
      required: ['v', 'error'],
      properties: { v: { const: 1 }, id: batchId, epoch, error: { type: 'string' } }
    }
  ]
} as const

export const statusSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/v1/status',
  title: `Status (device → gateway, att/v1/{device}/status, retained; also the last will {"v":1,"online":false}); whole payload at most ${LIMITS.maxStatusBytes} bytes`,
  type: 'object',
  required: ['v', 'online'],
  properties: {
    v: { const: 1 },
    online: { type: 'boolean' },
    fw: { type: 'string', maxLength: 64, pattern: DEVICE_TEXT },
    epoch,
    clock: { type: 'object', required: ['synced'], properties: { synced: { type: 'boolean' }, offsetMs: { type: 'number' } } },
    ring: {
      type: 'object',
      required: ['capacity', 'pending', 'overwritten', 'refused'],
      properties: {
        capacity: { type: 'integer', minimum: 0 },
        pending: { type: 'integer', minimum: 0 },
        oldestPendingTs: { type: ['integer', 'null'] },
        overwritten: { type: 'integer', minimum: 0 },
        refused: { type: 'integer', minimum: 0 },
        expired: { type: 'integer', minimum: 0 },
        rejected: { type: 'integer', minimum: 0 }
      }
    },
    battery: { type: 'number', minimum: 0, maximum: 1 },
    uptime: { type: 'integer', minimum: 0 },
    inputs: {
      type: 'object',
      propertyNames: { pattern: DEVICE_TEXT },
      additionalProperties: {
        type: 'object',
        required: ['state', 'reconnects', 'badChecksum', 'noiseBytes', 'errors'],
        properties: {
          state: { enum: ['opening', 'open', 'closed', 'error'] },
          reconnects: { type: 'integer', minimum: 0 },
          badChecksum: { type: 'integer', minimum: 0 },
          noiseBytes: { type: 'integer', minimum: 0 },
          errors: { type: 'integer', minimum: 0 },
          deadPortResets: { type: 'integer', minimum: 0 }
        }
      }
    }
  }
} as const

export const commandSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/v1/command',
  title: 'Command (gateway → device, att/v1/{device}/cmd)',
  oneOf: [
    {
      type: 'object',
      required: ['v', 'op', 'now'],
      properties: { v: { const: 1 }, op: { const: 'time' }, now: { type: 'integer', minimum: LIMITS.minTs, maximum: LIMITS.maxTs } }
    },
    {
      type: 'object',
      required: ['v', 'op', 'epoch', 'from', 'to'],
      properties: { v: { const: 1 }, op: { const: 'resend' }, epoch, from: seq, to: seq }
    }
  ]
} as const

export const upstreamBatchSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/v1/upstream-batch',
  title: 'Upstream webhook body (gateway → upstream, POST, Idempotency-Key = batch)',
  type: 'object',
  required: ['gateway', 'batch', 'punches'],
  properties: {
    gateway: { type: 'string' },
    batch: { type: 'string' },
    punches: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'device', 'epoch', 'seq', 'ts', 'emp', 'kind', 'method', 'received', 'flags'],
        properties: {
          id: { type: 'string', description: "the key to dedupe on: device:epoch:seq, or for a punch from a ZKTeco terminal its line's identity zk:SN:PIN:time:state:verify" },
          device: { type: 'string' },
          epoch,
          seq,
          ts: { type: 'string', format: 'date-time' },
          local: { type: 'string', description: 'ISO 8601 with the device offset; present when the device sent tz' },
          emp: { type: 'string' },
          kind: { enum: [...PUNCH_KINDS] },
          method: { enum: [...PUNCH_METHODS] },
          received: { type: 'string', format: 'date-time' },
          flags: { type: 'array', items: { type: 'string' } },
          loc: punchSchema.properties.loc,
          manual: {
            ...punchSchema.properties.manual,
            properties: {
              ...punchSchema.properties.manual.properties,
              makeup: { type: 'integer', description: "a make-up an operator approved at the gateway: the request's id (extension)" },
              requestedBy: { type: 'string', description: 'who asked for the make-up (extension)' },
              approvedBy: { type: 'string', description: 'who approved it (extension)' },
              approvedAt: { type: 'string', format: 'date-time', description: 'when it was approved (extension)' },
              comment: { type: 'string', description: "the approver's comment, when given (extension)" }
            }
          },
          up: punchSchema.properties.up,
          employee: { type: 'string', description: "the roster's employee for this badge on this device, when a roster entry maps it (extension)" },
          site: { type: 'string', description: 'the site the device belongs to, when sites are configured (extension)' },
          source: {
            type: 'object',
            description: 'what a source other than the device runtime said beside the punch (extension): for a ZKTeco terminal its serial number, the wall time as written, the raw state and verify codes',
            required: ['vendor'],
            properties: {
              vendor: { enum: ['zkteco'] },
              sn: { type: 'string' },
              wall: { type: 'string' },
              state: { type: ['integer', 'null'] },
              verify: { type: ['integer', 'null'] },
              workcode: { type: 'string' },
              fold: { enum: ['gap', 'repeated'], description: 'the wall time fell in a change of the zone\'s offset: moved forward past a gap, or the first of two' }
            }
          }
        }
      }
    },
    reviews: {
      description: "operators' decisions on flagged punches, in a batch whose punches are empty (extension)",
      type: 'array',
      items: {
        type: 'object',
        required: ['punch', 'decision', 'by', 'at', 'comment'],
        properties: {
          punch: { type: 'string', description: 'the id of the punch decided on, as it went upstream' },
          decision: { enum: ['confirmed', 'disputed'] },
          by: { type: 'string', description: 'the operator, token:<name> for an API token, or site-token' },
          at: { type: 'string', format: 'date-time' },
          comment: { type: 'string' },
          flags: { type: 'array', items: { type: 'string' }, description: "the punch's flags; absent when the punch was purged before the decision went" }
        }
      }
    }
  }
} as const

const watermark = {
  before: { type: ['string', 'null'], format: 'date-time', description: 'every punch taken before this has been delivered; null: nothing can be said yet' },
  beforeMs: { type: ['integer', 'null'] },
  heldBy: { type: 'string', description: 'what keeps it from being later' }
} as const

export const watermarksSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/v1/watermarks',
  title: 'Delivered watermarks (GET /api/watermarks; sent to sinks that take them)',
  type: 'object',
  required: ['gateway', 'at', 'sites', 'devices'],
  properties: {
    gateway: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    sites: { type: 'array', items: { type: 'object', required: ['site', 'before', 'beforeMs', 'heldBy'], properties: { site: { type: 'string', description: "'' for devices in no site" }, ...watermark } } },
    devices: { type: 'array', items: { type: 'object', required: ['device', 'site', 'before', 'beforeMs', 'heldBy'], properties: { device: { type: 'string' }, site: { type: 'string' }, ...watermark } } }
  }
} as const

export const SCHEMAS = {
  'punch batch': punchBatchSchema,
  ack: ackSchema,
  status: statusSchema,
  command: commandSchema,
  'upstream batch': upstreamBatchSchema,
  watermarks: watermarksSchema
} as const
