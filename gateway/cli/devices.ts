/**
 * `punchline devices add|list|remove`: the device registry in the store a gateway uses for a data dir.
 * Safe while the gateway runs (SQLite WAL; a changed secret takes effect at the device's next connect).
 */
import { defineCommand } from '../../shared/cli.js'
import { isDeviceId } from '../../shared/punch.js'
import { withDatabase } from './with-database.js'
import { DeviceStore } from '../store/device-store.js'

export const DEVICES_COMMAND = defineCommand({
  usage: [
    'punchline devices add ID [--secret] [--data] [--config]',
    'punchline devices list [--data] [--config] [--json]',
    'punchline devices remove ID [--data] [--config]'
  ],
  flags: { secret: { type: 'string', value: 'S' }, data: { type: 'string', value: 'DIR' }, config: { type: 'string', value: 'FILE' }, json: { type: 'boolean' } },
  positionals: true
})
export const DEVICES_USAGE = DEVICES_COMMAND.usage

export async function runDevices (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = DEVICES_COMMAND.parse(argv)
  const [verb, id] = positionals
  return await withDatabase(values, async (db) => {
    const devices = new DeviceStore(db)
    switch (verb) {
      case 'add': {
        if (!isDeviceId(id)) throw new Error('devices add: ID must match [A-Za-z0-9_-]{1,64}')
        if (values.secret !== undefined && values.secret.length < 8) throw new Error('devices add: --secret must be at least 8 characters')
        const secret = await devices.add(id, values.secret)
        out(values.json === true ? JSON.stringify({ id, secret }) : `${id} ${secret}`)
        return 0
      }
      case 'list': {
        const rows = devices.list()
        if (values.json === true) out(JSON.stringify(rows))
        else for (const d of rows) out(`${d.id}\t${d.hasSecret ? 'credentials' : 'anonymous'}\tlast seen ${d.lastSeen === null ? 'never' : new Date(d.lastSeen).toISOString()}`)
        return 0
      }
      case 'remove': {
        if (!isDeviceId(id)) throw new Error('devices remove: ID must match [A-Za-z0-9_-]{1,64}')
        const removed = devices.remove(id)
        out(removed ? `removed ${id}` : `no device ${id}`)
        return removed ? 0 : 1
      }
      default:
        throw new Error('usage:\n' + DEVICES_USAGE)
    }
  })
}
