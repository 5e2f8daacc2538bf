/**
 * Gateway configuration: embedded defaults, then a JSON config file (--config), then PUNCHLINE_* env
 * vars, then command-line flags, each on top of the last. `npm start` runs on the defaults alone.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { DEFAULT_TOPIC_PREFIX } from '../shared/topics.js'
import { LIMITS } from '../shared/punch.js'
import { DEFAULT_RULES, type RulesConfig } from './rules/rules.js'

export interface UpstreamConfig {
  url: string
  /** bearer token; never logged */
  token?: string
  timeoutMs: number
}

export interface GatewayConfig {
  gatewayId: string
  dataDir: string
  topicPrefix: string
  allowAnonymous: boolean
  mqtt: { host: string, port: number, maxPacketBytes: number }
  http: { host: string, port: number }
  maxPayloadBytes: number
  upstream?: UpstreamConfig
  forward: { batchSize: number, lingerMs: number, concurrency: number, backoffBaseMs: number, backoffCapMs: number }
  rules: RulesConfig
  /** scheduled online backups: into `dir` ('' = <dataDir>/backups) every `intervalHours` (0 = off), keeping `keep` */
  backup: { dir: string, intervalHours: number, keep: number }
}

export function defaultConfig (): GatewayConfig {
  return {
    gatewayId: hostname(),
    dataDir: resolve('data'),
    topicPrefix: DEFAULT_TOPIC_PREFIX,
    allowAnonymous: false,
    // The broker accepts packets well over the 256 KiB payload limit so that an oversized batch gets an
    // error ack rather than a disconnect (PROTOCOL.md); past this bound the connection is dropped.
    mqtt: { host: '0.0.0.0', port: 1883, maxPacketBytes: 2 * 1024 * 1024 },
    http: { host: '0.0.0.0', port: 8080 },
    maxPayloadBytes: LIMITS.maxPayloadBytes,
    forward: { batchSize: 500, lingerMs: 200, concurrency: 2, backoffBaseMs: 1000, backoffCapMs: 60_000 },
    rules: { ...DEFAULT_RULES },
    backup: { dir: '', intervalHours: 24, keep: 7 }
  }
}

export function databasePath (cfg: Pick<GatewayConfig, 'dataDir'>): string {
  return join(cfg.dataDir, 'punchline.db')
}

export function backupDir (cfg: Pick<GatewayConfig, 'dataDir' | 'backup'>): string {
  return cfg.backup.dir === '' ? join(cfg.dataDir, 'backups') : resolve(cfg.backup.dir)
}

type Plain = Record<string, unknown>

function isPlain (v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Deep-merges `over` into `base`, checking that every key exists and has the same type. */
function merge (base: Plain, over: Plain, path: string): void {
  for (const [k, v] of Object.entries(over)) {
    const where = path === '' ? k : `${path}.${k}`
    if (!(k in base) && k !== 'upstream') throw new Error(`config: unknown setting '${where}'`)
    const cur = base[k]
    if (k === 'upstream' && path === '') {
      if (!isPlain(v) || typeof v.url !== 'string') throw new Error("config: 'upstream' must be {url, token?, timeoutMs?}")
      base.upstream = { timeoutMs: 10_000, ...v }
    } else if (isPlain(cur)) {
      if (!isPlain(v)) throw new Error(`config: '${where}' must be an object`)
      merge(cur, v, where)
    } else {
      if (typeof v !== typeof cur) throw new Error(`config: '${where}' must be a ${typeof cur}`)
      base[k] = v
    }
  }
}

export interface ConfigSources {
  file?: string
  env?: NodeJS.ProcessEnv
  flags?: {
    mqttPort?: number
    httpPort?: number
    data?: string
    upstream?: string
    allowAnonymous?: boolean
  }
}

export function loadConfig (src: ConfigSources = {}): GatewayConfig {
  const cfg = defaultConfig()
  if (src.file !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(src.file, 'utf8'))
    } catch (err) {
      throw new Error(`config: cannot read ${src.file}: ${(err as Error).message}`)
    }
    if (!isPlain(parsed)) throw new Error(`config: ${src.file} must hold a JSON object`)
    merge(cfg as unknown as Plain, parsed, '')
  }
  const env = src.env ?? {}
  if (env.PUNCHLINE_DATA !== undefined) cfg.dataDir = env.PUNCHLINE_DATA
  if (env.PUNCHLINE_MQTT_PORT !== undefined) cfg.mqtt.port = port(env.PUNCHLINE_MQTT_PORT, 'PUNCHLINE_MQTT_PORT')
  if (env.PUNCHLINE_HTTP_PORT !== undefined) cfg.http.port = port(env.PUNCHLINE_HTTP_PORT, 'PUNCHLINE_HTTP_PORT')
  if (env.PUNCHLINE_GATEWAY_ID !== undefined) cfg.gatewayId = env.PUNCHLINE_GATEWAY_ID
  if (env.PUNCHLINE_UPSTREAM_URL !== undefined) cfg.upstream = { timeoutMs: 10_000, ...cfg.upstream, url: env.PUNCHLINE_UPSTREAM_URL }
  if (env.PUNCHLINE_UPSTREAM_TOKEN !== undefined && cfg.upstream !== undefined) cfg.upstream.token = env.PUNCHLINE_UPSTREAM_TOKEN
  if (env.PUNCHLINE_ALLOW_ANONYMOUS === '1' || env.PUNCHLINE_ALLOW_ANONYMOUS === 'true') cfg.allowAnonymous = true

  const f = src.flags ?? {}
  if (f.mqttPort !== undefined) cfg.mqtt.port = f.mqttPort
  if (f.httpPort !== undefined) cfg.http.port = f.httpPort
  if (f.data !== undefined) cfg.dataDir = f.data
  if (f.upstream !== undefined) cfg.upstream = { timeoutMs: 10_000, ...cfg.upstream, url: f.upstream }
  if (f.allowAnonymous === true) cfg.allowAnonymous = true
  cfg.dataDir = resolve(cfg.dataDir)
  validate(cfg)
  return cfg
}

export function port (text: string, what: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what}: must be a port number 0..65535 (got '${text}')`)
  return n
}

function validate (cfg: GatewayConfig): void {
  if (cfg.upstream !== undefined) {
    let u: URL
    try { u = new URL(cfg.upstream.url) } catch { throw new Error(`upstream: not a URL: '${cfg.upstream.url}'`) }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('upstream: must be an http:// or https:// URL')
  }
  if (cfg.maxPayloadBytes > cfg.mqtt.maxPacketBytes) throw new Error('maxPayloadBytes: must not exceed mqtt.maxPacketBytes')
  if (cfg.forward.batchSize < 1 || cfg.forward.batchSize > 5000) throw new Error('forward.batchSize: must be between 1 and 5000')
  if (!(cfg.backup.intervalHours >= 0 && cfg.backup.intervalHours <= 24 * 30)) throw new Error('backup.intervalHours: must be between 0 (off) and 720')
  if (!Number.isInteger(cfg.backup.keep) || cfg.backup.keep < 1 || cfg.backup.keep > 1000) throw new Error('backup.keep: must be a whole number between 1 and 1000')
  if (cfg.forward.concurrency < 1 || cfg.forward.concurrency > 16) throw new Error('forward.concurrency: must be between 1 and 16')
}
