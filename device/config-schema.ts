/**
 * The device's settings file as a JSON Schema, checked by shared/settings-check.ts and published in
 * docs/device-config.schema.json (`npm run docs:schemas`). Left-out keys take the profile's defaults
 * (device/config.ts); each input's own options are checked by its kind's factory (device/inputs/), which
 * knows them.
 */
import { INPUT_KINDS } from './input-kinds.js'
import { section, wholeBetween as whole } from '../shared/settings-schema.js'

export const deviceConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/device-config',
  title: 'punchline device settings (punchline device --config FILE)',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', problem: 'must be 1-64 letters, digits, _ or -' },
    secret: { type: 'string', minLength: 1, problem: 'must be a non-empty string' },
    profile: { enum: ['watch', 'terminal'], problem: "must be 'watch' or 'terminal'" },
    broker: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', problem: 'required, e.g. mqtt://gateway.local:1883' },
        failoverUrls: {
          type: 'array',
          maxItems: 16,
          items: { type: 'string' },
          problem: 'must be a list of at most 16 mqtt:// or mqtts:// URLs (the other nodes of a clustered broker)'
        },
        ca: { type: 'string', minLength: 1, problem: 'must be a non-empty string' },
        rejectUnauthorized: { type: 'boolean' }
      }
    },
    ring: section({
      path: { type: 'string', minLength: 1, problem: 'must be a file path' },
      capacity: whole(2, 10_000_000),
      retentionHours: { type: 'number', exclusiveMinimum: 0, maximum: 24 * 365, problem: 'must be a number of hours between 0 and 8760' },
      policy: { enum: ['refuse', 'overwrite-oldest'], problem: "must be 'refuse' or 'overwrite-oldest'" }
    }),
    uplink: section({
      order: { enum: ['newest', 'oldest'], problem: "must be 'newest' or 'oldest'" },
      batchSize: whole(1, 500),
      window: whole(1, 64),
      backoffCapMs: whole(100, 3_600_000),
      ackTimeoutMs: whole(1000, 600_000),
      connectTimeoutMs: whole(1000, 300_000),
      statusIntervalMs: whole(1000, 86_400_000)
    }),
    tz: whole(-720, 840),
    duplicateWindowMs: whole(0, 3_600_000),
    clock: section({ trustSystemClock: { type: 'boolean' }, jumpWarnMs: whole(0, 86_400_000) }),
    maxFixAgeMs: whole(0, 86_400_000),
    fw: { type: 'string', maxLength: 64, problem: 'must be a string of at most 64 characters' },
    inputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind'],
        properties: {
          kind: { enum: [...INPUT_KINDS], problem: `must be one of ${INPUT_KINDS.join(', ')}` },
          name: { type: 'string', minLength: 1, problem: 'must be a non-empty string' }
        }
      }
    }
  }
} as const
