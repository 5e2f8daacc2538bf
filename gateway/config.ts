/**
 * Gateway configuration: embedded defaults, then a JSON config file (--config), then PUNCHLINE_* env
 * vars, then command-line flags, each on top of the last. `npm start` runs on the defaults alone.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { DEFAULT_TOPIC_PREFIX } from '../shared/topics.js'
import { LIMITS } from '../shared/punch.js'
import { SettingProblems, settingsChecker } from '../shared/settings-check.js'
import { isPlainObject } from '../shared/plain-object.js'
import { DEFAULT_RULES, type RulesConfig } from './rules/rules.js'
import { gatewayConfigSchema } from './config-schema.js'
import { DEFAULT_GROUP_COMMIT } from './ingest/group-commit.js'
import { DEFAULT_HEAP_GROWTH_PERCENT } from './heap-growth.js'
import type { SiteConfig } from './rules/sites.js'
import { MAKEUP_DEFAULTS } from './makeup/policy.js'

export type UpstreamKind = 'webhook' | 'erpnext' | 'mqtt'

/** Where delivered punches go. One kind per gateway; `kind` defaults from the URL (mqtt:// → mqtt). */
export interface UpstreamConfig {
  kind: UpstreamKind
  /** webhook: the POST URL; erpnext: the site's base URL (https://erp.example.com); mqtt: mqtt:// or mqtts:// */
  url: string
  /** webhook: bearer token; erpnext: `api_key:api_secret` ('' = none); never logged */
  token: string
  /** per request (webhook, erpnext) or per PUBACK (mqtt) */
  timeoutMs: number
  /** webhook: where watermarks are POSTed ('' = not sent) */
  watermarkUrl: string
  /** erpnext: the Employee field matched against the badge or the roster's employee id */
  employeeField: string
  /** erpnext: Shift Types whose last_sync_of_checkin follows the site watermark ([] = none) */
  shiftTypes: string[]
  /** erpnext: the site's UTC offset, '+08:00', for punches sent without a device offset ('' = learn it from punches that have one) */
  utcOffset: string
  /** mqtt: topic prefix; batches go to `{topic}/punches`, watermarks (retained) to `{topic}/watermark` */
  topic: string
  /** mqtt: credentials and client id for the upstream broker ('' = none / derived) */
  username: string
  password: string
  clientId: string
  /** mqtt: CA file for mqtts:// with a private CA ('' = the system's CAs) */
  caFile: string
}

/** The HTTP API (docs/OPERATIONS.md, "Security"). */
export interface HttpConfig {
  host: string
  port: number
  /** the bearer token for /api/* ('' = the one in <dataDir>/api-token, generated at first start); never logged */
  token: string
  /** /metrics without the token (it holds counts, no device ids or badges); false puts it behind the token too */
  metricsPublic: boolean
  /** connections open at once; more are closed as they arrive */
  maxConnections: number
  /** a client has this long to send its request headers, and this long for the whole request */
  headersTimeoutMs: number
  requestTimeoutMs: number
  /** /api/v1/events streams open at once; more are refused (503) and counted; each also holds one of maxConnections */
  maxEventStreams: number
  /** bytes of events queued for one stream whose client reads no more before it is dropped (and counted) */
  eventQueueBytes: number
  /** seconds between a stream's heartbeat comments (a proxy that cuts idle responses sooner needs fewer); a stream whose session ended closes at the next */
  eventHeartbeatSeconds: number
  /**
   * behind a TLS reverse proxy: take the client's address and the scheme from X-Forwarded-For and
   * X-Forwarded-Proto (Fastify's trustProxy) when the request comes from a trusted proxy: true for any
   * peer, or the proxies' addresses and CIDR ranges. Off by default: any client could claim any address.
   */
  trustProxy: boolean | string[]
}

/** Shortest token accepted from the config or the environment: a guessable token is no lock. */
export const MIN_API_TOKEN_LENGTH = 16

