/**
 * The gateway's settings file as a JSON Schema: every key, its type and its bounds, checked by
 * shared/settings-check.ts and published in docs/gateway-config.schema.json (`npm run docs:schemas`).
 * Every key may be left out (its default applies, docs/OPERATIONS.md "Configure"); rules that relate two
 * settings (mqtt.maxConnectBytes and mqtt.maxPacketBytes, ...) are in gateway/config.ts.
 */
import { DEFAULT_RULES } from './rules/rules.js'
import { section, wholeBetween } from '../shared/settings-schema.js'
import { MAX_WINDOW_HOURS_CAP } from './makeup/policy.js'
import { MAX_HEAP_GROWTH_PERCENT } from './heap-growth.js'

const text = { type: 'string' }
const flag = { type: 'boolean' }
const port = { type: 'integer', minimum: 0, maximum: 65535, problem: 'must be a port number 0..65535' }
const between = (min: number, max: number, problem = `must be between ${min} and ${max}`): object => ({ type: 'number', minimum: min, maximum: max, problem })
const atLeast = (min: number, problem = `must be at least ${min}`): object => ({ type: 'number', minimum: min, problem })

const upstream = section({
  kind: { enum: ['webhook', 'erpnext', 'mqtt'], problem: 'must be webhook, erpnext or mqtt' },
  url: { type: 'string', problem: "required: the upstream's URL" },
  token: text,
  timeoutMs: between(100, 600_000),
  watermarkUrl: text,
  employeeField: text,
  shiftTypes: { type: 'array', items: { type: 'string', minLength: 1, problem: 'must be a Shift Type name' }, problem: 'must be a list of Shift Type names' },
  utcOffset: text,
  topic: text,
  username: text,
  password: text,
  clientId: text,
  caFile: text
})

const beyond = { enum: ['refuse', 'approval'], problem: "must be 'refuse' or 'approval'" }

const site = section({
  devices: {
    type: 'array',
    items: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}\\*?$|^\\*$', problem: "must be a device id or a prefix ending in '*'" }
  },
  // Each fence's shape (circle or polygon) is checked in gateway/config.ts, which says which one it expected.
  geofences: { type: 'array' },
  // maxWindowHours >= windowHours is checked in gateway/config.ts, which names both.
  makeup: section({
    monthlyLimit: wholeBetween(0, 1000),
    windowHours: between(1, MAX_WINDOW_HOURS_CAP),
    maxWindowHours: between(1, MAX_WINDOW_HOURS_CAP),
    beyondLimit: beyond,
    beyondWindow: beyond
  })
})

