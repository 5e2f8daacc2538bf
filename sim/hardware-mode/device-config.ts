/**
 * The config file for the device under test (the format of device/config.ts), written where a field
 * engineer can read it: the ring in the run's temp dir, the embedded gateway as broker, an input on each
 * cable's device end.
 *
 * The windows are short so a run of hundreds of reads takes minutes, and the player keeps to them: it
 * never presents one credential twice within `sameCredentialGapMs`, so every read it presents must become
 * exactly one punch, and a duplicate-read or a debounced read would be a finding, not an expected drop.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ReaderKind } from './options.js'
import { R307_TIMING } from './r307-reader.js'

export const WINDOWS = {
  /** SerialInput's debounce: a card held on the reader is one read (the fake sends its repeats at once) */
  debounceMs: 500,
  /** the runtime's duplicate-read window */
  duplicateWindowMs: 1000
}
/**
 * The least time between two presentations of the same credential: past both windows, with a margin for
 * a read that reached the device late (a stalled socat or event loop makes the device's gap shorter than
 * the player's).
 */
export const sameCredentialGapMs = Math.max(WINDOWS.debounceMs, WINDOWS.duplicateWindowMs) + 1000

export interface DeviceConfigSpec {
  dir: string
  deviceId: string
  secret: string
  brokerUrl: string
  reader: { kind: ReaderKind, path: string, maxTemplateId: number }
  gpsPath?: string
  /** ring slots: room for every read of the run */
  capacity: number
  /** the site's UTC offset, minutes */
  tz: number
}

export function writeDeviceConfig (o: DeviceConfigSpec): string {
  const reader: Record<string, unknown> = { kind: o.reader.kind, name: 'reader', path: o.reader.path, debounceMs: WINDOWS.debounceMs }
  if (o.reader.kind === 'r307') reader.r307 = { ...R307_TIMING, pageCount: Math.min(0xffff, o.reader.maxTemplateId + 1) }
  const inputs: Array<Record<string, unknown>> = [reader]
  if (o.gpsPath !== undefined) inputs.push({ kind: 'nmea', name: 'gps', path: o.gpsPath })
  const config = {
    id: o.deviceId,
    secret: o.secret,
    profile: 'terminal',
    broker: { url: o.brokerUrl },
    ring: { path: join(o.dir, 'ring.bin'), capacity: Math.max(100, o.capacity) },
    // The gateway sets the clock when the device connects; trusting the host's (NTP) clock until then
    // keeps the first punches from being flagged clock-unsynced for no reason of the test.
    clock: { trustSystemClock: true },
    tz: o.tz,
    duplicateWindowMs: WINDOWS.duplicateWindowMs,
    inputs
  }
  const file = join(o.dir, 'device.json')
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 })
  return file
}
