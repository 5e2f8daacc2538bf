/**
 * What a cluster's nodes would have left in the shared store, written through the store itself for tests of
 * what reads it (the console, its API): one punch the upstream refused for good, parked in dead letters.
 */
import type { ClusterStore } from '../../gateway/cluster/cluster-store.js'

export async function parkOneRefusedPunch (store: ClusterStore, at: number): Promise<void> {
  await store.commit([{ received: at, rows: [{ device: 'D-1', epoch: '9f2c41d0', tz: 0, flags: '', punch: { seq: 1, ts: at, emp: 'E1', kind: 'in', method: 'card', clock: 'synced' } }] }])
  const batch = await store.claim({ size: 10, node: 'n1' })
  if (batch === undefined) throw new Error('nothing to claim')
  await store.deadLetter(batch, { status: 422, reason: 'unknown employee', kind: 'refused', node: 'n1' })
}