export interface GatewayConfig {
  gatewayId: string
  dataDir: string
  topicPrefix: string
  allowAnonymous: boolean
  /**
   * plain: the MQTT listener on `port` (false = mqtts only, so device secrets never cross the network in
   * clear); tls: an mqtts listener on `tls.port`, on when `cert` and `key` (PEM file paths) are set;
   * maxConnectBytes: the largest packet before a connection's CONNECT is accepted; maxPartialBytes: the
   * bytes of unfinished packets of all connections together (gateway/broker/packet-guard.ts);
   * maxConnecting: connections accepted and not yet accepted by the broker, past which a new one gets
   * CONNACK 3 at once (gateway/broker/admission.ts); acceptsPerTurn: connections the plain listener
   * accepts per turn of the event loop (gateway/broker/accept-copies.ts); readBytesPerTurn: bytes read
   * from connected devices per turn, maxReadBytesInFlight: read and not yet done with
   * (gateway/broker/read-budget.ts)
   */
  mqtt: { host: string, port: number, plain: boolean, maxPacketBytes: number, maxConnectBytes: number, maxPartialBytes: number, maxConnecting: number, acceptsPerTurn: number, readBytesPerTurn: number, maxReadBytesInFlight: number, tls: { port: number, cert: string, key: string } }
  http: HttpConfig
  maxPayloadBytes: number
  upstream?: UpstreamConfig
  /**
   * concurrency: upstream requests at once; unrecordedBatches: batches the upstream took whose delivery may
   * still be committing while more requests go (a kill -9 may send concurrency + this many again, same keys)
   */
  forward: { batchSize: number, lingerMs: number, concurrency: number, unrecordedBatches: number, backoffBaseMs: number, backoffCapMs: number }
  rules: RulesConfig
  /** sites by id: which devices belong together (roster scope, geofence, watermark) */
  sites: Record<string, SiteConfig>
  /** unknown badges: 'forward' them flagged, or 'hold' them until a roster entry maps them */
  roster: { unknown: 'forward' | 'hold' }
  /** scheduled online backups: into `dir` ('' = <dataDir>/backups) every `intervalHours` (0 = off), keeping `keep` */
  backup: { dir: string, intervalHours: number, keep: number }
  /** delivered punches older than `deliveredDays` are purged (0 = keep for ever), checked every `intervalMinutes` */
  retention: { deliveredDays: number, intervalMinutes: number }
  /** ingest stops (devices keep their punches) when the database passes `maxDbBytes` (0 = no budget) or the disk has less than `minFreeBytes` free */
  storage: { maxDbBytes: number, minFreeBytes: number, checkIntervalMs: number }
  /** thresholds of the alarms in /api/alarms, the report and the metrics */
  alarms: { deviceSilentMinutes: number, backlogAgeMinutes: number, upstreamFailingMinutes: number, diskWarnPercent: number, intervalSeconds: number }
  /** how often the delivered watermark is sent to sinks that take it */
  watermark: { intervalSeconds: number }
  /** how often the console's history (GET /api/v1/history) takes a sample of backlog, deliveries, receipts and devices online */
  history: { sampleSeconds: number }
  /**
   * commitThread: group commits (and their fsync) on a thread of their own while the event loop collects
   * the next group (ingest/pipelined-commit.ts), or in the event loop itself; maxRowsPerCommit: a commit
   * takes at most about this many rows; maxQueuedRows: rows waiting for a commit or being committed
   * before new batches are refused unacknowledged (the devices resend them)
   */
  ingest: { commitThread: boolean, maxRowsPerCommit: number, maxQueuedRows: number }
  /**
   * heapGrowthPercent: how far the JavaScript heap's old generation may grow past what the last full
   * collection kept before the next one starts (gateway/heap-growth.ts); 0 leaves it to V8, which let
   * it double or more
   */
  memory: { heapGrowthPercent: number }
  /** ZKTeco terminals pushing over ADMS / iclock (gateway/adms/, docs/ADMS.md); off while `port` is 0 */
  adms: AdmsConfig
  /** cluster mode (`punchline gateway --cluster`, gateway/cluster/node/): read only then */
  cluster: ClusterConfig
}

/** docs/OPERATIONS.md "Topologies": a stateless node over an external broker and the shared PostgreSQL store */
export interface ClusterConfig {
  /**
   * the cluster's broker, which the devices connect to by MQTT ('' url = not set): an mqtt(s):// URL takes
   * the batches through a shared subscription; nats:// (or tls://) URLs, comma-separated, through a NATS
   * queue group (nats-link.ts)
   */
  broker: { url: string, username: string, password: string }
  /** the shared store: a libpq connection string (postgres://user:pass@host:5432/db, or host=/run/postgresql dbname=...) */
  postgres: string
  /** this node's name in the outbox and its logs ('' = gatewayId) */
  nodeId: string
  /** the shared subscription group: the nodes of one group share the device batches, each batch to one */
  group: string
  /** how long a claimed outbox batch stays this node's without a renewal */
  leaseMs: number
  /** how often an idle delivery worker asks the store for a batch */
  pollMs: number
  /** punch rows waiting for the store before new batches are dropped unacknowledged (the devices resend) */
  maxQueuedRows: number
  /** how often the node logs its counts */
  statsSeconds: number
  /**
   * how often the node writes its heartbeat (its row in the shared store's cluster_nodes); a node silent
   * for three intervals is shown stale (gateway/cluster/node-registry.ts)
   */
  heartbeatMs: number
}

