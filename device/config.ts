/**
 * The device runtime's configuration: a JSON file (`punchline device --config FILE`) over the defaults of a
 * profile. A watch holds a few hundred slots and sends small batches one at a time; a terminal holds
 * 100,000 slots (about 98 MiB of ring file) and keeps several batches in flight. Every field is checked
 * here, with the field's path in the message, so a field engineer sees "ring.capacity: ..." and not a
 * crash an hour later.
 */
import { readFileSync } from 'node:fs'
import type { IClientOptions } from 'mqtt'
import { dirname, resolve } from 'node:path'
import { isDeviceId } from '../shared/punch.js'
import type { FullPolicy } from './ring/index.js'
import { DEFAULT_CONNECT_TIMEOUT_MS } from './uplink.js'

export type Profile = 'watch' | 'terminal'

export const INPUT_KINDS = ['rdm6300', 'wiegand', 'r307', 'nmea', 'ble', 'keypad'] as const
export type InputKind = typeof INPUT_KINDS[number]

/** Common fields of every input; each kind's factory checks the rest of its object. */
export interface InputConfig {
  kind: InputKind
  name: string
  [option: string]: unknown
}

export interface DeviceConfig {
  id: string
  /** MQTT password; also PUNCHLINE_DEVICE_SECRET. Never logged. */
  secret?: string
  profile: Profile
  broker: {
    /** mqtt://host:1883 or mqtts://host:8883 */
    url: string
    /** PEM file of the CA that signed the gateway's certificate (mqtts) */
    ca?: string
    /** false only in a lab with a self-signed certificate */
    rejectUnauthorized: boolean
  }
  ring: { path: string, capacity: number, retentionHours: number, policy: FullPolicy }
  uplink: { order: 'newest' | 'oldest', batchSize: number, window: number, backoffCapMs: number, ackTimeoutMs: number, connectTimeoutMs: number, statusIntervalMs: number }
  /** the device's UTC offset in minutes, sent with each batch; defaults to this machine's */
  tz: number
  /** the same credential again within this window is a duplicate read, not a new punch; 0 turns it off */
  duplicateWindowMs: number
  clock: {
    /** trust the system clock from the start (an NTP-synced Linux terminal); otherwise unsynced until the gateway's time command */
    trustSystemClock: boolean
    /** a correction larger than this is logged as a jump and reported in status */
    jumpWarnMs: number
  }
  /** a GPS fix older than this is not stamped on a punch */
  maxFixAgeMs: number
  fw: string
  inputs: InputConfig[]
}

const PROFILES: Record<Profile, { ring: DeviceConfig['ring'], uplink: DeviceConfig['uplink'] }> = {
  watch: {
    ring: { path: 'punchline-ring.bin', capacity: 500, retentionHours: 72, policy: 'refuse' },
    uplink: { order: 'newest', batchSize: 50, window: 1, backoffCapMs: 10_000, ackTimeoutMs: 30_000, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, statusIntervalMs: 300_000 }
  },
  terminal: {
    ring: { path: 'punchline-ring.bin', capacity: 100_000, retentionHours: 72, policy: 'refuse' },
    uplink: { order: 'newest', batchSize: 200, window: 4, backoffCapMs: 10_000, ackTimeoutMs: 30_000, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, statusIntervalMs: 60_000 }
  }
}

type Plain = Record<string, unknown>
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Reads and checks a config file; relative paths in it (ring.path, broker.ca) are relative to the file. */
export function loadDeviceConfig (file: string, env: NodeJS.ProcessEnv = process.env): DeviceConfig {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (err) { throw new Error(`config: cannot read ${file}: ${(err as Error).message}`) }
  let raw: unknown
  try { raw = JSON.parse(text) } catch (err) { throw new Error(`config: ${file} is not valid JSON: ${(err as Error).message}`) }
  const cfg = parseDeviceConfig(raw, env)
  const base = dirname(resolve(file))
  cfg.ring.path = resolve(base, cfg.ring.path)
  if (cfg.broker.ca !== undefined) cfg.broker.ca = resolve(base, cfg.broker.ca)
  return cfg
}

