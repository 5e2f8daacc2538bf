/**
 * A site's people: who works which shift and punches on which device.
 *
 * Shifts take people in order by their share (largest remainder, so the counts add up to the staff
 * exactly). Watches are personal: the first people get one each until they run out, the rest share the
 * site's terminals round-robin, which spreads each shift's arrivals evenly across the terminals.
 */
import type { PunchMethod } from '../../shared/punch.js'
import type { ShiftSpec, SiteSpec } from '../scenario/types.js'
import { siteDevices } from '../scenario/devices.js'

export interface Person {
  /** 0-based within the site, and the key of the person's random stream */
  index: number
  emp: string
  shift: ShiftSpec
  device: string
  method: PunchMethod
  watch: boolean
}

/** `E{site}-{n}`, n from 1 zero-padded to 4: the '-' keeps site 'hq1' person 2 apart from site 'hq' person 12. */
export function badgeOf (siteId: string, n: number): string {
  return `E${siteId}-${String(n).padStart(4, '0')}`
}

/**
 * How many of `staff` work each shift: floor of the share, then the remainders largest first. Shares are
 * normalised first: the parser lets them add up to 1 give or take a rounding ('0.33' three times).
 */
export function shiftHeadcounts (staff: number, shifts: readonly ShiftSpec[]): number[] {
  const sum = shifts.reduce((n, s) => n + s.staffShare, 0)
  if (sum <= 0) return shifts.map(() => 0)
  const exact = shifts.map(s => staff * s.staffShare / sum)
  const counts = exact.map(Math.floor)
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i)
  let left = staff - counts.reduce((a, b) => a + b, 0)
  for (let k = 0; left > 0; k++, left--) counts[order[k].i]++
  return counts
}

export function sitePeople (site: SiteSpec): Person[] {
  const devices = siteDevices(site)
  const watches = devices.filter(d => d.group.kind === 'watch')
  const terminals = devices.filter(d => d.group.kind === 'terminal')
  const counts = shiftHeadcounts(site.staff, site.shifts)
  const people: Person[] = []
  counts.forEach((count, s) => {
    for (let k = 0; k < count; k++) {
      const index = people.length
      const home = index < watches.length ? watches[index] : terminals[(index - watches.length) % terminals.length]
      if (home === undefined) return
      people.push({ index, emp: badgeOf(site.id, index + 1), shift: site.shifts[s], device: home.id, method: home.group.method, watch: home.group.kind === 'watch' })
    }
  })
  return people
}