export interface AdmsConfig {
  /** the listener's port (0 = off) and address: terminals on the site LAN must reach it */
  port: number
  host: string
  /** the largest body taken; a terminal's upload is a few kilobytes */
  maxBodyBytes: number
  maxConnections: number
  /** seconds between a terminal's heartbeats, and before it retries a failed exchange */
  delaySeconds: number
  errorDelaySeconds: number
  /** set each terminal's clock, in its registered zone, when it comes online */
  setClock: boolean
  /** kept bodies (as terminals sent them) are deleted after this many days (0 = kept for ever) */
  keepBodiesDays: number
}

export const UPSTREAM_DEFAULTS: Omit<UpstreamConfig, 'kind' | 'url'> = {
  token: '',
  timeoutMs: 10_000,
  watermarkUrl: '',
  employeeField: 'attendance_device_id',
  shiftTypes: [],
  utcOffset: '',
  topic: '',
  username: '',
  password: '',
  clientId: '',
  caFile: ''
}

export function defaultConfig (): GatewayConfig {
  return {
    gatewayId: hostname(),
    dataDir: resolve('data'),
    topicPrefix: DEFAULT_TOPIC_PREFIX,
    allowAnonymous: false,
    // The broker accepts packets well over the payload limit (LIMITS.maxPayloadBytes) so that an oversized
    // batch gets an error ack rather than a disconnect (docs/PROTOCOL.md, "Ack"); past this bound the
    // connection is dropped.
    // acceptsPerTurn 1 and the read budgets at 1 GiB are off: measured, they lost at 10,000 devices
    // (docs/DESIGN-NOTES.md, "Admission: a bound on connections being set up").
    mqtt: { host: '0.0.0.0', port: 1883, plain: true, maxPacketBytes: 2 * 1024 * 1024, maxConnectBytes: 4096, maxPartialBytes: 64 * 1024 * 1024, maxConnecting: 256, acceptsPerTurn: 1, readBytesPerTurn: 1024 * 1024 * 1024, maxReadBytesInFlight: 1024 * 1024 * 1024, tls: { port: 8883, cert: '', key: '' } },
    // Loopback: the API shows device ids, statuses and badge numbers; an operator opens it on purpose.
    http: { host: '127.0.0.1', port: 8080, token: '', metricsPublic: true, maxConnections: 64, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxEventStreams: 16, eventQueueBytes: 1024 * 1024, eventHeartbeatSeconds: 15, trustProxy: false },
    maxPayloadBytes: LIMITS.maxPayloadBytes,
    forward: { batchSize: 500, lingerMs: 50, concurrency: 2, unrecordedBatches: 16, backoffBaseMs: 1000, backoffCapMs: 60_000 },
    rules: { ...DEFAULT_RULES },
    sites: {},
    roster: { unknown: 'forward' },
    backup: { dir: '', intervalHours: 24, keep: 7 },
    retention: { deliveredDays: 90, intervalMinutes: 60 },
    storage: { maxDbBytes: 0, minFreeBytes: 256 * 1024 * 1024, checkIntervalMs: 5000 },
    alarms: { deviceSilentMinutes: 120, backlogAgeMinutes: 30, upstreamFailingMinutes: 10, diskWarnPercent: 85, intervalSeconds: 30 },
    watermark: { intervalSeconds: 60 },
    history: { sampleSeconds: 60 },
    // 5,000 rows a commit already pays one fsync per 5,000 (docs/BENCHMARKS.md's ceiling); larger groups
    // only let the event loop hold more rows before it waits for the disk (ingest/pipelined-commit.ts).
    ingest: { commitThread: true, maxRowsPerCommit: 5000, maxQueuedRows: DEFAULT_GROUP_COMMIT.maxQueuedRows },
    // 0, V8's own factor: 50 takes a 10,000-device drain's peak RSS from 430-523 to 319-339 MB, but a
    // cluster fault stopped draining with it (gateway/heap-growth.ts; docs/DESIGN-NOTES.md, "The heap's
    // growth between full collections").
    memory: { heapGrowthPercent: DEFAULT_HEAP_GROWTH_PERCENT },
    adms: { port: 0, host: '0.0.0.0', maxBodyBytes: 1024 * 1024, maxConnections: 256, delaySeconds: 10, errorDelaySeconds: 30, setClock: true, keepBodiesDays: 30 },
    cluster: { broker: { url: '', username: '', password: '' }, postgres: '', nodeId: '', group: 'punchline', leaseMs: 60_000, pollMs: 500, maxQueuedRows: DEFAULT_GROUP_COMMIT.maxQueuedRows, statsSeconds: 60, heartbeatMs: 5000 }
  }
}