export const gatewayConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'punchline/gateway-config',
  title: 'punchline gateway settings (punchline gateway --config FILE; docs/OPERATIONS.md "Configure")',
  type: 'object',
  additionalProperties: false,
  properties: {
    gatewayId: text,
    dataDir: text,
    topicPrefix: text,
    allowAnonymous: flag,
    mqtt: section({
      host: text,
      port,
      plain: flag,
      maxPacketBytes: { type: 'integer', minimum: 1, problem: 'must be a whole number of bytes above 0' },
      maxConnectBytes: { type: 'integer', minimum: 512, problem: 'must be a whole number between 512 and mqtt.maxPacketBytes' },
      maxPartialBytes: { type: 'number', problem: 'must be at least mqtt.maxPacketBytes (one packet of the largest size must fit)' },
      maxConnecting: wholeBetween(1, 100_000),
      acceptsPerTurn: wholeBetween(1, 64),
      readBytesPerTurn: wholeBetween(4096, 1024 * 1024 * 1024),
      maxReadBytesInFlight: wholeBetween(4096, 1024 * 1024 * 1024),
      tls: section({ port, cert: text, key: text })
    }),
    http: section({
      host: { type: 'string', minLength: 1, problem: "must be an address to listen on ('127.0.0.1', '0.0.0.0', '::')" },
      port,
      token: text,
      metricsPublic: flag,
      maxConnections: wholeBetween(1, 10_000),
      headersTimeoutMs: between(1000, 300_000),
      requestTimeoutMs: { type: 'number', maximum: 600_000, problem: 'must be between http.headersTimeoutMs and 600000' },
      maxEventStreams: wholeBetween(1, 1000),
      eventQueueBytes: wholeBetween(4096, 64 * 1024 * 1024),
      eventHeartbeatSeconds: wholeBetween(1, 300),
      // Each address or range is checked in gateway/config.ts, which names the entry.
      trustProxy: {
        anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }],
        problem: "must be false, true, or a list of the reverse proxy's addresses or CIDR ranges ('10.0.0.5', '10.0.0.0/24')"
      }
    }),
    maxPayloadBytes: { type: 'integer', minimum: 1, problem: 'must be a whole number of bytes above 0' },
    upstream,
    forward: section({
      batchSize: between(1, 5000),
      lingerMs: atLeast(0),
      concurrency: between(1, 16),
      unrecordedBatches: wholeBetween(0, 64),
      backoffBaseMs: atLeast(0),
      backoffCapMs: atLeast(0)
    }),
    rules: section(Object.fromEntries(Object.keys(DEFAULT_RULES).map(k => [k, atLeast(0, 'must be a number >= 0')]))),
    sites: { type: 'object', additionalProperties: site },
    roster: section({ unknown: { enum: ['forward', 'hold'], problem: "must be 'forward' or 'hold'" } }),
    backup: section({ dir: text, intervalHours: between(0, 720, 'must be between 0 (off) and 720'), keep: wholeBetween(1, 1000) }),
    retention: section({ deliveredDays: atLeast(0, 'must be 0 (keep for ever) or more'), intervalMinutes: atLeast(1) }),
    storage: section({
      maxDbBytes: atLeast(0, 'must be 0 (no budget) or more'),
      minFreeBytes: atLeast(0, 'must be 0 or more'),
      checkIntervalMs: atLeast(100)
    }),
    alarms: section({
      deviceSilentMinutes: atLeast(0),
      backlogAgeMinutes: atLeast(0),
      upstreamFailingMinutes: atLeast(0),
      diskWarnPercent: { type: 'number', exclusiveMinimum: 0, maximum: 100, problem: 'must be between 1 and 100' },
      intervalSeconds: atLeast(0.1)
    }),
    watermark: section({ intervalSeconds: atLeast(1) }),
    history: section({ sampleSeconds: between(1, 3600) }),
    ingest: section({
      commitThread: flag,
      maxRowsPerCommit: wholeBetween(1, 1_000_000),
      maxQueuedRows: wholeBetween(1, 10_000_000)
    }),
    memory: section({ heapGrowthPercent: wholeBetween(0, MAX_HEAP_GROWTH_PERCENT) }),
    cluster: section({
      broker: section({
        url: {
          type: 'string',
          pattern: '^(mqtts?://.+|(nats|tls)://[^,\\s]+(,(nats|tls)://[^,\\s]+)*)?$',
          problem: "must be an mqtt:// or mqtts:// URL of the cluster's broker, or nats:// (tls://) URLs of a NATS cluster separated by commas ('' = none)"
        },
        username: text,
        password: text
      }),
      postgres: text,
      nodeId: { type: 'string', pattern: '^[A-Za-z0-9._-]{0,64}$', problem: "must be up to 64 letters, digits, '.', '_' or '-' ('' = gatewayId)" },
      group: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', problem: "must be 1 to 64 letters, digits, '.', '_' or '-' (an MQTT shared subscription's group)" },
      leaseMs: between(100, 24 * 3600_000),
      pollMs: between(10, 60_000),
      maxQueuedRows: wholeBetween(1, 10_000_000),
      statsSeconds: between(0.1, 3600),
      heartbeatMs: wholeBetween(100, 600_000)
    }),
    adms: section({
      port,
      host: { type: 'string', minLength: 1, problem: "must be an address to listen on ('0.0.0.0', '::', a LAN address)" },
      maxBodyBytes: wholeBetween(1024, 64 * 1024 * 1024),
      maxConnections: wholeBetween(1, 10_000),
      delaySeconds: wholeBetween(1, 3600),
      errorDelaySeconds: wholeBetween(1, 3600),
      setClock: flag,
      keepBodiesDays: atLeast(0, 'must be 0 (keep for ever) or more')
    })
  }
} as const
