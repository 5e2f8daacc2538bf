/**
 * Flag names a gateway may attach to a punch (docs/ARCHITECTURE.md, decision 6: flags, not drops).
 * The upstream decides what to do with a flagged punch; the gateway never drops one for a flag.
 */
export const FLAGS = [
  'late-sync', 'expired', 'clock-unsynced', 'future', 'clock-skew', 'double',
  'gps-jump', 'outside-geofence', 'manual', 'over-limit', 'unknown-badge'
] as const
export type Flag = typeof FLAGS[number]
