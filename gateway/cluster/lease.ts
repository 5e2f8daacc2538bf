/**
 * How long a claimed batch stays a node's own without word from it. Past it another node claims the batch
 * and sends it again under the same key: long enough for a delivery to finish (the sink's deadline and
 * the forwarder's watchdog grace), short enough that a dead node's batches wait little.
 */
export const DEFAULT_LEASE_MS = 60_000

/** a lease shorter than a claim's own round trip would be lost before it was used */
export const MIN_LEASE_MS = 100
export const MAX_LEASE_MS = 24 * 3600_000

export function checkLeaseMs (ms: number | undefined): void {
  if (ms !== undefined && (!Number.isInteger(ms) || ms < MIN_LEASE_MS || ms > MAX_LEASE_MS)) {
    throw new RangeError(`leaseMs: must be a whole number from ${MIN_LEASE_MS} to ${MAX_LEASE_MS} (got ${ms})`)
  }
}
