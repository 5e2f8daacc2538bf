/**
 * `punchline broker-auth mosquitto|nats`: a cluster's broker files from its device registry (PostgreSQL,
 * `punchline devices --cluster`) and the nodes' login (`cluster.broker` of --config); then reload the broker.
 */
import { defineCommand } from '../../shared/cli.js'
import { loadConfig } from '../config.js'
import { withClusterStore } from './with-cluster-store.js'

export const BROKER_AUTH_COMMAND = defineCommand({
  usage: [
    'punchline broker-auth mosquitto --out --cluster --config   (writes DIR/password_file and DIR/acl_file; then SIGHUP mosquitto)',
    'punchline broker-auth nats --out --cluster --config        (writes an authorization include; then reload every nats-server)'
  ],
  flags: {
    out: { type: 'string', value: 'DIR|FILE' },
    // the cluster's registry in PostgreSQL (cluster.postgres of --config): required, there is no other yet
    cluster: { type: 'boolean' },
    config: { type: 'string', value: 'FILE' }
  },
  positionals: true
})
export const BROKER_AUTH_USAGE = BROKER_AUTH_COMMAND.usage

const RELOAD = {
  mosquitto: 'reload: kill -HUP <mosquitto pid> (or systemctl reload mosquitto)',
  nats: 'reload: nats-server --signal reload (or kill -HUP <nats-server pid>) on every server'
}

export async function runBrokerAuth (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = BROKER_AUTH_COMMAND.parse(argv)
  const [kind] = positionals
  if ((kind !== 'mosquitto' && kind !== 'nats') || positionals.length !== 1) throw new Error('usage:\n' + BROKER_AUTH_USAGE)
  if (values.cluster !== true) throw new Error('broker-auth: give --cluster --config FILE (the cluster\'s device registry)')
  if (values.out === undefined || values.out === '') throw new Error(`broker-auth: --out is required (${kind === 'mosquitto' ? 'a directory' : 'a file'})`)
  const cfg = loadConfig({ file: values.config, env: process.env, flags: {} })
  const { writeBrokerAuth } = await import('../cluster/broker-auth/write-broker-auth.js')
  const written = await withClusterStore(values, async admin => await writeBrokerAuth(admin, {
    kind, out: values.out as string, topicPrefix: cfg.topicPrefix, nodes: { username: cfg.cluster.broker.username, password: cfg.cluster.broker.password }
  }))
  for (const f of written.files) out(`wrote ${f}`)
  out(`${written.devices} device${written.devices === 1 ? '' : 's'} and the nodes' login (${cfg.cluster.broker.username}); ${RELOAD[kind]}`)
  if (kind === 'mosquitto' && cfg.cluster.group === 'punchline') {
    out('warning: cluster.group is the default \'punchline\'; Mosquitto 2.0 does not check subscriptions, so a device that knows the group can join the nodes\' shared subscription and take batches it is not let read (they are resent, not lost): choose a group nobody guesses (docs/OPERATIONS.md)')
  }
  return 0
}