export function databasePath (cfg: Pick<GatewayConfig, 'dataDir'>): string {
  return join(cfg.dataDir, 'punchline.db')
}

export function backupDir (cfg: Pick<GatewayConfig, 'dataDir' | 'backup'>): string {
  return cfg.backup.dir === '' ? join(cfg.dataDir, 'backups') : resolve(cfg.backup.dir)
}

// A CONNECT with a 64-char client id and username, a secret and the status will fits in well under this.
const MIN_CONNECT_BYTES = 512

type Plain = Record<string, unknown>
const isPlain = isPlainObject

const checkSchema = settingsChecker(gatewayConfigSchema)

/** The upstream settings for a URL: the kind follows the scheme unless the file names one. */
export function upstreamFor (url: string, kind?: UpstreamKind): UpstreamConfig {
  const inferred: UpstreamKind = /^mqtts?:/i.test(url) ? 'mqtt' : 'webhook'
  return { kind: kind ?? inferred, url, ...UPSTREAM_DEFAULTS, shiftTypes: [] }
}

const UPSTREAM_KINDS: readonly unknown[] = ['webhook', 'erpnext', 'mqtt']

/**
 * Deep-merges the file's `over` into `base` as it is; the schema then judges the result, so an unknown
 * key or a value of the wrong type is reported at its path with all the others (shared/settings-check.ts).
 */
function merge (base: Plain, over: Plain, problems: SettingProblems, root = base): void {
  for (const [k, v] of Object.entries(over)) {
    if (k === 'upstream' && base === root) {
      if (!isPlain(v) || typeof v.url !== 'string') { problems.add('upstream', "must be an object with a 'url'"); continue }
      const up = upstreamFor(v.url, UPSTREAM_KINDS.includes(v.kind) ? v.kind as UpstreamKind : undefined) as unknown as Plain
      merge(up, v, problems, root)
      base.upstream = up
    } else if (k === 'sites' && base === root && isPlain(v)) {
      base.sites = Object.fromEntries(Object.entries(v).map(([id, site]) => {
        if (!isPlain(site)) return [id, site]
        const s: Plain = { devices: [], geofences: [], makeup: { ...MAKEUP_DEFAULTS } }
        merge(s, site, problems, root)
        return [id, s]
      }))
    } else if (Object.hasOwn(base, k) && isPlain(base[k]) && isPlain(v)) {
      merge(base[k] as Plain, v, problems, root)
    } else {
      // An own property even for '__proto__' (JSON.parse makes it one): the schema then reports it as
      // unknown, where an assignment would reach the prototype and, one level down, Object.prototype.
      Object.defineProperty(base, k, { value: v, enumerable: true, writable: true, configurable: true })
    }
  }
}

export interface ConfigSources {
  file?: string
  env?: NodeJS.ProcessEnv
  flags?: {
    mqttPort?: number
    httpPort?: number
    admsPort?: number
    data?: string
    upstream?: string
    allowAnonymous?: boolean
  }
}

