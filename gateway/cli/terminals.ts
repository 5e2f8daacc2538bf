/**
 * `punchline terminals add|list|remove|zone|time|info`: the ZKTeco terminals (ADMS / iclock) the gateway
 * takes punches from, in the store a gateway uses for a data dir (docs/ADMS.md). Safe while the gateway
 * runs: a terminal added is known at its next request, a command queued goes out at its next heartbeat.
 */
import { defineCommand } from '../../shared/cli.js'
import { isDeviceId } from '../../shared/punch.js'
import { withDatabase } from './with-database.js'
import { AdmsStore, isSerial, type Terminal } from '../store/adms-store.js'
import { instantToWallTime, isKnownZone } from '../adms/local-time.js'
import { commandText } from '../adms/device-commands.js'

export const TERMINALS_COMMAND = defineCommand({
  usage: [
    'punchline terminals add SN --zone ZONE [--device] [--data] [--config]',
    'punchline terminals list [--data] [--config] [--json]',
    'punchline terminals remove SN [--data] [--config]',
    'punchline terminals zone SN ZONE [--data] [--config]',
    'punchline terminals info SN [--data] [--config]'
  ],
  flags: {
    zone: { type: 'string', value: 'IANA' },
    device: { type: 'string', value: 'ID' },
    data: { type: 'string', value: 'DIR' },
    config: { type: 'string', value: 'FILE' },
    json: { type: 'boolean' }
  },
  positionals: true
})
export const TERMINALS_USAGE = TERMINALS_COMMAND.usage

const ZONE_RULE = "must be an IANA time zone name such as 'Asia/Ho_Chi_Minh' (not an offset: the zone's rules give the offset of each date)"

function serialOf (sn: string | undefined, verb: string): string {
  if (!isSerial(sn)) throw new Error(`terminals ${verb}: SN must be the terminal's serial number, [A-Za-z0-9_-]{1,64}`)
  return sn
}

function describe (t: Terminal): string {
  const seen = t.lastSeen === null ? 'never' : new Date(t.lastSeen).toISOString()
  return `${t.sn}\tdevice ${t.device}\t${t.zone}\tlast seen ${seen}${t.firmware === null ? '' : `\t${t.firmware}`}\tclock ${t.clockSet === null ? 'not set by the gateway' : `set ${new Date(t.clockSet).toISOString()}`}`
}

export async function runTerminals (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = TERMINALS_COMMAND.parse(argv)
  const [verb, arg, arg2] = positionals
  return await withDatabase(values, async (db) => {
    const store = new AdmsStore(db)
    switch (verb) {
      case 'add': {
        const sn = serialOf(arg, 'add')
        if (values.zone === undefined || !isKnownZone(values.zone)) throw new Error(`terminals add: --zone ${ZONE_RULE}`)
        const device = values.device ?? `zk-${sn}`
        if (!isDeviceId(device)) throw new Error('terminals add: --device must match [A-Za-z0-9_-]{1,64}')
        if (store.get(sn) !== undefined) throw new Error(`terminals add: ${sn} is registered already (terminals zone changes its zone)`)
        store.add(sn, device, values.zone, Date.now())
        out(values.json === true ? JSON.stringify({ sn, device, zone: values.zone }) : `${sn} registered as device ${device}, zone ${values.zone}`)
        return 0
      }
      case 'list': {
        const rows = store.list()
        if (values.json === true) out(JSON.stringify(rows))
        else for (const t of rows) out(describe(t))
        return 0
      }
      case 'remove': {
        const sn = serialOf(arg, 'remove')
        const removed = store.remove(sn)
        out(removed ? `removed ${sn}; its stored punches stay and still go upstream` : `no terminal ${sn}`)
        return removed ? 0 : 1
      }
      case 'zone': {
        const sn = serialOf(arg, 'zone')
        if (arg2 === undefined || !isKnownZone(arg2)) throw new Error(`terminals zone: ZONE ${ZONE_RULE}`)
        if (!store.setZone(sn, arg2)) { out(`no terminal ${sn}`); return 1 }
        store.queueCommand(sn, 'set-time', commandText('set-time', instantToWallTime(Date.now(), arg2)), Date.now())
        out(`${sn} now in ${arg2}: its next lines are read in that zone, and its clock is set in it at its next heartbeat`)
        return 0
      }
      case 'info': {
        const sn = serialOf(arg, 'info')
        if (store.get(sn) === undefined) { out(`no terminal ${sn}`); return 1 }
        const id = store.queueCommand(sn, 'info', commandText('info'), Date.now())
        out(`INFO queued as command ${id}; the terminal takes it at its next heartbeat and the result is in the gateway's log`)
        return 0
      }
      default:
        throw new Error('usage:\n' + TERMINALS_USAGE)
    }
  })
}
