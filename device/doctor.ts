/**
 * `punchline doctor --config FILE`: checks a device end to end and says what to fix in plain words.
 * Each check is small and independent; one failing does not stop the others, so a field engineer gets
 * the whole picture from one run. Run it with the device runtime stopped: it opens the ring file and the
 * serial ports itself. Works without udev (nothing here lists ports through it).
 */
import { statfsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import mqtt from 'mqtt'
import type { Logger } from '../shared/log.js'
import { Topics } from '../shared/topics.js'
import { decodeCommand } from '../shared/codec/command.js'
import { brokerTls, type DeviceConfig } from './config.js'
import { openFileRing, RECORD_SIZE, HEADER_SIZE } from './ring/index.js'
import type { Input } from './inputs/input.js'

export type Verdict = 'ok' | 'warn' | 'fail'

export interface Check {
  name: string
  verdict: Verdict
  /** what was found, and when not ok, what to do */
  detail: string
}

export interface DoctorDeps {
  log: Logger
  inputs: Input[]
  /** how long to listen to each input for frames */
  listenMs?: number
  /** checks whether a BLE adapter is there (node-ble); undefined when the config has no BLE input */
  bleAdapter?: () => Promise<string>
  now?: () => number
}

const SKEW_WARN_MS = 5000

export async function runChecks (config: DeviceConfig, deps: DoctorDeps): Promise<Check[]> {
  const checks: Check[] = [{ name: 'config', verdict: 'ok', detail: `device ${config.id}, ${config.profile} profile, ${config.inputs.length} input(s)` }]
  checks.push(checkRing(config), checkDisk(config))
  for (const input of deps.inputs) checks.push(await checkInput(input, deps.listenMs ?? 3000))
  if (deps.bleAdapter !== undefined) {
    try {
      checks.push({ name: 'ble adapter', verdict: 'ok', detail: await deps.bleAdapter() })
    } catch (err) {
      checks.push({ name: 'ble adapter', verdict: 'fail', detail: `no Bluetooth adapter: ${(err as Error).message}. Check that bluetoothd runs and the adapter is powered (bluetoothctl show)` })
    }
  }
  checks.push(...await checkBroker(config, deps.now ?? Date.now))
  return checks
}

function checkRing (config: DeviceConfig): Check {
  try {
    const ring = openFileRing({ path: config.ring.path, capacity: config.ring.capacity, retentionMs: config.ring.retentionHours * 3_600_000 })
    const s = ring.stats()
    ring.close()
    const fill = `${s.pending} of ${s.capacity} slots waiting for the gateway (${Math.round(100 * s.pending / s.capacity)} %)`
    const counts = `refused ${s.refused}, overwritten ${s.overwritten}, expired ${s.expired}, rejected ${s.rejected}`
    const oldest = s.oldestPendingTs === null ? '' : `, oldest from ${new Date(s.oldestPendingTs).toISOString()}`
    if (s.corrupt > 0) {
      return { name: 'ring', verdict: 'warn', detail: `${fill}${oldest}; ${s.corrupt} damaged record(s) skipped (a power cut mid-write loses at most one; more means failing storage: replace the card/flash); ${counts}` }
    }
    if (s.pending > 0.8 * s.capacity) {
      return { name: 'ring', verdict: 'warn', detail: `${fill}${oldest}: nearly full, punches will be refused soon; restore the connection to the gateway; ${counts}` }
    }
    return { name: 'ring', verdict: 'ok', detail: `CRC scan clean; ${fill}${oldest}; ${counts}` }
  } catch (err) {
    return { name: 'ring', verdict: 'fail', detail: `${(err as Error).message}` }
  }
}

function checkDisk (config: DeviceConfig): Check {
  const need = HEADER_SIZE + config.ring.capacity * RECORD_SIZE
  let have = 0
  try { have = statSync(config.ring.path).size } catch {}
  try {
    const fs = statfsSync(dirname(config.ring.path))
    const free = fs.bavail * fs.bsize
    const missing = Math.max(0, need - have)
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`
    if (free < missing) return { name: 'disk', verdict: 'fail', detail: `the ring needs ${mib(missing)} more and only ${mib(free)} is free in ${dirname(config.ring.path)}: free space or lower ring.capacity` }
    if (free - missing < 16 * 2 ** 20) return { name: 'disk', verdict: 'warn', detail: `${mib(free)} free: little room for logs and updates` }
    return { name: 'disk', verdict: 'ok', detail: `${mib(free)} free; the ring file takes ${mib(need)} (preallocated)` }
  } catch (err) {
    return { name: 'disk', verdict: 'fail', detail: `cannot read free space of ${dirname(config.ring.path)}: ${(err as Error).message}` }
  }
}

async function checkInput (input: Input, listenMs: number): Promise<Check> {
  const name = `input ${input.name}`
  try {
    await input.start()
    await new Promise(resolve => setTimeout(resolve, listenMs))
    const s = input.stats()
    const state = input.state
    await input.stop()
    if (state !== 'open') return { name, verdict: 'fail', detail: `not open (${state}): check the port path or address, cabling and permissions (dialout group)` }
    const seen = `${s.frames} good frame(s), ${s.badChecksum} bad checksum(s), ${s.noiseBytes} noise byte(s) in ${listenMs / 1000} s`
    if (s.badChecksum > 0 || s.noiseBytes > 0) return { name, verdict: 'warn', detail: `${seen}: wrong baud rate, a long or unshielded cable, or a ground fault` }
    if (s.frames === 0) return { name, verdict: 'ok', detail: `open; no frames in ${listenMs / 1000} s (present a card or finger to see one)` }
    return { name, verdict: 'ok', detail: seen }
  } catch (err) {
    await input.stop().catch(() => {})
    return { name, verdict: 'fail', detail: `cannot open: ${(err as Error).message}` }
  }
}

/** Connects as the device would, waits for the gateway's time command, and compares clocks. */
async function checkBroker (config: DeviceConfig, now: () => number): Promise<Check[]> {
  const topics = new Topics()
  let client: mqtt.MqttClient | undefined
  try {
    client = await mqtt.connectAsync(config.broker.url, {
      protocolVersion: 4,
      // The ACL ties the client id to the device id, so this is the device's own session: run the doctor
      // with the runtime stopped, or the broker drops the runtime's connection for this one.
      clientId: config.id,
      username: config.secret === undefined ? undefined : config.id,
      password: config.secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...brokerTls(config)
    })
  } catch (err) {
    const m = (err as Error).message
    const hint = /not authorized|bad username/i.test(m)
      ? 'the gateway refused the credentials: check id and secret (punchline devices add on the gateway)'
      : 'check broker.url, the network, and that the gateway runs'
    return [{ name: 'broker', verdict: 'fail', detail: `${config.broker.url}: ${m}: ${hint}` }]
  }
  const checks: Check[] = [{ name: 'broker', verdict: 'ok', detail: `${config.broker.url} reachable, credentials accepted` }]
  try {
    const cmd = topics.of(config.id, 'cmd')
    const time = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no time command within 5 s')), 5000)
      client!.on('message', (topic, payload) => {
        const d = topic === cmd ? decodeCommand(payload) : undefined
        if (d?.ok === true && d.command.op === 'time') { clearTimeout(timer); resolve(d.command.now) }
      })
    })
    await client.subscribeAsync(cmd, { qos: 1 })
    const gatewayNow = await time
    const offset = gatewayNow - now()
    const verdict = Math.abs(offset) > SKEW_WARN_MS ? 'warn' : 'ok'
    checks.push({
      name: 'clock',
      verdict,
      detail: `offset against the gateway ${(offset / 1000).toFixed(1)} s` + (verdict === 'warn' ? ': the runtime corrects it on connect, but fix NTP or the RTC battery' : '')
    })
  } catch (err) {
    checks.push({ name: 'clock', verdict: 'warn', detail: `could not compare clocks: ${(err as Error).message}` })
  } finally {
    await client.endAsync(true)
  }
  return checks
}

export function formatChecks (checks: readonly Check[]): string {
  const label: Record<Verdict, string> = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL' }
  const width = Math.max(...checks.map(c => c.name.length))
  const lines = checks.map(c => `${label[c.verdict]}  ${c.name.padEnd(width)}  ${c.detail}`)
  const failed = checks.filter(c => c.verdict === 'fail').length
  const warned = checks.filter(c => c.verdict === 'warn').length
  lines.push(failed === 0 ? `device looks healthy${warned > 0 ? ` (${warned} warning(s))` : ''}` : `${failed} problem(s) to fix`)
  return lines.join('\n')
}

/** Asks BlueZ (node-ble, the system bus or DBUS_SYSTEM_BUS_ADDRESS) for the default adapter; rejects when there is none. */
export async function bleAdapter (timeoutMs = 5000): Promise<string> {
  const { createBluetooth } = await import('node-ble')
  const { bluetooth, destroy } = createBluetooth()
  let timer: NodeJS.Timeout | undefined
  try {
    const adapter = await Promise.race([
      bluetooth.defaultAdapter(),
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no answer from BlueZ within ${timeoutMs / 1000} s`)), timeoutMs) })
    ])
    return `${await adapter.getName()} ${await adapter.getAddress()}, powered: ${String(await adapter.isPowered())}`
  } finally {
    clearTimeout(timer)
    destroy()
  }
}
