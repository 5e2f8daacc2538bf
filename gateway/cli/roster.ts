/**
 * `punchline roster`: who a badge, card, PIN or fingerprint template id is, per device, per site or
 * everywhere. Safe while the gateway runs: it notices the change within a second, and punches that were
 * waiting for a mapping go out.
 */
import { readFileSync } from 'node:fs'
import { defineCommand } from '../../shared/cli.js'
import { parse } from 'csv-parse/sync'
import { withDatabase } from './with-database.js'
import { withClusterStore } from './with-cluster-store.js'
import { RosterStore, type RosterEntry } from '../store/roster-store.js'

export const ROSTER_COMMAND = defineCommand({
  usage: [
    'punchline roster add BADGE EMPLOYEE [--device | --site] [--name] [--data] [--config] [--cluster]',
    'punchline roster import FILE.csv [--device | --site] [--data] [--config] [--cluster]   (columns: badge,employee[,name][,scope])',
    'punchline roster list [--data] [--config] [--json] [--cluster]',
    'punchline roster remove BADGE [--device | --site] [--data] [--config] [--cluster]'
  ],
  flags: {
    device: { type: 'string', value: 'ID' },
    site: { type: 'string', value: 'ID' },
    name: { type: 'string', value: 'NAME' },
    data: { type: 'string', value: 'DIR' },
    config: { type: 'string', value: 'FILE' },
    json: { type: 'boolean' },
    // the cluster's shared roster in PostgreSQL (cluster.postgres of --config), which every node follows
    cluster: { type: 'boolean' }
  },
  positionals: true
})
export const ROSTER_USAGE = ROSTER_COMMAND.usage

/** The scope a command's flags name: one device, one site, or everywhere. */
function scopeOf (v: { device?: string, site?: string }): string {
  if (v.device !== undefined && v.site !== undefined) throw new Error('roster: give --device or --site, not both')
  if (v.device !== undefined) return 'device:' + v.device
  if (v.site !== undefined) return 'site:' + v.site
  return '*'
}

/** Reads a roster CSV; a header row is recognised by its first cell 'badge'. */
export function readRosterCsv (text: string, defaultScope: string): Array<Omit<RosterEntry, 'updated'>> {
  let rows: string[][]
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true, comment: '#' }) as string[][]
  } catch (err) {
    throw new Error(`roster import: not a readable CSV: ${(err as Error).message}`)
  }
  if (rows.length > 0 && rows[0][0]?.toLowerCase() === 'badge') rows = rows.slice(1)
  return rows.map((r, i) => {
    if (r.length < 2 || r[0] === '' || r[1] === '') throw new Error(`roster import: line ${i + 1}: needs at least badge,employee`)
    return { badge: r[0], employee: r[1], name: r[2] === undefined || r[2] === '' ? null : r[2], scope: r[3] === undefined || r[3] === '' ? defaultScope : r[3] }
  })
}

/** The roster a command edits: the single box's SQLite one, or a cluster's shared one. */
interface RosterTarget {
  put: (entries: ReadonlyArray<Omit<RosterEntry, 'updated'>>) => Promise<number>
  all: () => Promise<RosterEntry[]>
  remove: (scope: string, badge: string) => Promise<boolean>
}

export async function runRoster (argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = ROSTER_COMMAND.parse(argv)
  if (values.cluster === true) {
    return await withClusterStore(values, async (s) => await rosterVerb(positionals, values, out, {
      put: async (entries) => await s.putRoster(entries),
      all: async () => (await s.readRoster()).entries,
      remove: async (scope, badge) => await s.removeRoster(scope, badge)
    }))
  }
  return await withDatabase(values, async (db) => {
    const roster = new RosterStore(db)
    return await rosterVerb(positionals, values, out, {
      put: async (entries) => roster.put(entries, Date.now()),
      all: async () => roster.all(),
      remove: async (scope, badge) => roster.remove(scope, badge)
    })
  })
}

async function rosterVerb (positionals: string[], values: { device?: string, site?: string, name?: string, json?: boolean }, out: (line: string) => void, roster: RosterTarget): Promise<number> {
  const [verb, a, b] = positionals
  switch (verb) {
    case 'add': {
      if (a === undefined || b === undefined) throw new Error('usage:\n' + ROSTER_USAGE)
      const scope = scopeOf(values)
      await roster.put([{ scope, badge: a, employee: b, name: values.name ?? null }])
      out(`${scope}\t${a} → ${b}`)
      return 0
    }
    case 'import': {
      if (a === undefined) throw new Error('usage:\n' + ROSTER_USAGE)
      const entries = readRosterCsv(readFileSync(a, 'utf8'), scopeOf(values))
      out(`imported ${await roster.put(entries)} roster entries from ${a}`)
      return 0
    }
    case 'list': {
      const rows = await roster.all()
      if (values.json === true) out(JSON.stringify(rows))
      else for (const r of rows) out(`${r.scope}\t${r.badge}\t${r.employee}${r.name === null ? '' : '\t' + r.name}`)
      return 0
    }
    case 'remove': {
      if (a === undefined) throw new Error('usage:\n' + ROSTER_USAGE)
      const scope = scopeOf(values)
      const gone = await roster.remove(scope, a)
      out(gone ? `removed ${scope} ${a}` : `no roster entry ${scope} ${a}`)
      return gone ? 0 : 1
    }
    default:
      throw new Error('usage:\n' + ROSTER_USAGE)
  }
}