export function loadConfig (src: ConfigSources = {}): GatewayConfig {
  const cfg = defaultConfig()
  const problems = new SettingProblems()
  const env = src.env ?? {}
  // PUNCHLINE_CONFIG names the file when no --config does: one setting for the service and every CLI call.
  const file = src.file ?? (env.PUNCHLINE_CONFIG === '' ? undefined : env.PUNCHLINE_CONFIG)
  let streamsSet = false
  if (file !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new Error(`config: cannot read ${file}: ${(err as Error).message}`)
    }
    if (!isPlain(parsed)) throw new Error(`config: ${file} must hold a JSON object`)
    merge(cfg as unknown as Plain, parsed, problems)
    streamsSet = isPlain(parsed.http) && parsed.http.maxEventStreams !== undefined
    // Shape first: the settings below are laid over objects the file may have replaced with something else.
    checkSchema(cfg, problems)
    if (problems.list.length > 0) {
      checkRelations(cfg, problems)
      problems.throwIfAny(file)
    }
  }
  if (env.PUNCHLINE_DATA !== undefined) cfg.dataDir = env.PUNCHLINE_DATA
  if (env.PUNCHLINE_MQTT_PORT !== undefined) cfg.mqtt.port = port(env.PUNCHLINE_MQTT_PORT, 'PUNCHLINE_MQTT_PORT')
  if (env.PUNCHLINE_HTTP_PORT !== undefined) cfg.http.port = port(env.PUNCHLINE_HTTP_PORT, 'PUNCHLINE_HTTP_PORT')
  if (env.PUNCHLINE_HTTP_HOST !== undefined) cfg.http.host = env.PUNCHLINE_HTTP_HOST
  if (env.PUNCHLINE_ADMS_PORT !== undefined) cfg.adms.port = port(env.PUNCHLINE_ADMS_PORT, 'PUNCHLINE_ADMS_PORT')
  if (env.PUNCHLINE_API_TOKEN !== undefined && env.PUNCHLINE_API_TOKEN !== '') cfg.http.token = checkApiToken(env.PUNCHLINE_API_TOKEN, 'PUNCHLINE_API_TOKEN')
  if (env.PUNCHLINE_GATEWAY_ID !== undefined) cfg.gatewayId = env.PUNCHLINE_GATEWAY_ID
  if (env.PUNCHLINE_UPSTREAM_URL !== undefined) cfg.upstream = withUrl(cfg.upstream, env.PUNCHLINE_UPSTREAM_URL)
  if (env.PUNCHLINE_UPSTREAM_KIND !== undefined && cfg.upstream !== undefined) {
    const kind = env.PUNCHLINE_UPSTREAM_KIND
    if (kind !== 'webhook' && kind !== 'erpnext' && kind !== 'mqtt') throw new Error('PUNCHLINE_UPSTREAM_KIND: must be webhook, erpnext or mqtt')
    cfg.upstream.kind = kind
  }
  if (env.PUNCHLINE_UPSTREAM_TOKEN !== undefined && cfg.upstream !== undefined) cfg.upstream.token = env.PUNCHLINE_UPSTREAM_TOKEN
  if (env.PUNCHLINE_UPSTREAM_PASSWORD !== undefined && cfg.upstream !== undefined) cfg.upstream.password = env.PUNCHLINE_UPSTREAM_PASSWORD
  if (env.PUNCHLINE_MQTTS_PORT !== undefined) cfg.mqtt.tls.port = port(env.PUNCHLINE_MQTTS_PORT, 'PUNCHLINE_MQTTS_PORT')
  if (env.PUNCHLINE_TLS_CERT !== undefined) cfg.mqtt.tls.cert = env.PUNCHLINE_TLS_CERT
  if (env.PUNCHLINE_TLS_KEY !== undefined) cfg.mqtt.tls.key = env.PUNCHLINE_TLS_KEY
  if (env.PUNCHLINE_MQTT_PLAIN !== undefined) cfg.mqtt.plain = flag(env.PUNCHLINE_MQTT_PLAIN, 'PUNCHLINE_MQTT_PLAIN')
  if (env.PUNCHLINE_CLUSTER_POSTGRES !== undefined) cfg.cluster.postgres = env.PUNCHLINE_CLUSTER_POSTGRES
  if (env.PUNCHLINE_CLUSTER_BROKER_PASSWORD !== undefined) cfg.cluster.broker.password = env.PUNCHLINE_CLUSTER_BROKER_PASSWORD
  if (env.PUNCHLINE_ALLOW_ANONYMOUS === '1' || env.PUNCHLINE_ALLOW_ANONYMOUS === 'true') cfg.allowAnonymous = true

  const f = src.flags ?? {}
  if (f.mqttPort !== undefined) cfg.mqtt.port = f.mqttPort
  if (f.httpPort !== undefined) cfg.http.port = f.httpPort
  if (f.admsPort !== undefined) cfg.adms.port = f.admsPort
  if (f.data !== undefined) cfg.dataDir = f.data
  if (f.upstream !== undefined) cfg.upstream = withUrl(cfg.upstream, f.upstream)
  if (f.allowAnonymous === true) cfg.allowAnonymous = true
  if (typeof cfg.dataDir === 'string') cfg.dataDir = resolve(cfg.dataDir)
  // The streams' default follows a smaller connection cap (a stream holds a connection); a value set in the
  // file is checked against it below instead.
  const h = cfg.http
  if (!streamsSet && isPlain(h) && typeof h.maxConnections === 'number' && h.maxEventStreams >= h.maxConnections) {
    h.maxEventStreams = Math.max(1, h.maxConnections - 1)
  }
  checkSchema(cfg, problems)
  checkRelations(cfg, problems)
  problems.throwIfAny(file)
  return cfg
}