export function parseDeviceConfig (raw: unknown, env: NodeJS.ProcessEnv = {}): DeviceConfig {
  if (!isPlain(raw)) throw new Error('config: must be a JSON object')
  const known = new Set(['id', 'secret', 'profile', 'broker', 'ring', 'uplink', 'tz', 'duplicateWindowMs', 'clock', 'maxFixAgeMs', 'fw', 'inputs'])
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new Error(`config: unknown setting '${k}'`)

  if (!isDeviceId(raw.id)) throw new Error('id: must be 1-64 letters, digits, _ or -')
  const profile = raw.profile ?? 'terminal'
  if (profile !== 'watch' && profile !== 'terminal') throw new Error("profile: must be 'watch' or 'terminal'")
  const p = PROFILES[profile]

  const broker = section(raw, 'broker')
  if (typeof broker.url !== 'string') throw new Error('broker.url: required, e.g. mqtt://gateway.local:1883')
  let url: URL
  try { url = new URL(broker.url) } catch { throw new Error(`broker.url: not a URL: '${broker.url}'`) }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') throw new Error('broker.url: must start with mqtt:// or mqtts://')

  const cfg: DeviceConfig = {
    id: raw.id,
    secret: env.PUNCHLINE_DEVICE_SECRET ?? optionalString(raw, 'secret'),
    profile,
    broker: {
      url: broker.url,
      ca: optionalString(broker, 'ca', 'broker.ca'),
      rejectUnauthorized: optionalBoolean(broker, 'rejectUnauthorized', 'broker.rejectUnauthorized') ?? true
    },
    ring: { ...p.ring },
    uplink: { ...p.uplink },
    tz: -new Date().getTimezoneOffset(),
    duplicateWindowMs: 30_000,
    clock: { trustSystemClock: false, jumpWarnMs: 60_000 },
    maxFixAgeMs: 120_000,
    fw: 'punchline',
    inputs: []
  }
  assign(cfg.ring, section(raw, 'ring'), 'ring')
  assign(cfg.uplink, section(raw, 'uplink'), 'uplink')
  assign(cfg.clock, section(raw, 'clock'), 'clock')
  if (raw.tz !== undefined) cfg.tz = raw.tz as number
  if (raw.duplicateWindowMs !== undefined) cfg.duplicateWindowMs = raw.duplicateWindowMs as number
  if (raw.maxFixAgeMs !== undefined) cfg.maxFixAgeMs = raw.maxFixAgeMs as number
  if (raw.fw !== undefined) cfg.fw = raw.fw as string

  checkInt(cfg.ring.capacity, 'ring.capacity', 2, 10_000_000)
  if (typeof cfg.ring.retentionHours !== 'number' || !(cfg.ring.retentionHours > 0) || cfg.ring.retentionHours > 24 * 365) {
    throw new Error('ring.retentionHours: must be a number of hours between 0 and 8760')
  }
  if (cfg.ring.policy !== 'refuse' && cfg.ring.policy !== 'overwrite-oldest') throw new Error("ring.policy: must be 'refuse' or 'overwrite-oldest'")
  if (typeof cfg.ring.path !== 'string' || cfg.ring.path === '') throw new Error('ring.path: must be a file path')
  if (cfg.uplink.order !== 'newest' && cfg.uplink.order !== 'oldest') throw new Error("uplink.order: must be 'newest' or 'oldest'")
  checkInt(cfg.uplink.batchSize, 'uplink.batchSize', 1, 500)
  checkInt(cfg.uplink.window, 'uplink.window', 1, 64)
  checkInt(cfg.uplink.backoffCapMs, 'uplink.backoffCapMs', 100, 3_600_000)
  checkInt(cfg.uplink.ackTimeoutMs, 'uplink.ackTimeoutMs', 1000, 600_000)
  checkInt(cfg.uplink.connectTimeoutMs, 'uplink.connectTimeoutMs', 1000, 300_000)
  checkInt(cfg.uplink.statusIntervalMs, 'uplink.statusIntervalMs', 1000, 86_400_000)
  checkInt(cfg.tz, 'tz', -720, 840)
  checkInt(cfg.duplicateWindowMs, 'duplicateWindowMs', 0, 3_600_000)
  checkInt(cfg.maxFixAgeMs, 'maxFixAgeMs', 0, 86_400_000)
  checkInt(cfg.clock.jumpWarnMs, 'clock.jumpWarnMs', 0, 86_400_000)
  if (typeof cfg.clock.trustSystemClock !== 'boolean') throw new Error('clock.trustSystemClock: must be true or false')
  if (typeof cfg.fw !== 'string' || cfg.fw.length > 64) throw new Error('fw: must be a string of at most 64 characters')

  if (raw.inputs !== undefined) {
    if (!Array.isArray(raw.inputs)) throw new Error('inputs: must be an array')
    const names = new Set<string>()
    raw.inputs.forEach((input: unknown, i: number) => {
      if (!isPlain(input)) throw new Error(`inputs[${i}]: must be an object`)
      if (!(INPUT_KINDS as readonly unknown[]).includes(input.kind)) throw new Error(`inputs[${i}].kind: must be one of ${INPUT_KINDS.join(', ')}`)
      const name = input.name ?? input.kind
      if (typeof name !== 'string' || name === '') throw new Error(`inputs[${i}].name: must be a non-empty string`)
      if (names.has(name)) throw new Error(`inputs[${i}].name: '${name}' is used twice; give each input its own name`)
      names.add(name)
      cfg.inputs.push({ ...input, kind: input.kind as InputKind, name })
    })
  }
  return cfg
}

function section (raw: Plain, key: string): Plain {
  const v = raw[key]
  if (v === undefined) return {}
  if (!isPlain(v)) throw new Error(`${key}: must be an object`)
  return v
}

/** Copies known keys of `from` over `into`, refusing unknown keys and values of another type. */
function assign (into: object, from: Plain, path: string): void {
  const target = into as Plain
  for (const [k, v] of Object.entries(from)) {
    if (!(k in target)) throw new Error(`${path}.${k}: unknown setting`)
    if (typeof v !== typeof target[k]) throw new Error(`${path}.${k}: must be a ${typeof target[k]}`)
    target[k] = v
  }
}

function optionalString (o: Plain, key: string, path = key): string | undefined {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '') throw new Error(`${path}: must be a non-empty string`)
  return v
}

function optionalBoolean (o: Plain, key: string, path: string): boolean | undefined {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw new Error(`${path}: must be true or false`)
  return v
}

function checkInt (v: unknown, path: string, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) throw new Error(`${path}: must be a whole number between ${min} and ${max}`)
}

/** TLS options for MQTT.js from the config: the operator's CA read from its file (MQTT.js wants the PEM, not a path). */
export function brokerTls (config: DeviceConfig): IClientOptions {
  const o: IClientOptions = { rejectUnauthorized: config.broker.rejectUnauthorized }
  if (config.broker.ca !== undefined) {
    try {
      o.ca = [readFileSync(config.broker.ca)]
    } catch (err) {
      throw new Error(`broker.ca: cannot read ${config.broker.ca}: ${(err as Error).message}`)
    }
  }
  return o
}
