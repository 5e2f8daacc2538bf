/**
 * Where a watch wearer is when they punch: a personal work spot inside the site (uniform over the inner
 * half of its radius) that drifts a little from punch to punch (a random walk), plus the fix's own error.
 * Every fix stays within 90 % of the radius, so an honest punch is never outside the site's geofence and
 * an outside-geofence flag in a run can only come from a fault (gps-spoof).
 */
import type { Location } from '../../shared/punch.js'
import type { SiteSpec } from '../scenario/types.js'
import type { RandomStream } from './random.js'

const M_PER_DEG_LAT = 111_320

export class GpsTrack {
  readonly #site: NonNullable<SiteSpec['location']>
  readonly #random: RandomStream
  /** metres east and north of the site's centre */
  #x: number
  #y: number

  constructor (site: NonNullable<SiteSpec['location']>, random: RandomStream) {
    this.#site = site
    this.#random = random
    // sqrt: uniform over the disc's area, not bunched at its centre.
    const r = 0.5 * site.radiusM * Math.sqrt(random.uniform())
    const a = 2 * Math.PI * random.uniform()
    this.#x = r * Math.cos(a)
    this.#y = r * Math.sin(a)
  }

  next (): Location {
    const R = this.#site.radiusM
    const [x, y] = limit(this.#x + 0.05 * R * this.#random.normal(), this.#y + 0.05 * R * this.#random.normal(), 0.8 * R)
    this.#x = x
    this.#y = y
    // Phone and watch GPS is good to 5-30 m outdoors; the fix lands that far off, within the site.
    const acc = Math.round(this.#random.between(5, 30))
    const [fx, fy] = limit(this.#x + (acc / 2) * this.#random.normal(), this.#y + (acc / 2) * this.#random.normal(), 0.9 * R)
    const lat = this.#site.lat + fy / M_PER_DEG_LAT
    const lon = this.#site.lon + fx / (M_PER_DEG_LAT * Math.cos(this.#site.lat * Math.PI / 180))
    return { lat: round6(lat), lon: round6(lon), acc }
  }
}

/** The point pulled back onto the circle of radius `r` when it lies outside it. */
function limit (x: number, y: number, r: number): [number, number] {
  const d = Math.hypot(x, y)
  return d <= r ? [x, y] : [x * r / d, y * r / d]
}

/** Six decimals is about 10 cm: what a GPS reports, and what keeps a punch's JSON short. */
function round6 (v: number): number {
  return Math.round(v * 1e6) / 1e6
}
