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
import { SettingProblems, settingsChecker } from '../shared/settings-check.js'
import { isPlainObject } from '../shared/plain-object.js'
import type { FullPolicy } from './ring/index.js'
import type { InputKind } from './input-kinds.js'
import { deviceConfigSchema } from './config-schema.js'
import { DEFAULT_CONNECT_TIMEOUT_MS } from './uplink.js'

export type Profile = 'watch' | 'terminal'

export { INPUT_KINDS, type InputKind } from './input-kinds.js'

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
    /**
     * the other nodes of a clustered broker, tried in turn after `url` when an attempt fails or the
     * connection is lost (docs/OPERATIONS.md, "Topologies"); empty for a single box
     */
    failoverUrls: string[]
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

const isPlain = isPlainObject

/** the same credential again within this long is a duplicate read unless the config says otherwise */
export const DEFAULT_DUPLICATE_WINDOW_MS = 30_000

const checkSchema = settingsChecker(deviceConfigSchema)

/** Reads and checks a config file; relative paths in it (ring.path, broker.ca) are relative to the file. */
export function loadDeviceConfig (file: string, env: NodeJS.ProcessEnv = process.env): DeviceConfig {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (err) { throw new Error(`config: cannot read ${file}: ${(err as Error).message}`) }
  let raw: unknown
  try { raw = JSON.parse(text) } catch (err) { throw new Error(`config: ${file} is not valid JSON: ${(err as Error).message}`) }
  const cfg = parseDeviceConfig(raw, env, file)
  const base = dirname(resolve(file))
  cfg.ring.path = resolve(base, cfg.ring.path)
  if (cfg.broker.ca !== undefined) cfg.broker.ca = resolve(base, cfg.broker.ca)
  return cfg
}

/** Checks a parsed config file and lays it over its profile's defaults; every problem is reported at once. */
export function parseDeviceConfig (raw: unknown, env: NodeJS.ProcessEnv = {}, source?: string): DeviceConfig {
  if (!isPlain(raw)) throw new Error('config: must be a JSON object')
  const problems = new SettingProblems()
  checkSchema(raw, problems)
  const broker = isPlain(raw.broker) ? raw.broker : {}
  if (raw.broker === undefined) problems.add('broker.url', 'required, e.g. mqtt://gateway.local:1883')
  if (typeof broker.url === 'string' && !problems.has('broker.url')) {
    const problem = brokerUrlProblem(broker.url)
    if (problem !== undefined) problems.add('broker.url', problem)
  }
  if (Array.isArray(broker.failoverUrls) && !problems.has('broker.failoverUrls')) {
    broker.failoverUrls.forEach((u: unknown, i: number) => {
      const problem = brokerUrlProblem(u)
      if (problem !== undefined) problems.add(`broker.failoverUrls[${i}]`, problem)
    })
  }
  const names = new Set<string>()
  if (Array.isArray(raw.inputs)) {
    raw.inputs.forEach((input: unknown, i: number) => {
      if (!isPlain(input) || problems.has(`inputs[${i}]`)) return
      const name = String(input.name ?? input.kind)
      if (names.has(name)) problems.add(`inputs[${i}].name`, `'${name}' is used twice; give each input its own name`)
      names.add(name)
    })
  }
  problems.throwIfAny(source)

  const file = raw as unknown as FileConfig
  const profile = file.profile ?? 'terminal'
  const p = PROFILES[profile]
  return {
    id: file.id,
    secret: env.PUNCHLINE_DEVICE_SECRET ?? file.secret,
    profile,
    broker: { url: file.broker.url, failoverUrls: file.broker.failoverUrls ?? [], ca: file.broker.ca, rejectUnauthorized: file.broker.rejectUnauthorized ?? true },
    ring: { ...p.ring, ...file.ring },
    uplink: { ...p.uplink, ...file.uplink },
    tz: file.tz ?? -new Date().getTimezoneOffset(),
    duplicateWindowMs: file.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
    clock: { trustSystemClock: false, jumpWarnMs: 60_000, ...file.clock },
    maxFixAgeMs: file.maxFixAgeMs ?? 120_000,
    fw: file.fw ?? 'punchline',
    inputs: (file.inputs ?? []).map(input => ({ ...input, name: input.name ?? input.kind }))
  }
}

function brokerUrlProblem (value: unknown): string | undefined {
  let url: URL
  try { url = new URL(String(value)) } catch { return `not a URL: '${String(value)}'` }
  return url.protocol === 'mqtt:' || url.protocol === 'mqtts:' ? undefined : 'must start with mqtt:// or mqtts://'
}

/** A config file as the schema has let it through: every key optional but the id and the broker's URL. */
type FileConfig = Partial<Omit<DeviceConfig, 'ring' | 'uplink' | 'clock' | 'inputs' | 'broker'>> & {
  id: string
  broker: { url: string, failoverUrls?: string[], ca?: string, rejectUnauthorized?: boolean }
  ring?: Partial<DeviceConfig['ring']>
  uplink?: Partial<DeviceConfig['uplink']>
  clock?: Partial<DeviceConfig['clock']>
  inputs?: Array<{ kind: InputKind, name?: string, [option: string]: unknown }>
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
