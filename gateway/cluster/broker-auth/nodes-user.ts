/**
 * The gateway nodes' own login on the cluster's broker: `cluster.broker.username` and `.password`, the same
 * on every node. The broker files give it what the nodes do (take every device's batches and statuses,
 * answer with acks and commands) and nothing of a device's, so it must not be a device's name.
 */
import type { ClusterDevice } from '../cluster-admin.js'

export interface NodesLogin { username: string, password: string }

/**
 * Refuses a login the broker files cannot carry or that would mix with a device's: empty, a character
 * that ends a field in them (`:` of the password file, a space or quote of an ACL or NATS line), a topic
 * wildcard or `/` (Mosquitto refuses pattern rules to such a user), or a registered device's id.
 */
export function checkNodesLogin (login: NodesLogin, devices: readonly ClusterDevice[]): void {
  if (login.username === '') throw new Error('cluster.broker.username: required to write the broker\'s files (the nodes\' own login on the broker)')
  if (!/^[A-Za-z0-9._@-]{1,128}$/.test(login.username)) {
    throw new Error(`cluster.broker.username: must be 1 to 128 letters, digits, '.', '_', '@' or '-' to go into the broker's files (got '${login.username}')`)
  }
  if (login.password.length < 8) throw new Error('cluster.broker.password: must be at least 8 characters (in the --config file, or PUNCHLINE_CLUSTER_BROKER_PASSWORD)')
  if (devices.some(d => d.id === login.username)) {
    throw new Error(`cluster.broker.username: '${login.username}' is also a registered device; the nodes' login must differ from every device id`)
  }
}
