/**
 * Distances and areas on the Earth for the GPS rules. Sites are a few hundred metres to a few kilometres
 * across, so a local equirectangular projection is exact to well under a metre there; distances between
 * punches can be continents apart and use the haversine formula.
 */
/** A site's area: a circle, or a polygon of [lat, lon] corners. */
export type Geofence =
  | { lat: number, lon: number, radiusM: number }
  | { polygon: Array<[number, number]> }

const EARTH_RADIUS_M = 6_371_008.8
const RAD = Math.PI / 180

/** Great-circle distance in metres. */
export function distanceM (lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD
  const dLon = (lon2 - lon1) * RAD
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)))
}

/** Metres east/north of (lat0, lon0): good for the size of a site, not for a country. */
function project (lat: number, lon: number, lat0: number, lon0: number): [number, number] {
  let dLon = lon - lon0
  if (dLon > 180) dLon -= 360
  if (dLon < -180) dLon += 360
  return [dLon * RAD * EARTH_RADIUS_M * Math.cos(lat0 * RAD), (lat - lat0) * RAD * EARTH_RADIUS_M]
}

/**
 * How far a point lies outside a fence, in metres (0 when inside). A polygon's distance is to its nearest
 * edge, so a punch just outside a wall with a 20 m fix can be let off by its accuracy.
 */
export function outsideBy (lat: number, lon: number, fence: Geofence): number {
  if (!('polygon' in fence)) return Math.max(0, distanceM(lat, lon, fence.lat, fence.lon) - fence.radiusM)
  const pts = fence.polygon.map(([la, lo]) => project(la, lo, lat, lon))
  // Ray casting from the point (the origin after projection): odd crossings = inside.
  let inside = false
  let nearest = Infinity
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i]
    const [xj, yj] = pts[j]
    if ((yi > 0) !== (yj > 0) && (xj - xi) * (0 - yi) / (yj - yi) + xi > 0) inside = !inside
    nearest = Math.min(nearest, toSegment(xi, yi, xj, yj))
  }
  return inside ? 0 : nearest
}

/** Distance from the origin to the segment (x1,y1)-(x2,y2). */
function toSegment (x1: number, y1: number, x2: number, y2: number): number {
  const dx = x2 - x1
  const dy = y2 - y1
  const len2 = dx * dx + dy * dy
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(x1 * dx + y1 * dy) / len2))
  return Math.hypot(x1 + t * dx, y1 + t * dy)
}

/** Outside every fence by more than the fix's accuracy. No fences: never outside (the rule is off). */
export function outsideAll (lat: number, lon: number, accM: number, fences: readonly Geofence[]): boolean {
  if (fences.length === 0) return false
  for (const f of fences) if (outsideBy(lat, lon, f) <= accM) return false
  return true
}
