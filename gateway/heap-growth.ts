/**
 * How far V8 lets the JavaScript heap's old generation grow between full collections (the setting
 * `memory.heapGrowthPercent`).
 *
 * After each full collection V8 sets the next one's trigger at what survived times a growing factor it
 * picks itself, between 1.1 and 4, larger when collecting looks costly against the program's own work. A
 * gateway's live heap is mostly its connections (about 7 KB each: aedes's client, the MQTT parser, the
 * socket), and with 10,000 of them V8 let the old generation grow to about twice what was live (210 MB of old
 * space for 107 MB live): much of the RSS was garbage V8 had not collected yet. A fixed factor keeps the
 * heap nearer the live size, at the price of more full collections (V8 marks concurrently, on a helper
 * thread, which on a two-core box competes with the commit thread, and the program's pointer writes are
 * slower while it marks). 1.5 kept most of what 1.2 saved; both cost about a third more CPU while devices
 * connect en masse, and 1.2 a tenth more in a drain. Off by default (below). Figures: docs/DESIGN-NOTES.md,
 * "The heap's growth between full collections".
 *
 * V8 reads its flag (--heap-growing-percent) each time it recomputes the limits, after a full collection,
 * so setting it in the running process takes effect from the next one. The flag is the process's: the
 * commit thread's heap follows it too, which is small and short-lived.
 */
import { setFlagsFromString } from 'node:v8'

/**
 * V8's own factor. 50 took 200 MB off a 10,000-device drain's peak, but with it the cluster-nats fault (three
 * `--cluster` nodes, three NATS servers, PostgreSQL and 1,000 devices on two cores) did not drain, twice,
 * and drained in 37 s with V8's own factor; until that is understood, a gateway opts in.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 0
/** V8's own largest factor, 4 */
export const MAX_HEAP_GROWTH_PERCENT = 300

/** Sets the growing factor to 1 + percent/100; 0 leaves V8's own choice, or a --heap-growing-percent given to node. */
export function applyHeapGrowth (percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > MAX_HEAP_GROWTH_PERCENT) {
    throw new RangeError(`memory.heapGrowthPercent: must be a whole number between 0 and ${MAX_HEAP_GROWTH_PERCENT}, got ${percent}`)
  }
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`)
}
