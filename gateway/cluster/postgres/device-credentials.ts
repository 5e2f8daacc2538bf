/**
 * The cluster's device registry in the shared store: each registered device with the hashes of its
 * secret that the external brokers check (gateway/cluster/broker-auth/hashes.ts), never the secret
 * itself. `punchline devices --cluster` edits it; `punchline broker-auth` turns it into the broker's files.
 */
import type pg from 'pg'
import type { BrokerHashes, ClusterDevice, CredentialChange } from '../cluster-admin.js'

/**
 * Sets a device's hashes. `when` says which devices it applies to: 'new' (refused with 'exists' for a
 * registered one) or 'existing' (refused with 'missing' for an unknown one): adding never replaces a
 * secret and rotating never registers a device, so a typo in an id cannot do either silently.
 */
export async function putDeviceCredentials (pool: pg.Pool, id: string, hashes: BrokerHashes, when: 'new' | 'existing', now: number): Promise<CredentialChange> {
  if (when === 'new') {
    const added = await pool.query(`INSERT INTO device_credentials (id, mosquitto_hash, nats_hash, created, updated)
      VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING`, [id, hashes.mosquitto, hashes.nats, now])
    return added.rowCount === 1 ? 'set' : 'exists'
  }
  const changed = await pool.query('UPDATE device_credentials SET mosquitto_hash = $2, nats_hash = $3, updated = $4 WHERE id = $1',
    [id, hashes.mosquitto, hashes.nats, now])
  return changed.rowCount === 1 ? 'set' : 'missing'
}

/** false when there was no such device */
export async function removeDeviceCredentials (pool: pg.Pool, id: string): Promise<boolean> {
  return (await pool.query('DELETE FROM device_credentials WHERE id = $1', [id])).rowCount === 1
}

/** every registered device with its hashes, by id, read in one statement (one snapshot) */
export async function listDeviceCredentials (pool: pg.Pool): Promise<ClusterDevice[]> {
  const { rows } = await pool.query<{ id: string, mosquitto_hash: string, nats_hash: string, created: number, updated: number }>(
    'SELECT id, mosquitto_hash, nats_hash, created, updated FROM device_credentials ORDER BY id')
  return rows.map(r => ({ id: r.id, created: r.created, updated: r.updated, hashes: { mosquitto: r.mosquitto_hash, nats: r.nats_hash } }))
}