/** A URL from the environment or a flag replaces the file's, keeping its other settings when the kind stays. */
function withUrl (cur: UpstreamConfig | undefined, url: string): UpstreamConfig {
  const fresh = upstreamFor(url)
  if (cur === undefined) return fresh
  return { ...cur, url, kind: cur.kind === 'erpnext' && fresh.kind === 'webhook' ? 'erpnext' : fresh.kind }
}

export function port (text: string, what: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what}: must be a port number 0..65535 (got '${text}')`)
  return n
}

function flag (text: string, what: string): boolean {
  if (text === 'true' || text === '1') return true
  if (text === 'false' || text === '0') return false
  throw new Error(`${what}: must be true or false (got '${text}')`)
}

/** Whether this config runs an mqtts listener. */
export function tlsEnabled (cfg: Pick<GatewayConfig, 'mqtt'>): boolean {
  return cfg.mqtt.tls.cert !== '' && cfg.mqtt.tls.key !== ''
}

const API_TOKEN_RULE = `must be at least ${MIN_API_TOKEN_LENGTH} printable ASCII characters without spaces`

function isApiToken (token: string): boolean {
  return token.length >= MIN_API_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(token)
}

/** A token fit for an `Authorization: Bearer` header that is not trivially guessed. */
export function checkApiToken (token: string, what: string): string {
  if (!isApiToken(token)) throw new Error(`${what}: ${API_TOKEN_RULE}`)
  return token
}

/** The rules the schema cannot say: between two settings, URLs, offsets, tokens and fences. */
function checkRelations (cfg: GatewayConfig, problems: SettingProblems): void {
  const add = (path: string, message: string): void => { if (!problems.has(path)) problems.add(path, message) }
  // A section the file replaced with something else is reported already; nothing to relate in it.
  if (!isPlain(cfg.mqtt) || !isPlain(cfg.mqtt.tls) || !isPlain(cfg.http) || !isPlain(cfg.rules)) return
  const up = cfg.upstream
  if (up !== undefined && !problems.has('upstream')) checkUpstream(up, add)
  const { maxConnectBytes, maxPartialBytes, maxPacketBytes } = cfg.mqtt
  if (cfg.maxPayloadBytes > maxPacketBytes) add('maxPayloadBytes', 'must not exceed mqtt.maxPacketBytes')
  if (maxConnectBytes > maxPacketBytes) add('mqtt.maxConnectBytes', `must be a whole number between ${MIN_CONNECT_BYTES} and mqtt.maxPacketBytes`)
  if (!(maxPartialBytes >= maxPacketBytes)) add('mqtt.maxPartialBytes', 'must be at least mqtt.maxPacketBytes (one packet of the largest size must fit)')
  // One batch of the largest size must fit, or a device sending one would be refused for ever.
  if (isPlain(cfg.ingest) && cfg.ingest.maxQueuedRows < LIMITS.maxPunchesPerBatch) add('ingest.maxQueuedRows', `must be at least ${LIMITS.maxPunchesPerBatch} (the punches of one batch)`)
  const tls = cfg.mqtt.tls
  if ((tls.cert === '') !== (tls.key === '')) add('mqtt.tls', 'set both cert and key (PEM files), or neither')
  else if (cfg.mqtt.plain === false && !tlsEnabled(cfg)) add('mqtt.plain', 'false needs the mqtts listener (mqtt.tls.cert and mqtt.tls.key): devices would have no way in')
  const h = cfg.http
  if (typeof h.token === 'string' && h.token !== '' && !isApiToken(h.token)) add('http.token', API_TOKEN_RULE)
  if (h.requestTimeoutMs < h.headersTimeoutMs) add('http.requestTimeoutMs', 'must be between http.headersTimeoutMs and 600000')
  // Streams hold connections; at the cap the API would take no other request.
  if (h.maxEventStreams >= h.maxConnections) add('http.maxEventStreams', 'must be below http.maxConnections (other requests need connections too)')
  if (Array.isArray(h.trustProxy)) {
    h.trustProxy.forEach((entry, i) => { if (!isAddressOrRange(entry)) add(`http.trustProxy[${i}]`, "must be an IP address or a CIDR range ('10.0.0.5', '10.0.0.0/24', 'fd00::/8')") })
  }
  if (cfg.rules.lateSyncMs > cfg.rules.expiredMs) add('rules.lateSyncMs', 'must not exceed rules.expiredMs')
  if (isPlain(cfg.sites)) for (const [id, site] of Object.entries(cfg.sites)) checkSite(id, site, add)
}

type AddProblem = (path: string, message: string) => void

function isAddressOrRange (entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

function checkUpstream (up: UpstreamConfig, add: AddProblem): void {
  let u: URL
  try { u = new URL(up.url) } catch { add('upstream.url', `not a URL: '${up.url}'`); return }
  const mqtt = u.protocol === 'mqtt:' || u.protocol === 'mqtts:'
  const http = u.protocol === 'http:' || u.protocol === 'https:'
  if (up.kind === 'mqtt' && !mqtt) add('upstream.url', 'an mqtt upstream needs an mqtt:// or mqtts:// URL')
  if (up.kind !== 'mqtt' && !http) add('upstream.url', `a ${up.kind} upstream needs an http:// or https:// URL`)
  if (up.kind === 'erpnext' && typeof up.token === 'string' && up.token !== '' && !/^[^:\s]+:[^:\s]+$/.test(up.token)) add('upstream.token', "ERPNext wants 'api_key:api_secret'")
  if (typeof up.utcOffset === 'string' && up.utcOffset !== '' && utcOffsetMinutes(up.utcOffset) === undefined) add('upstream.utcOffset', "must look like '+08:00' or '-05:30'")
}

