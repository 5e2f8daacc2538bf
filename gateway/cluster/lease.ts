/**
 * How long a claimed batch stays a node's own without word from it. Past it another node claims the batch
 * and sends it again under the same key: long enough for a delivery to finish (the sink's deadline and
 * the forwarder's watchdog grace), short enough that a dead node's batches wait little.
 */
export const DEFAULT_LEASE_MS = 60_000
