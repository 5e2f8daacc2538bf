/**
 * Mosquitto 2's password_file and acl_file for a cluster, from its device registry and the nodes' login
 * (docs/OPERATIONS.md, "Device secrets and ACLs on the cluster's broker"). A device's username is its id;
 * the devices' listener sets `use_username_as_clientid true`, so its client id is that id too, as the
 * single box requires (gateway/broker/auth.ts). The ACL is four `pattern` rules for every device, with %u
 * standing for the username, and one `user` block for the nodes: it does not grow with the fleet, and a
 * new device needs only the password file.
 */
import type { ClusterDevice } from '../cluster-admin.js'
import type { Topics } from '../../../shared/topics.js'

/** `id:hash` a line, the nodes' login last; sorted by id, so two runs on one registry differ only in salts */
export function mosquittoPasswordFile (devices: readonly ClusterDevice[], nodes: { username: string, hash: string }): string {
  const lines = devices.map(d => `${d.id}:${d.hashes.mosquitto}`)
  lines.push(`${nodes.username}:${nodes.hash}`)
  return lines.join('\n') + '\n'
}

export function mosquittoAclFile (topics: Topics, nodesUsername: string): string {
  return [
    '# Written by `punchline broker-auth mosquitto` from the cluster\'s device registry: regenerate it, do not edit.',
    '# Every device (username = device id): publish its own punches and status, read its own acks and commands.',
    `pattern write ${topics.of('%u', 'punches')}`,
    `pattern write ${topics.of('%u', 'status')}`,
    `pattern read ${topics.of('%u', 'acks')}`,
    `pattern read ${topics.of('%u', 'cmd')}`,
    '',
    '# The gateway nodes (cluster.broker.username): every device\'s batches and statuses through their shared',
    '# subscription, and the acks and commands back. Mosquitto 2.0 checks what a client reads when a message is',
    '# delivered, not when it subscribes (docs/DESIGN-NOTES.md, "Device credentials on the cluster\'s broker").',
    `user ${nodesUsername}`,
    `topic read ${topics.of('+', 'punches')}`,
    `topic read ${topics.of('+', 'status')}`,
    `topic write ${topics.of('+', 'acks')}`,
    `topic write ${topics.of('+', 'cmd')}`,
    ''
  ].join('\n')
}
