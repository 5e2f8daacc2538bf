/**
 * Every flag rule through the real commit path: a SQLite file, the group commit, and the rules step inside
 * its transaction, with sites, a roster and device clocks as the gateway wires them.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { PunchStore, type PunchRow } from '../gateway/store/punch-store.js'
import { RosterStore } from '../gateway/store/roster-store.js'
import { GroupCommit } from '../gateway/ingest/group-commit.js'
import { Flagger } from '../gateway/rules/flagger.js'
import { Roster } from '../gateway/rules/roster.js'
import { SiteMap } from '../gateway/rules/sites.js'
import { DeviceClocks } from '../gateway/rules/device-clocks.js'
import { PunchHistory } from '../gateway/rules/history.js'
import { DEFAULT_RULES, monthOf, type RulesConfig } from '../gateway/rules/rules.js'
import { distanceM, outsideBy } from '../gateway/rules/geo.js'
import type { SiteConfig } from '../gateway/rules/sites.js'
import type { DeviceStatus } from '../shared/codec/status.js'
import type { Punch } from '../shared/punch.js'

const T0 = Date.parse('2026-11-22T00:58:03.120Z')
const MIN = 60_000
const H = 60 * MIN
// Shanghai office: a 200 m circle, and a square warehouse 1 km north of it.
const OFFICE = { lat: 31.2304, lon: 121.4737 }
const SITES: Record<string, SiteConfig> = {
  hq: {
    devices: ['T-1', 'T-2', 'W-*'],
    geofences: [
      { lat: OFFICE.lat, lon: OFFICE.lon, radiusM: 200 },
      { polygon: [[31.2394, 121.4727], [31.2394, 121.4747], [31.2414, 121.4747], [31.2414, 121.4727]] }
    ]
  },
  depot: { devices: ['D-1'], geofences: [] }
}

interface Rig {
  db: Db
  store: (device: string, punches: Punch[], opts?: { received?: number, tz?: number, epoch?: string }) => Promise<PunchRow[]>
  roster: RosterStore
  clocks: DeviceClocks
}

function rig (t: Test, rules: Partial<RulesConfig> = {}, statuses: Record<string, DeviceStatus> = {}): Rig {
  const db = openDatabase(join(t.testdir(), 'rules.db'))
  t.teardown(() => db.close())
  const rosterStore = new RosterStore(db)
  // checkEveryMs 0: these tests change the roster between commits and want the change seen at once.
  const roster = new Roster(rosterStore, { checkEveryMs: 0 })
  const clocks = new DeviceClocks(id => statuses[id])
  const flagger = new Flagger({ rules: { ...DEFAULT_RULES, ...rules }, sites: new SiteMap(SITES), roster, clocks, history: new PunchHistory(db) })
  const gc = new GroupCommit(db, new PunchStore(db), { flag: (row, received) => flagger.flag(row, received) })
  const store: Rig['store'] = async (device, punches, o = {}) => {
    const rows: PunchRow[] = punches.map(punch => ({ device, epoch: o.epoch ?? '9f2c41d0', tz: o.tz ?? 480, punch, flags: '' }))
    // Stored a second after the newest of them, unless a test says otherwise.
    const received = o.received ?? Math.max(...punches.map(x => x.ts)) + 1000
    await new Promise<void>((resolve, reject) => gc.enqueue({ rows, received, done: (err) => err == null ? resolve() : reject(err) }))
    return rows
  }
  return { db, store, roster: rosterStore, clocks }
}

let seq = 0
const p = (over: Partial<Punch> = {}): Punch => ({ seq: ++seq, ts: T0, emp: 'E1', kind: 'in', method: 'card', clock: 'synced', ...over })
const flagsOf = (rows: PunchRow[]): string[] => rows.map(r => r.flags)

t.test('a fresh, synced punch from an unconfigured site has no flags', async t => {
  const r = rig(t)
  t.same(flagsOf(await r.store('X-9', [p({ loc: { lat: 0, lon: 0, acc: 5 } })])), [''])
})

t.test('double: same person, same device, within the window, either side; stored, never dropped', async t => {
  const r = rig(t)
  t.same(flagsOf(await r.store('T-1', [p({ ts: T0 })])), [''])
  const lone = await r.store('T-1', [p({ ts: T0 + 59_000 }), p({ ts: T0 + 200_000 })])
  t.same(flagsOf(lone), ['double', ''], 'the second within 60 s is a double')
  t.same(flagsOf(await r.store('T-1', [p({ ts: T0 - 30_000 })])), ['double'], 'an earlier punch stored later (newest-first drain) is a double too')
  t.same(flagsOf(await r.store('T-2', [p({ ts: T0 + 1000 })])), [''], 'the same badge on another device is another person')
  t.same(flagsOf(await r.store('T-1', [p({ ts: T0 + 1000, emp: 'E2' })])), [''], 'another badge on the same device')
  const inOneCommit = await r.store('T-1', [p({ ts: T0 + H, emp: 'E3' }), p({ ts: T0 + H + 10_000, emp: 'E3' })])
  t.same(flagsOf(inOneCommit), ['', 'double'], 'two punches of one commit see each other')
  const n = (r.db.prepare('SELECT count(*) AS n FROM punches').get() as { n: number }).n
  t.equal(n, 8, 'every punch stored')
  const again = await r.store('T-1', [{ ...lone[1].punch }])
  t.same(flagsOf(again), [''], 'a resend of the same punch is not its own double')
  const off = rig(t, { doubleWindowMs: 0 })
  await off.store('T-1', [p({ ts: T0 })])
  t.same(flagsOf(await off.store('T-1', [p({ ts: T0 + 1 })])), [''], 'window 0 turns the rule off')
})

t.test('double with a roster: card and fingerprint of one employee on one device are one person', async t => {
  const r = rig(t)
  r.roster.put([
    { scope: 'device:T-1', badge: 'CARD-77', employee: 'EMP-7', name: null },
    { scope: 'device:T-1', badge: 'FP-3', employee: 'EMP-7', name: null }
  ], T0)
  await r.store('T-1', [p({ emp: 'CARD-77', ts: T0 })])
  t.same(flagsOf(await r.store('T-1', [p({ emp: 'FP-3', method: 'fingerprint', ts: T0 + 5000 })])), ['double'])
  const person = r.db.prepare('SELECT DISTINCT person FROM punches').all() as Array<{ person: string }>
  t.same(person, [{ person: 'EMP-7' }], 'the person is stored with the punch')
})

t.test('unknown-badge and roster scoping: the same PIN on two terminals is two people', async t => {
  const r = rig(t)
  t.same(flagsOf(await r.store('T-1', [p({ emp: '1234' })])), [''], 'no roster: the rule is off')
  r.roster.put([
    { scope: 'device:T-1', badge: '1234', employee: 'ALICE', name: 'Alice' },
    { scope: 'device:T-2', badge: '1234', employee: 'BOB', name: 'Bob' },
    { scope: 'site:hq', badge: 'C-9', employee: 'CAROL', name: null }
  ], T0)
  const a = await r.store('T-1', [p({ emp: '1234', ts: T0 + H })])
  const b = await r.store('T-2', [p({ emp: '1234', ts: T0 + H })])
  t.same([a[0].person, b[0].person], ['ALICE', 'BOB'], 'device scopes keep them apart')
  t.same(flagsOf([...a, ...b]), ['', ''], 'and neither is a double of the other')
  const c = await r.store('W-17', [p({ emp: 'C-9', ts: T0 + 2 * H })])
  t.equal(c[0].person, 'CAROL', 'a site entry applies to every device of the site (prefix W-*)')
  t.same(flagsOf(await r.store('T-1', [p({ emp: '9999', ts: T0 + 3 * H })])), ['unknown-badge'], 'a badge the roster does not know on a device it covers')
  t.same(flagsOf(await r.store('D-1', [p({ emp: '9999', ts: T0 + 3 * H })])), [''], 'a device no roster entry covers: the rule is off there')
  r.roster.put([{ scope: '*', badge: 'ANY', employee: 'DAVE', name: null }], T0)
  t.same(flagsOf(await r.store('D-1', [p({ emp: '9999', ts: T0 + 4 * H })])), ['unknown-badge'], "a '*' entry covers every device")
  const d = await r.store('D-1', [p({ emp: 'ANY', ts: T0 + 5 * H })])
  t.equal(d[0].person, 'DAVE')
  t.throws(() => r.roster.put([{ scope: 'room:1', badge: 'x', employee: 'y', name: null }], T0), /scope: must be/)
})

t.test('clock-skew: punches stamped before a big correction of the device clock', async t => {
  const statuses: Record<string, DeviceStatus> = {
    'T-1': { v: 1, online: true, clock: { synced: true, offsetMs: 3 * H, lastJumpMs: 3 * H, lastJumpAt: T0 } },
    'T-2': { v: 1, online: true, clock: { synced: true, offsetMs: 30_000, lastJumpMs: 30_000, lastJumpAt: T0 } }
  }
  const r = rig(t, {}, statuses)
  t.same(flagsOf(await r.store('T-1', [p({ ts: T0 - 3 * H - 10 * MIN }), p({ ts: T0 + MIN })])), ['clock-skew', ''], 'before the 3 h jump: skewed; after: fine')
  t.same(flagsOf(await r.store('T-2', [p({ ts: T0 - 10 * MIN })])), [''], 'a 30 s correction is within the limit')
  r.clocks.update('T-2', { v: 1, online: true, clock: { synced: true, offsetMs: -2 * H, lastJumpMs: -2 * H, lastJumpAt: T0 + H } })
  t.same(flagsOf(await r.store('T-2', [p({ ts: T0 + 2.5 * H })])), ['clock-skew'], 'a clock 2 h fast stamped times up to 2 h past the jump')
  r.clocks.update('T-2', { v: 1, online: false })
  t.same(flagsOf(await r.store('T-2', [p({ ts: T0 + 2.6 * H })])), ['clock-skew'], 'the last will says nothing about the clock')
})

t.test('gps-jump: implied speed between consecutive located punches, distance while offline', async t => {
  const r = rig(t) // devices G-* belong to no site: no fences
  const at = (km: number): { lat: number, lon: number, acc: number } => ({ lat: OFFICE.lat + km / 111.2, lon: OFFICE.lon, acc: 10 })
  t.equal(Math.round(distanceM(at(0).lat, at(0).lon, at(10).lat, at(10).lon) / 100) / 10, 10, '10 km apart')
  t.same(flagsOf(await r.store('G-1', [p({ ts: T0, loc: at(0), method: 'gps' })])), [''])
  t.same(flagsOf(await r.store('G-1', [p({ ts: T0 + H, loc: at(10), method: 'gps' })])), [''], '10 km in an hour: a drive')
  t.same(flagsOf(await r.store('G-1', [p({ ts: T0 + H + 2 * MIN, loc: at(40), method: 'gps' })])), ['gps-jump'], '30 km in 2 minutes')
  t.same(flagsOf(await r.store('G-1', [p({ ts: T0 + 30 * MIN, loc: at(5.01), method: 'gps' })])), [''], 'a punch between two others, consistent with both')
  t.same(flagsOf(await r.store('G-1', [p({ ts: T0 + 45 * MIN, loc: at(300), method: 'gps' })])), ['gps-jump'], 'a spoofed fix between two honest ones')
  t.same(flagsOf(await r.store('G-1', [p({ ts: T0 + 3 * H, loc: { ...at(40), acc: 20 }, method: 'gps' }), p({ ts: T0 + 3 * H + 2 * MIN, loc: { ...at(40.02), acc: 30 }, method: 'gps' })])), ['', ''],
    'movement within the fixes\' accuracy is not movement')

  const w2 = (o: Partial<Punch>): Punch => p({ method: 'gps', emp: 'E9', ...o })
  await r.store('G-2', [w2({ ts: T0, loc: at(0) })])
  t.same(flagsOf(await r.store('G-2', [w2({ ts: T0 + 5 * H, loc: at(60), clock: 'unsynced' })], { received: T0 + 5 * H })), ['clock-unsynced,gps-jump'],
    'unsynced clock: the times mean nothing, 60 km is a jump')
  await r.store('G-3', [w2({ ts: T0, loc: at(0) })])
  t.same(flagsOf(await r.store('G-3', [w2({ ts: T0 + 10 * H, loc: at(60) })], { received: T0 + 40 * H })), ['late-sync,gps-jump'],
    'stored a day and more after it was taken (offline): 60 km is a jump')
  await r.store('G-4', [w2({ ts: T0, loc: at(0) })])
  t.same(flagsOf(await r.store('G-4', [w2({ ts: T0 + 10 * H, loc: at(60) })], { received: T0 + 10 * H + 1000 })), [''], 'online, 60 km in 10 h: fine')
  await r.store('G-5', [w2({ ts: T0, loc: at(0) })])
  t.same(flagsOf(await r.store('G-5', [w2({ ts: T0 + 10 * H, loc: at(30) })], { received: T0 + 40 * H })), ['late-sync'], 'offline but within 50 km')
})

t.test('outside-geofence: circles and polygons, with the fix accuracy as tolerance; off without fences', async t => {
  const r = rig(t)
  const loc = (lat: number, lon: number, acc = 10): Punch['loc'] => ({ lat, lon, acc })
  const fence = SITES.hq.geofences[0]
  t.equal(outsideBy(OFFICE.lat, OFFICE.lon, fence), 0)
  const res = await r.store('W-1', [
    p({ emp: 'G1', loc: loc(OFFICE.lat + 0.001, OFFICE.lon) }), // ~111 m from the centre: inside the circle
    p({ emp: 'G2', loc: loc(OFFICE.lat + 0.0025, OFFICE.lon) }), // ~278 m: outside by ~78 m
    p({ emp: 'G3', loc: loc(OFFICE.lat + 0.0025, OFFICE.lon, 100) }), // the same, with a 100 m fix
    p({ emp: 'G4', loc: loc(31.2404, 121.4737) }), // inside the warehouse square
    p({ emp: 'G5', loc: loc(31.2404, 121.4760) }), // ~120 m east of the square
    p({ emp: 'G6' }) // no location: nothing to say
  ])
  t.same(flagsOf(res), ['', 'outside-geofence', '', '', 'outside-geofence', ''])
  t.same(flagsOf(await r.store('D-1', [p({ emp: 'G7', loc: loc(0, 0) })])), [''], 'a site without fences')
})

t.test('manual and over-limit: a monthly allowance per person, by the site-local calendar month', async t => {
  const r = rig(t, { manualMonthlyLimit: 2 })
  const m = (ts: number, emp = 'E1'): Punch => p({ ts, emp, method: 'manual', manual: { reason: 'forgot my card' } })
  // 2026-11-30 20:00 local (+08:00) is still November; 2026-12-01 00:30 local is December.
  const nov30 = Date.parse('2026-11-30T12:00:00Z')
  const dec1 = Date.parse('2026-11-30T16:30:00Z')
  t.same(monthOf(dec1, 480), [Date.parse('2026-11-30T16:00:00Z'), Date.parse('2026-12-31T16:00:00Z')])
  t.same(flagsOf(await r.store('T-1', [m(nov30 - 10 * 24 * H)], { received: nov30 - 10 * 24 * H })), ['manual'])
  t.same(flagsOf(await r.store('T-1', [m(nov30 - 5 * 24 * H)], { received: nov30 - 5 * 24 * H })), ['manual'], 'two in November: within the allowance')
  t.same(flagsOf(await r.store('T-1', [m(nov30)], { received: nov30 + 1000 })), ['manual,over-limit'], 'the third in November')
  t.same(flagsOf(await r.store('T-1', [m(dec1)], { received: dec1 + 1000 })), ['manual'], 'December starts again (site-local)')
  t.same(flagsOf(await r.store('T-2', [m(nov30 + H)], { received: nov30 + H })), ['manual'], 'the same badge on another terminal is another person')
  const off = rig(t)
  await off.store('T-1', [m(nov30), m(nov30 + H)], { received: nov30 + 2 * H })
  t.same(flagsOf(await off.store('T-1', [m(nov30 + 2 * H)], { received: nov30 + 2 * H })), ['manual'], 'no limit configured: the rule is off')
})
