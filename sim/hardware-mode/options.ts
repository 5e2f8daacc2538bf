/**
 * The flags of `punchline sim --hardware KINDS`: the fake parts to put on PTYs for a real `punchline
 * device`, and how the player presents the scenario's reads to them. Checked here, at the edge, so a field
 * engineer sees "--every-ms: ..." before anything is started, and a flag of another mode is refused
 * instead of being ignored without a word.
 */
import { closest } from '../scenario/problems.js'

export const HARDWARE_KINDS = ['rdm6300', 'wiegand', 'r307', 'gps'] as const
export type HardwareKind = typeof HARDWARE_KINDS[number]
/** The parts that make reads; gps only stamps them. */
export type ReaderKind = Exclude<HardwareKind, 'gps'>

/** parseArgs options this mode adds to `punchline sim` (--scenario, --file, --seed, --report, --keep are shared). */
export const HARDWARE_OPTIONS = {
  hardware: { type: 'string' },
  device: { type: 'string' },
  'every-ms': { type: 'string' },
  reads: { type: 'string' },
  'line-faults': { type: 'string' },
  'unplug-every': { type: 'string' },
  external: { type: 'boolean' },
  'pty-dir': { type: 'string' }
} as const

/** Flags of the other modes: the hardware mode has one device and its own embedded gateway. */
const OTHER_MODE_FLAGS = [
  'list', 'broker', 'secrets', 'duration', 'devices-scale', 'staff-scale', 'client', 'transport', 'settle-ms',
  'devices', 'punches', 'interval-ms', 'outage-at-ms', 'outage-ms', 'capacity', 'policy', 'drain-timeout-ms'
]

export interface HardwareOptions {
  reader: ReaderKind
  /** a fake GPS receiver beside the reader: each read carries the fix sent just before it */
  gps: boolean
  scenario?: string
  file?: string
  /** the scenario device to play; default the first one with planned reads */
  device?: string
  everyMs: number
  /** at most this many reads; default every planned read of the device */
  reads?: number
  /** probability that a read meets a line fault (noise, split, bad checksum first) */
  lineFaults: number
  /** pull the reader's adapter out after every n reads */
  unplugEvery?: number
  /** print the config and PTY paths and wait for a device run by someone else */
  external: boolean
  ptyDir?: string
  /** a JSON file for the reconciliation */
  report?: string
  seed?: number
  keep: boolean
}

export type FlagValues = Record<string, string | boolean | undefined>

function wholeNumber (v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag}: must be a whole number from ${min} to ${max} (got '${v}')`)
  return n
}

function text (values: FlagValues, flag: string): string | undefined {
  const v = values[flag]
  return typeof v === 'string' ? v : undefined
}

/** "rdm6300,gps" → the reader and whether a GPS accompanies it. */
export function parseKinds (list: string): { reader: ReaderKind, gps: boolean } {
  const kinds = list.split(',').map(k => k.trim().toLowerCase())
  if (kinds.some(k => k === '')) throw new Error(`--hardware: a comma list of ${HARDWARE_KINDS.join(', ')} (got '${list}')`)
  const seen = new Set<string>()
  for (const k of kinds) {
    if (!(HARDWARE_KINDS as readonly string[]).includes(k)) {
      const near = closest(k, HARDWARE_KINDS)
      throw new Error(`--hardware: unknown part '${k}'${near !== undefined ? ` (did you mean '${near}'?)` : ''}; parts: ${HARDWARE_KINDS.join(', ')}`)
    }
    if (seen.has(k)) throw new Error(`--hardware: '${k}' is listed twice`)
    seen.add(k)
  }
  const readers = kinds.filter((k): k is ReaderKind => k !== 'gps')
  if (readers.length === 0) throw new Error('--hardware: gps gives positions, not reads: add a reader to stamp, e.g. --hardware rdm6300,gps')
  // One reader: the ground truth is then one credential per person, and the runtime's duplicate window
  // (keyed by credential) cannot be fooled by one person holding two different credentials.
  if (readers.length > 1) throw new Error(`--hardware: one reader at a time (got ${readers.join(' and ')}); add gps beside it if you like`)
  return { reader: readers[0], gps: seen.has('gps') }
}

export function parseHardwareOptions (values: FlagValues): HardwareOptions {
  const others = OTHER_MODE_FLAGS.filter(f => values[f] !== undefined)
  if (others.length > 0) {
    throw new Error(`--hardware does not take ${others.map(f => `--${f}`).join(', ')}: it plays one scenario device against its own embedded gateway`)
  }
  const kinds = parseKinds(String(values.hardware))
  const scenario = text(values, 'scenario')
  const file = text(values, 'file')
  if (scenario !== undefined && file !== undefined) throw new Error('--scenario and --file: give one of them')
  const report = text(values, 'report')
  if (report !== undefined && !report.endsWith('.json')) throw new Error(`--report: with --hardware the report is JSON; give a file ending in .json (got '${report}')`)
  const ptyDir = text(values, 'pty-dir')
  if (ptyDir === '') throw new Error('--pty-dir: must be a directory path')
  const device = text(values, 'device')
  if (device === '') throw new Error('--device: must be a device id of the scenario')
  const lf = text(values, 'line-faults')
  const lineFaults = lf === undefined ? 0 : Number(lf)
  if (lf !== undefined && (lf.trim() === '' || !(lineFaults >= 0 && lineFaults <= 1))) throw new Error(`--line-faults: must be a probability from 0 to 1 (got '${lf}')`)
  const seedText = text(values, 'seed')
  const seed = seedText === undefined ? undefined : Number(seedText)
  if (seed !== undefined && (seedText?.trim() === '' || !Number.isSafeInteger(seed))) throw new Error(`--seed: must be a whole number (got '${seedText}')`)
  return {
    ...kinds,
    scenario,
    file,
    device,
    everyMs: wholeNumber(text(values, 'every-ms'), 'every-ms', 20, 60_000) ?? 300,
    reads: wholeNumber(text(values, 'reads'), 'reads', 1, 1_000_000),
    lineFaults,
    unplugEvery: wholeNumber(text(values, 'unplug-every'), 'unplug-every', 1, 1_000_000),
    external: values.external === true,
    ptyDir,
    report,
    seed,
    keep: values.keep === true
  }
}

/** The hardware mode's own flags make no sense without it: say so rather than run another mode. */
export function refuseHardwareFlags (values: FlagValues): void {
  const stray = Object.keys(HARDWARE_OPTIONS).filter(f => f !== 'hardware' && values[f] !== undefined)
  if (stray.length > 0) throw new Error(`${stray.map(f => `--${f}`).join(', ')}: only with --hardware KINDS (e.g. --hardware rdm6300)`)
}
