/**
 * The flags of `punchline sim --hardware KINDS`: the fake parts to put on PTYs for a real `punchline
 * device`, and how the player presents the scenario's reads to them. Checked here, at the edge, so a field
 * engineer sees "--every-ms: ..." before anything is started, and a flag of another mode is refused
 * instead of being ignored without a word.
 */
import { closest } from '../../shared/closest.js'
import type { FlagSpec } from '../../shared/cli.js'

export const HARDWARE_KINDS = ['rdm6300', 'wiegand', 'r307', 'gps'] as const
export type HardwareKind = typeof HARDWARE_KINDS[number]
/** The parts that make reads; gps only stamps them. */
export type ReaderKind = Exclude<HardwareKind, 'gps'>

/** The flags this mode adds to `punchline sim` (--scenario, --file, --seed, --report, --keep are shared). */
export const HARDWARE_OPTIONS = {
  hardware: { type: 'string', value: 'rdm6300|wiegand|r307[,gps]' },
  device: { type: 'string', value: 'ID' },
  'every-ms': { type: 'whole', value: '300', min: 20, max: 60_000 },
  reads: { type: 'whole', min: 1, max: 1_000_000 },
  'line-faults': { type: 'number', value: '0.1', min: 0, max: 1, what: 'a probability' },
  'unplug-every': { type: 'whole', min: 1, max: 1_000_000 },
  external: { type: 'boolean' },
  'pty-dir': { type: 'string', value: 'DIR' }
} as const satisfies Record<string, FlagSpec>

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

/** Flag values as shared/cli.ts parsed them: numbers already checked against HARDWARE_OPTIONS's ranges. */
export type FlagValues = Record<string, unknown>

function text (values: FlagValues, flag: string): string | undefined {
  const v = values[flag]
  return typeof v === 'string' ? v : undefined
}

function num (values: FlagValues, flag: string): number | undefined {
  const v = values[flag]
  return typeof v === 'number' ? v : undefined
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
  return {
    ...kinds,
    scenario,
    file,
    device,
    everyMs: num(values, 'every-ms') ?? 300,
    reads: num(values, 'reads'),
    lineFaults: num(values, 'line-faults') ?? 0,
    unplugEvery: num(values, 'unplug-every'),
    external: values.external === true,
    ptyDir,
    report,
    seed: num(values, 'seed'),
    keep: values.keep === true
  }
}

/** The hardware mode's own flags make no sense without it: say so rather than run another mode. */
export function refuseHardwareFlags (values: FlagValues): void {
  const stray = Object.keys(HARDWARE_OPTIONS).filter(f => f !== 'hardware' && values[f] !== undefined)
  if (stray.length > 0) throw new Error(`${stray.map(f => `--${f}`).join(', ')}: only with --hardware KINDS (e.g. --hardware rdm6300)`)
}