function checkSite (id: string, site: SiteConfig, add: AddProblem): void {
  const where = `sites.${id}`
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) add(where, "a site id is 1..64 letters, digits, '_', '.' or '-'")
  const m = isPlain(site) ? site.makeup : undefined
  if (isPlain(m) && typeof m.windowHours === 'number' && typeof m.maxWindowHours === 'number' && m.maxWindowHours < m.windowHours) {
    add(`${where}.makeup.maxWindowHours`, `must be at least ${where}.makeup.windowHours`)
  }
  if (!isPlain(site) || !Array.isArray(site.geofences)) return
  site.geofences.forEach((g, i) => {
    const at = `${where}.geofences[${i}]`
    if (!isPlain(g)) { add(at, 'must be {lat, lon, radiusM} or {polygon: [[lat, lon], ...]}'); return }
    if ('polygon' in g) {
      const poly = (g as { polygon: unknown }).polygon
      if (!Array.isArray(poly) || poly.length < 3) { add(`${at}.polygon`, 'needs at least 3 [lat, lon] corners'); return }
      poly.forEach((c: unknown, j) => {
        if (!Array.isArray(c) || c.length !== 2 || !isLat(c[0]) || !isLon(c[1])) add(`${at}.polygon[${j}]`, 'must be [lat -90..90, lon -180..180]')
      })
    } else {
      const c = g as { lat: unknown, lon: unknown, radiusM: unknown }
      if (!isLat(c.lat)) add(`${at}.lat`, 'must be between -90 and 90')
      if (!isLon(c.lon)) add(`${at}.lon`, 'must be between -180 and 180')
      if (!(typeof c.radiusM === 'number' && c.radiusM > 0)) add(`${at}.radiusM`, 'must be a number of metres > 0')
    }
  })
}

/** '+08:00' → 480; undefined when it is not such an offset (or beyond -12:00..+14:00). */
export function utcOffsetMinutes (text: string): number | undefined {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text)
  if (m === null) return undefined
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
  return minutes >= -720 && minutes <= 840 && Number(m[3]) < 60 ? minutes : undefined
}

function isLat (v: unknown): boolean { return typeof v === 'number' && v >= -90 && v <= 90 }
function isLon (v: unknown): boolean { return typeof v === 'number' && v >= -180 && v <= 180 }
