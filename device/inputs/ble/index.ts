/**
 * The BLE input's factory: checks the config object a device config lists (every rule phrased with the
 * field it is about) and builds a BleInput on node-ble.
 */
import nodeBle from 'node-ble'
import type { Logger } from '../../../shared/log.js'
import { BleInput } from './ble-input.js'
import { ADDRESS_PATTERN } from './gatt.js'
import type { BleSession } from './peer-link.js'

export { BleInput, type BleInputOptions } from './ble-input.js'
import type { BleInputOptions } from './ble-input.js'
export type { BleSession } from './peer-link.js'
export * from './frames.js'
export { fragmentFrame, Reassembler } from './fragments.js'
export { PUNCH_SERVICE_UUID, PUNCH_CHARACTERISTIC_UUID, ACK_CHARACTERISTIC_UUID } from './gatt.js'

/** What a device config says about a BLE input: the input's options without the injected parts. */
export type BleInputConfig = Omit<BleInputOptions, 'log' | 'createBluetooth' | 'random'> & { kind?: 'ble' }

export interface BleInputDeps {
  log: Logger
  /** node-ble's createBluetooth by default (the D-Bus system bus, or DBUS_SYSTEM_BUS_ADDRESS) */
  createBluetooth?: () => BleSession
  random?: () => number
}

const KEYS = ['kind', 'name', 'peers', 'adapter', 'findTimeoutMs', 'pollMs', 'stepTimeoutMs', 'healthCheckMs', 'backoff', 'recentPerPeer']
const MS_FIELDS = [['findTimeoutMs', 1, 3_600_000], ['pollMs', 10, 60_000], ['stepTimeoutMs', 100, 300_000], ['healthCheckMs', 100, 600_000]] as const

/** Checks a BLE input's config; throws one Error naming the first field that breaks a rule. */
export function parseBleInputConfig (raw: unknown): BleInputConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('ble input: config must be an object')
  const c = raw as Record<string, unknown>
  const name = c.name
  if (typeof name !== 'string' || name.length < 1 || name.length > 64) throw new Error('ble input: name: must be a string of 1 to 64 characters')
  const fail = (field: string, rule: string): never => { throw new Error(`ble input "${name}": ${field}: ${rule}`) }
  for (const k of Object.keys(c)) if (!KEYS.includes(k)) fail(k, `unknown option (known: ${KEYS.join(', ')})`)
  if (c.kind !== undefined && c.kind !== 'ble') fail('kind', 'must be ble')
  if (!Array.isArray(c.peers) || c.peers.length < 1 || c.peers.length > 7) fail('peers', 'must list 1 to 7 peer addresses (BlueZ keeps about 7 LE links)')
  const peers = (c.peers as unknown[]).map((p, i) => {
    const address = typeof p === 'string' ? p.toUpperCase() : ''
    if (!ADDRESS_PATTERN.test(address)) fail(`peers[${i}]`, 'must be a BLE address like AA:BB:CC:DD:EE:FF')
    return address
  })
  const out: BleInputConfig = { name, peers }
  if (c.adapter !== undefined) {
    if (typeof c.adapter !== 'string' || !/^hci\d{1,3}$/.test(c.adapter)) fail('adapter', 'must be a BlueZ adapter name like hci0')
    out.adapter = c.adapter as string
  }
  for (const [field, min, max] of MS_FIELDS) {
    const v = c[field]
    if (v === undefined) continue
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) fail(field, `must be an integer between ${min} and ${max} (ms)`)
    out[field] = v as number
  }
  if (c.backoff !== undefined) {
    const b = c.backoff as Record<string, unknown> | null
    if (typeof b !== 'object' || b === null) fail('backoff', 'must be {baseMs, capMs}')
    const { baseMs, capMs } = b as Record<string, unknown>
    if (!Number.isInteger(baseMs) || (baseMs as number) < 1 || (baseMs as number) > 600_000) fail('backoff.baseMs', 'must be an integer between 1 and 600000 (ms)')
    if (!Number.isInteger(capMs) || (capMs as number) < (baseMs as number) || (capMs as number) > 600_000) fail('backoff.capMs', 'must be an integer between baseMs and 600000 (ms)')
    out.backoff = { baseMs: baseMs as number, capMs: capMs as number }
  }
  if (c.recentPerPeer !== undefined) {
    if (!Number.isInteger(c.recentPerPeer) || (c.recentPerPeer as number) < 16 || (c.recentPerPeer as number) > 65_536) fail('recentPerPeer', 'must be an integer between 16 and 65536')
    out.recentPerPeer = c.recentPerPeer as number
  }
  return out
}

export function createBleInput (config: BleInputConfig | { name: string, [option: string]: unknown }, deps: BleInputDeps): BleInput {
  const c = parseBleInputConfig(config)
  return new BleInput({
    ...c,
    log: deps.log,
    createBluetooth: deps.createBluetooth ?? nodeBle.createBluetooth,
    random: deps.random
  })
}
