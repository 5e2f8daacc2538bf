/**
 * `punchline devices add|rotate|list|remove`: the device registry in the store a gateway uses for a data
 * dir, or with --cluster the cluster's registry in PostgreSQL (the broker's files are then written from
 * it by `punchline broker-auth`). A secret is printed once and stored only as hashes.
 * Safe while the gateway runs (SQLite WAL; a changed secret takes effect at the device's next connect).
 */
import { defineCommand } from '../../shared/cli.js'
import { isDeviceId } from '../../shared/punch.js'
import { withDatabase } from './with-database.js'
import { withClusterStore } from './with-cluster-store.js'
import { DeviceStore, newDeviceSecret } from '../store/device-store.js'
import type { ClusterAdmin } from '../cluster/cluster-admin.js'

export const DEVICES_COMMAND = defineCommand({
  usage: [
    'punchline devices add ID [--secret] [--data] [--config] [--json] [--cluster]',
    'punchline devices rotate ID [--secret] [--data] [--config] [--json] [--cluster]   (a new secret; the old one stops working)',
    'punchline devices list [--data] [--config] [--json] [--cluster]',
    'punchline devices remove ID [--data] [--config] [--cluster]'
  ],
  flags: {
    secret: { type: 'string', value: 'S' },
    data: { type: 'string', value: 'DIR' },
    config: { type: 'string', value: 'FILE' },
    json: { type: 'boolean' },
    // the cluster's registry in PostgreSQL (cluster.postgres of --config); `punchline broker-auth` writes the broker's files from it
    cluster: { type: 'boolean' }
  },
  positionals: true
})
export const DEVICES_USAGE = DEVICES_COMMAND.usage

function checkId (verb: string, id: string | undefined): asserts id is string {
  if (!isDeviceId(id)) throw new Error(`devices ${verb}: ID must match [A-Za-z0-9_-]{1,64}`)
}

/** the secret to set: the operator's (8+ characters) or a new random one */
function secretOf (verb: string, given: string | undefined): string {
  if (given !== undefined && given.length < 8) throw new Error(`devices ${verb}: --secret must be at least 8 characters`)
  return given ?? newDeviceSecret()
}

export async function runDevices (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = DEVICES_COMMAND.parse(argv)
  const [verb, id] = positionals
  const printSecret = (secret: string): void => { out(values.json === true ? JSON.stringify({ id, secret }) : `${id} ${secret}`) }
  if (values.cluster === true) return await withClusterStore(values, async admin => await clusterVerb(admin, verb, id, values, out, printSecret))
  return await withDatabase(values, async (db) => {
    const devices = new DeviceStore(db)
    switch (verb) {
      case 'add': {
        checkId(verb, id)
        printSecret(await devices.add(id, secretOf(verb, values.secret)))
        return 0
      }
      case 'rotate': {
        checkId(verb, id)
        const secret = secretOf(verb, values.secret)
        if (await devices.setSecret(id, secret, Date.now(), 'existing') === 'missing') {
          out(`no device ${id}`)
          return 1
        }
        printSecret(secret)
        return 0
      }
      case 'list': {
        const rows = devices.list()
        if (values.json === true) out(JSON.stringify(rows))
        else for (const d of rows) out(`${d.id}\t${d.hasSecret ? 'credentials' : 'anonymous'}\tlast seen ${d.lastSeen === null ? 'never' : new Date(d.lastSeen).toISOString()}`)
        return 0
      }
      case 'remove': {
        checkId(verb, id)
        const removed = devices.remove(id)
        out(removed ? `removed ${id}` : `no device ${id}`)
        return removed ? 0 : 1
      }
      default:
        throw new Error('usage:\n' + DEVICES_USAGE)
    }
  })
}

/**
 * The same verbs on a cluster's registry. `add` refuses a registered device (rotate gives it a new secret)
 * and `rotate` an unknown one, so a mistyped id neither replaces a secret nor registers a device.
 */
async function clusterVerb (admin: ClusterAdmin, verb: string | undefined, id: string | undefined, values: { secret?: string, json?: boolean },
  out: (line: string) => void, printSecret: (secret: string) => void): Promise<number> {
  switch (verb) {
    case 'add':
    case 'rotate': {
      checkId(verb, id)
      const secret = secretOf(verb, values.secret)
      const { brokerHashes } = await import('../cluster/broker-auth/hashes.js')
      const done = await admin.putDeviceCredentials(id, await brokerHashes(secret), verb === 'add' ? 'new' : 'existing')
      if (done === 'exists') throw new Error(`devices add: ${id} is registered already; give it a new secret with \`punchline devices rotate ${id} --cluster\``)
      if (done === 'missing') {
        out(`no device ${id}`)
        return 1
      }
      printSecret(secret)
      out('then write the broker\'s files again and reload it: punchline broker-auth mosquitto|nats ... --cluster')
      return 0
    }
    case 'list': {
      const rows = (await admin.listDevices()).map(d => ({ id: d.id, created: d.created, secretSet: d.updated }))
      if (values.json === true) out(JSON.stringify(rows))
      else for (const d of rows) out(`${d.id}\tcredentials\tadded ${new Date(d.created).toISOString()}\tsecret set ${new Date(d.secretSet).toISOString()}`)
      return 0
    }
    case 'remove': {
      checkId(verb, id)
      const removed = await admin.removeDevice(id)
      out(removed ? `removed ${id}; write the broker's files again and reload it` : `no device ${id}`)
      return removed ? 0 : 1
    }
    default:
      throw new Error('usage:\n' + DEVICES_USAGE)
  }
}
