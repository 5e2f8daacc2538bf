/**
 * A `faults:` entry of a scenario file as a JSON Schema: every fault has a `kind` and an `at`, and the
 * kind says which other fields it takes (docs/SCENARIOS.md, "Faults"). Field names drop the types' `Ms`
 * suffix because their values carry units ('for: 62h'). Whether the site or the devices a fault names
 * exist, and whether it starts before the end, is checked by sim/scenario/read-faults.ts.
 */
import { numberBetween, section, wholeBetween } from '../../shared/settings-schema.js'
import { SCENARIO_DEFAULTS as D } from './defaults.js'
import { formatDuration } from './duration.js'
import { written } from './syntaxes.js'

export const FAULT_KINDS = [
  'site-outage', 'flapping', 'latency', 'gateway-restart', 'upstream-outage', 'power-cut',
  'rtc-loss', 'clock-jump', 'gps-spoof', 'poison-record', 'thundering-herd'
] as const
export type FaultKind = typeof FAULT_KINDS[number]

const duration = (defaultMs?: number): object => written('duration', defaultMs === undefined ? {} : { default: formatDuration(defaultMs) })
const flag = (def: boolean): object => ({ type: 'boolean', default: def })

const select = section({
  site: { type: 'string' },
  count: wholeBetween(1, 1_000_000),
  devices: { type: 'array', minItems: 1, items: { type: 'string' }, problem: 'must list at least one device id' }
})

/** The fields each kind takes besides `kind` and `at`, and which of them a fault of the kind must give. */
const KINDS: Record<FaultKind, { fields: Record<string, object>, required?: string[] }> = {
  'site-outage': { fields: { site: { type: 'string' }, for: duration() }, required: ['for'] },
  flapping: { fields: { site: { type: 'string' }, for: duration(), up: duration(D.faults.flappingUpMs), down: duration(D.faults.flappingDownMs) }, required: ['for'] },
  latency: { fields: { site: { type: 'string' }, for: duration(), latency: duration(D.faults.latencyMs), jitter: duration(D.faults.jitterMs) }, required: ['for'] },
  'gateway-restart': { fields: { down: duration(D.faults.gatewayDownMs), crash: flag(D.faults.crash) } },
  'upstream-outage': {
    fields: {
      for: duration(),
      // The answers a forwarder retries (docs/ARCHITECTURE.md, decision 7): any other 4xx would dead-letter every punch.
      status: {
        type: 'integer',
        anyOf: [{ enum: [408, 429] }, { minimum: 500, maximum: 599 }],
        problem: 'must be 408, 429 or 500-599: an outage is an answer the forwarder retries',
        default: D.faults.upstreamStatus
      }
    },
    required: ['for']
  },
  'power-cut': { fields: { select, off: duration(D.faults.powerOffMs), tornWrite: flag(D.faults.tornWrite) } },
  'rtc-loss': { fields: { select } },
  'clock-jump': { fields: { select, by: written('signed-duration') }, required: ['by'] },
  'gps-spoof': { fields: { select, km: { ...numberBetween(0.1, 20_000), default: D.faults.spoofKm } } },
  'poison-record': { fields: { select } },
  'thundering-herd': { fields: {} }
}

export const faultSchema = {
  type: 'object',
  required: ['kind', 'at'],
  properties: {
    kind: { enum: FAULT_KINDS, problem: `must be one of ${FAULT_KINDS.join(', ')}` },
    at: written('moment')
  },
  // The kind picks the one entry below that the fault is held to; without a known kind nothing else is checked.
  discriminator: { propertyName: 'kind' },
  oneOf: FAULT_KINDS.map(kind => section({ kind: { const: kind }, at: {}, ...KINDS[kind].fields }, KINDS[kind].required))
}

/** Which fields a fault of `kind` takes (besides kind and at). */
export function faultFields (kind: FaultKind): string[] {
  return Object.keys(KINDS[kind].fields)
}
