/**
 * What the gateway asks devices to resend after a restore, against real SQLite files: the ranges for an
 * epoch (holes below the highest stored seq within a ring's reach, and the ring's reach above it), the
 * mark `punchline restore` leaves in the file, and asking each device once per restore, across restarts.
 */
import t from 'tap'
import { join } from 'node:path'
import { pino } from 'pino'
import { openDatabase, type Db } from '../gateway/store/db.js'
import { backupDatabase, readRestoreMark, restoreDatabase } from '../gateway/store/backup.js'
import { holes, planEpoch, MAX_HOLE_RANGES } from '../gateway/store/resend-plan.js'
import { DeviceStore } from '../gateway/store/device-store.js'
import { RestoreResend, DEFAULT_CAPACITY } from '../gateway/restore-resend.js'
import type { Command } from '../shared/codec/command.js'
import { storePunches } from './fixtures/stored-punches.js'

const EPOCH = '9f2c41d0'
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i)

t.test('ranges for one epoch', async t => {
  const db = openDatabase(join(t.testdir(), 'punchline.db'))
  t.teardown(() => db.close())
  storePunches(db, 'D', [...range(1, 10), 15, ...range(17, 20)])
  t.same(planEpoch(db, 'D', EPOCH, 100).ranges, [[11, 14], [16, 16], [21, 120]], 'holes below S, then S+1..S+C')
  t.same(planEpoch(db, 'D', EPOCH, 8).ranges, [[13, 14], [16, 16], [21, 28]], 'only holes a ring of C slots can still hold')
  t.match(planEpoch(db, 'D', EPOCH, 8), { highest: 20, capacity: 8, collapsed: false })
  t.same(planEpoch(db, 'D', 'aaaaaaaa', 50).ranges, [[1, 50]], 'an epoch with nothing stored: from seq 1')
  t.same(planEpoch(db, 'other', EPOCH, 50).ranges, [[1, 50]], 'another device\'s punches do not count')

  storePunches(db, 'E', range(50, 60))
  t.same(planEpoch(db, 'E', EPOCH, 100).ranges, [[1, 49], [61, 160]], 'a leading hole')
  t.same(holes(db, 'E', EPOCH, 40, 70), [[40, 49], [61, 70]], 'holes at both ends of the window')
  t.same(holes(db, 'E', EPOCH, 52, 58), [], 'no hole')

  // Every other seq missing: more holes than commands worth sending, asked as one bounded range.
  storePunches(db, 'F', range(1, 300).filter(s => s % 2 === 1))
  const f = planEpoch(db, 'F', EPOCH, 1000)
  t.ok(holes(db, 'F', EPOCH, 1, 299).length > MAX_HOLE_RANGES)
  t.equal(f.collapsed, true)
  t.same(f.ranges, [[2, 298], [300, 1299]])
})

interface Sent { device: string, command: Command }

function resender (db: Db, sent: Sent[], corruptKeptAs?: string): RestoreResend {
  return new RestoreResend({ db, log: pino({ level: 'silent' }), send: (device, command) => sent.push({ device, command }), now: Date.now, corruptKeptAs })
}

t.test('a restored file is marked, and each device is asked once per restore', async t => {
  const dir = t.testdir()
  const file = join(dir, 'punchline.db')
  let db = openDatabase(file)
  storePunches(db, 'T-1', range(1, 40))
  const devices = new DeviceStore(db)
  devices.saveStatus('T-1', { v: 1, online: true, epoch: EPOCH, ring: { capacity: 30, pending: 0, oldestPendingTs: null, overwritten: 0, refused: 0 } }, Date.now())
  devices.flush()
  const unmarked: Sent[] = []
  resender(db, unmarked).onConnect('T-1')
  t.same(unmarked, [], 'a file never restored asks nothing')
  const backup = await backupDatabase(db, join(dir, 'backups'), 3, Date.parse('2026-11-22T10:00:00.000Z'))
  db.close()

  const restoredAt = Date.parse('2026-11-22T12:00:00.000Z')
  const { mark } = restoreDatabase(backup.path, file, restoredAt)
  db = openDatabase(file)
  t.teardown(() => db.close())
  t.same(readRestoreMark(db), mark)
  t.match(mark, { at: restoredAt, reason: 'backup', backupAt: Date.parse('2026-11-22T10:00:00.000Z') })

  const sent: Sent[] = []
  const r = resender(db, sent)
  r.onConnect('nobody')
  t.same(sent, [], 'a device the file knows nothing of needs nothing: it sends its pending punches anyway')
  r.onConnect('T-1')
  t.same(sent.map(s => s.command), [{ v: 1, op: 'resend', epoch: EPOCH, from: 41, to: 70 }],
    'capacity from the saved status; no holes below S')
  r.onConnect('T-1')
  resender(db, sent).onConnect('T-1')
  t.equal(sent.length, 1, 'asked once, and remembered across a restart')
  const row = db.prepare('SELECT asked FROM restore_resends WHERE restored_at = ? AND device = ?').get(restoredAt, 'T-1') as { asked: string }
  t.match(JSON.parse(row.asked), [{ epoch: EPOCH, highest: 40, capacity: 30, ranges: [[41, 70]] }])

  // Known only once its punches are stored: asked on its next online status, not on an offline one.
  storePunches(db, 'T-2', [5, 7])
  r.onStatus('T-2', { v: 1, online: false })
  t.equal(sent.length, 1)
  r.onStatus('T-2', { v: 1, online: true, epoch: EPOCH })
  t.same(sent.slice(1).map(s => [s.device, s.command]), [
    ['T-2', { v: 1, op: 'resend', epoch: EPOCH, from: 1, to: 4 }],
    ['T-2', { v: 1, op: 'resend', epoch: EPOCH, from: 6, to: 6 }],
    ['T-2', { v: 1, op: 'resend', epoch: EPOCH, from: 8, to: 7 + DEFAULT_CAPACITY }]
  ], 'no capacity in the status: the default')
})

t.test('a start after a corrupt file marks the new, empty one', async t => {
  const db = openDatabase(join(t.testdir(), 'punchline.db'))
  t.teardown(() => db.close())
  const sent: Sent[] = []
  const r = resender(db, sent, '/data/punchline.db.corrupt-x')
  t.match(r.mark, { reason: 'corrupt', from: '/data/punchline.db.corrupt-x' })
  r.onConnect('T-3')
  t.same(sent, [], 'nothing known at connect')
  storePunches(db, 'T-3', [900])
  r.onStatus('T-3', { v: 1, online: true, epoch: EPOCH, ring: { capacity: 500, pending: 1, oldestPendingTs: null, overwritten: 0, refused: 0 } })
  t.same(sent.map(s => [s.command.op === 'resend' && s.command.from, s.command.op === 'resend' && s.command.to]), [[401, 899], [901, 1400]],
    'the first pending punch stored tells where the ring is')
})
