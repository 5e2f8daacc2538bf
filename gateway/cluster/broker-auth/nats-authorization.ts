/**
 * nats-server's `authorization { users = [...] }` for a cluster, from its device registry and the nodes'
 * login (docs/OPERATIONS.md, "Device secrets and ACLs on the cluster's broker"), to be included in each
 * server's config. NATS maps an MQTT topic to a subject with `/` as `.`, and checks permissions on the
 * subject, both when a client subscribes and when it publishes.
 *
 * A device: MQTT connections only; publish its own punches and status; subscribe its own acks and cmd,
 * plus `$MQTT.sub.>`, the subjects NATS delivers a QoS 1 subscription's messages on (each QoS 1
 * subscription is a JetStream consumer whose deliver subject is `$MQTT.sub.<nuid>`: without it a device's
 * QoS 1 SUBSCRIBE fails). NATS refuses MQTT subscriptions to topics under `$MQTT/sub/`, so this grants no
 * way to read another device's messages. The nodes: plain NATS connections only (they are NATS clients in
 * a queue group, gateway/cluster/node/nats-link.ts); subscribe every device's punches and status, publish
 * acks and commands.
 */
import type { ClusterDevice } from '../cluster-admin.js'
import type { Topics } from '../../../shared/topics.js'

/** the subject of a topic: NATS 2.9's MQTT mapping (the prefix was checked to map back unchanged) */
function subject (topic: string): string {
  return topic.replaceAll('/', '.')
}

/** A prefix NATS maps to a subject and back unchanged, as a node on NATS requires of `topicPrefix`. */
export function checkNatsPrefix (prefix: string): void {
  if (/[.\s*>"]/.test(prefix) || prefix.split('/').includes('')) {
    throw new Error(`topicPrefix: with NATS must have no '.', space, '*', '>', '"' or empty level (got '${prefix}'): NATS 2.9 maps MQTT's '/' to '.'`)
  }
}

function list (items: readonly string[]): string {
  return '[' + items.map(s => `"${s}"`).join(', ') + ']'
}

function user (name: string, hash: string, types: string, publish: string[], subscribe: string[]): string {
  return `    { user: "${name}", password: "${hash}", allowed_connection_types: ${list([types])}, ` +
    `permissions: { publish: { allow: ${list(publish)} }, subscribe: { allow: ${list(subscribe)} } } }`
}

export function natsAuthorization (topics: Topics, devices: readonly ClusterDevice[], nodes: { username: string, hash: string }): string {
  checkNatsPrefix(topics.prefix)
  const of = (device: string, channel: 'punches' | 'status' | 'acks' | 'cmd'): string => subject(topics.of(device, channel))
  const lines = devices.map(d => user(d.id, d.hashes.nats, 'MQTT', [of(d.id, 'punches'), of(d.id, 'status')], [of(d.id, 'acks'), of(d.id, 'cmd'), '$MQTT.sub.>']))
  lines.push(user(nodes.username, nodes.hash, 'STANDARD', [of('*', 'acks'), of('*', 'cmd')], [of('*', 'punches'), of('*', 'status')]))
  return [
    '# Written by `punchline broker-auth nats` from the cluster\'s device registry: regenerate it, do not edit.',
    '# Include it in each nats-server config; `nats-server --signal reload` (or SIGHUP) loads a new one.',
    'authorization {',
    '  users = [',
    ...lines,
    '  ]',
    '}',
    ''
  ].join('\n')
}
