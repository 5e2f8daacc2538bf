/**
 * The ground truth against the upstream: the multiset of reads the player presented (credential, method,
 * and with a GPS the fix sent before the read) must equal the multiset of punches the upstream accepted
 * from the device, each punch id accepted once. A read with no punch is missing; a punch no read explains
 * (a phantom card from line noise, a read stamped with the wrong fix) is extra; an id accepted twice is a
 * duplicate. Only all three at zero is a pass.
 */
import type { Location, PunchMethod } from '../../shared/punch.js'
import type { UpstreamPunch } from '../../shared/upstream.js'
import type { LineFault } from './line-faults.js'

export interface Presented {
  n: number
  person: string
  /** the credential as the runtime must write it */
  emp: string
  method: PunchMethod
  loc?: Location
  fault?: LineFault
}

export interface Reconciliation {
  device: string
  presented: number
  /** distinct punch ids the upstream accepted from the device */
  delivered: number
  matched: number
  missing: Presented[]
  extra: UpstreamPunch[]
  /** accepted copies beyond the first of a punch id */
  duplicates: number
  exact: boolean
}

/**
 * Six decimals of a degree is about 10 cm, what the plan and NMEA's minutes with five decimals both
 * carry; accuracy to a tenth of a metre, what HDOP × 5 m gives.
 */
export function locationText (loc: Location | undefined): string {
  return loc === undefined ? 'no fix' : `${loc.lat.toFixed(6)},${loc.lon.toFixed(6)} ±${(Math.round(loc.acc * 10) / 10).toString()} m`
}

function keyOf (emp: string, method: string, loc: Location | undefined): string {
  return `${emp} ${method} ${locationText(loc)}`
}

export function reconcile (device: string, presented: readonly Presented[], delivered: ReadonlyArray<{ punch: UpstreamPunch, times: number }>): Reconciliation {
  const waiting = new Map<string, UpstreamPunch[]>()
  let duplicates = 0
  for (const { punch, times } of delivered) {
    duplicates += Math.max(0, times - 1)
    const k = keyOf(punch.emp, punch.method, punch.loc)
    const list = waiting.get(k)
    if (list === undefined) waiting.set(k, [punch])
    else list.push(punch)
  }
  const missing: Presented[] = []
  for (const p of presented) {
    const list = waiting.get(keyOf(p.emp, p.method, p.loc))
    if (list === undefined || list.length === 0) missing.push(p)
    else list.shift()
  }
  const extra = [...waiting.values()].flat()
  return {
    device,
    presented: presented.length,
    delivered: delivered.length,
    matched: presented.length - missing.length,
    missing,
    extra,
    duplicates,
    exact: missing.length === 0 && extra.length === 0 && duplicates === 0
  }
}
