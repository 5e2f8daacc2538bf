/**
 * Serial readers for the device runtime: `createSerialInput(config, deps)` checks the config at the edge
 * and wires the port to the protocol its `kind` names.
 */
import type { Logger } from '../../../shared/log.js'
import { passiveProtocol, type ProtocolEvents, type SerialProtocol } from './protocol.js'
import { Rdm6300Decoder, rdm6300CardNumber } from './rdm6300.js'
import { WiegandTextDecoder, compileWiegandEmp, compileWiegandFormats, DEFAULT_WIEGAND_EMP, DEFAULT_WIEGAND_FORMATS, type WiegandTextOptions } from './wiegand-text.js'
import { R307Driver, type R307DriverOptions } from './r307.js'
import { NmeaDecoder, type NmeaOptions } from './nmea.js'
import { SerialInput } from './serial-input.js'

export { SerialInput, type SerialInputStats } from './serial-input.js'

export const SERIAL_INPUT_KINDS = ['rdm6300', 'wiegand', 'r307', 'nmea'] as const
export type SerialInputKind = typeof SERIAL_INPUT_KINDS[number]

/** What each kind's modules ship at: RDM6300, most Wiegand converters and GPS receivers 9600; R307 57600. */
export const DEFAULT_BAUD: Record<SerialInputKind, number> = { rdm6300: 9600, wiegand: 9600, r307: 57600, nmea: 9600 }

export interface SerialInputConfig {
  /** shown in reads and status, e.g. "door-reader" */
  name: string
  kind: SerialInputKind
  /** e.g. /dev/ttyUSB0; a /dev/serial/by-id/… path survives re-plugging into another socket */
  path: string
  /** defaults to DEFAULT_BAUD[kind] */
  baudRate?: number
  /** a credential seen again within this long of its last sighting is not a new read (default 1500) */
  debounceMs?: number
  /** wiegand: line formats and the credential template (see wiegand-text.ts) */
  wiegand?: WiegandTextOptions
  /** r307: address, poll interval, command timeout, library pages searched */
  r307?: R307DriverOptions
  /** nmea: metres per HDOP, default accuracy */
  nmea?: Omit<NmeaOptions, 'now'>
}

export interface SerialInputDeps {
  log: Logger
  now?: () => number
}

function intIn (path: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) {
    throw new Error(`${path}: must be an integer between ${min} and ${max}`)
  }
}

function protocolFor (c: SerialInputConfig, now: (() => number) | undefined): (events: ProtocolEvents) => SerialProtocol {
  switch (c.kind) {
    case 'rdm6300':
      return (e) => passiveProtocol(new Rdm6300Decoder({
        frame: (tag) => { e.frame(); if (tag !== undefined) e.credential(rdm6300CardNumber(tag.tag)) },
        badChecksum: e.badChecksum,
        noise: e.noise
      }))
    case 'wiegand': {
      // Compiled here so a bad format or template fails at start-up, not at the first card.
      const formats = compileWiegandFormats(c.wiegand?.formats ?? DEFAULT_WIEGAND_FORMATS)
      const emp = compileWiegandEmp(c.wiegand?.emp ?? DEFAULT_WIEGAND_EMP)
      return (e) => passiveProtocol(new WiegandTextDecoder({
        frame: (card) => { e.frame(); if (card !== undefined) e.credential(emp(card)) },
        badChecksum: e.badChecksum,
        noise: e.noise
      }, formats))
    }
    case 'r307':
      return (e) => new R307Driver(c.r307 ?? {}, e)
    case 'nmea':
      return (e) => passiveProtocol(new NmeaDecoder({
        frame: (fix) => { e.frame(); if (fix !== undefined) e.fix(fix) },
        badChecksum: e.badChecksum,
        noise: e.noise
      }, { ...c.nmea, now }))
  }
}

/** Checks the config (messages name the field) and builds the input; call `start()` to open the port. */
export function createSerialInput (config: SerialInputConfig, deps: SerialInputDeps): SerialInput {
  const c = config
  if (typeof c.name !== 'string' || c.name === '') throw new Error('name: must be a non-empty string')
  if (!(SERIAL_INPUT_KINDS as readonly string[]).includes(c.kind)) {
    throw new Error(`${c.name}.kind: must be one of ${SERIAL_INPUT_KINDS.join(', ')}`)
  }
  if (typeof c.path !== 'string' || c.path === '') throw new Error(`${c.name}.path: must be a device path such as /dev/ttyUSB0`)
  intIn(`${c.name}.baudRate`, c.baudRate, 50, 4_000_000)
  // Configs come from JSON: check the shapes before anything reads into them.
  for (const k of ['wiegand', 'r307', 'nmea'] as const) {
    const v: unknown = c[k]
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) throw new Error(`${c.name}.${k}: must be an object`)
  }
  const w = c.wiegand ?? {}
  if (w.formats !== undefined && !(Array.isArray(w.formats) && w.formats.length > 0 && w.formats.every(f => typeof f === 'string' || f instanceof RegExp))) {
    throw new Error(`${c.name}.wiegand.formats: must be a non-empty list of regular expressions`)
  }
  if (w.emp !== undefined && typeof w.emp !== 'string') throw new Error(`${c.name}.wiegand.emp: must be a template string such as "{facility:3}-{card:5}"`)
  intIn(`${c.name}.debounceMs`, c.debounceMs, 0, 3_600_000)
  const r = c.r307 ?? {}
  intIn(`${c.name}.r307.address`, r.address, 0, 0xffffffff)
  intIn(`${c.name}.r307.pollMs`, r.pollMs, 10, 60_000)
  intIn(`${c.name}.r307.commandTimeoutMs`, r.commandTimeoutMs, 50, 60_000)
  intIn(`${c.name}.r307.startPage`, r.startPage, 0, 0xffff)
  intIn(`${c.name}.r307.pageCount`, r.pageCount, 1, 0xffff)
  for (const k of ['accPerHdopM', 'defaultAccM'] as const) {
    const v = c.nmea?.[k]
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new Error(`${c.name}.nmea.${k}: must be a number of metres > 0`)
  }
  let protocol: (events: ProtocolEvents) => SerialProtocol
  try {
    protocol = protocolFor(c, deps.now)
  } catch (err) {
    throw new Error(`${c.name}.${(err as Error).message}`)
  }
  return new SerialInput({
    name: c.name,
    path: c.path,
    baudRate: c.baudRate ?? DEFAULT_BAUD[c.kind],
    method: c.kind === 'r307' ? 'fingerprint' : c.kind === 'nmea' ? 'gps' : 'card',
    debounceMs: c.debounceMs,
    protocol,
    log: deps.log,
    now: deps.now
  })
}
