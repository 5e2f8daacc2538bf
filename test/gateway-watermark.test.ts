/**
 * The delivered watermark against a real SQLite file: each thing that can hold it back (an undelivered
 * punch, a batch in the outbox, a dead letter, a device's unsent ring, a device gone quiet) does, and a
 * site waits for its slowest device.
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { ForwardStore } from '../gateway/store/forward-store.js'
import { DeviceStore } from '../gateway/store/device-store.js'
import { computeWatermarks, type WatermarkInputs } from '../gateway/store/watermark.js'
import { SiteMap } from '../gateway/rules/sites.js'
import { storePunches, T0 } from './fixtures/stored-punches.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { watermarksSchema } from '../shared/schemas.js'

t.test('watermark: undelivered punches, outbox batches, dead letters, unsent rings, silent devices', async t => {
  const db = openDatabase(join(t.testdir(), 'w.db'))
  t.teardown(() => db.close())
  const forward = new ForwardStore(db)
  const devices = new DeviceStore(db)
  const sites = new SiteMap({ north: { devices: ['A', 'B'], geofences: [] }, south: { devices: ['C'], geofences: [] } })
  const NOW = T0 + 3_600_000
  const online = new Set(['A', 'B', 'C'])
  const inputs: WatermarkInputs = { gatewayId: 'gw', siteOf: d => sites.of(d).site, connected: d => online.has(d), now: NOW }
  const mark = (device: string): { beforeMs: number | null, heldBy: string } => {
    const m = computeWatermarks(db, inputs).devices.find(d => d.device === device)!
    return { beforeMs: m.beforeMs, heldBy: m.heldBy }
  }
  for (const id of ['A', 'B', 'C']) devices.seen(id, NOW - 1000)
  devices.flush()

  t.same(mark('A'), { beforeMs: NOW, heldBy: 'connected, nothing undelivered' }, 'nothing stored: up to now')
  storePunches(db, 'A', [1, 2, 3]) // ts = T0 + seq s
  t.same(mark('A'), { beforeMs: T0 + 1000, heldBy: 'an undelivered punch at the gateway' }, 'past the cursor')
  const batch = forward.formBatch(2, NOW)!
  t.equal(mark('A').beforeMs, T0 + 1000, 'in an outbox batch: still undelivered')
  forward.complete(batch.key)
  t.equal(mark('A').beforeMs, T0 + 3000, 'seqs 1-2 delivered; 3 is next')
  const rest = forward.formBatch(10, NOW)!
  forward.deadLetter(rest.key, 422, 'bad', NOW)
  t.same(mark('A'), { beforeMs: T0 + 3000, heldBy: 'an undelivered punch at the gateway' }, 'a dead letter holds the watermark until someone deals with it')
  forward.replayDeadLetters('all', NOW)
  const again = forward.dueBatches(NOW, 10, new Set())
  for (const b of again) forward.complete(b.key)
  t.same(mark('A'), { beforeMs: NOW, heldBy: 'connected, nothing undelivered' }, 'replayed and delivered')

  devices.saveStatus('B', { v: 1, online: true, ring: { capacity: 100, pending: 5, oldestPendingTs: T0 + 500, overwritten: 0, refused: 0 } }, NOW - 1000)
  devices.flush()
  t.same(mark('B'), { beforeMs: T0 + 500, heldBy: '5 punches unsent on the device' })
  devices.saveStatus('B', { v: 1, online: true, ring: { capacity: 100, pending: 5, oldestPendingTs: null, overwritten: 0, refused: 0 } }, NOW - 1000)
  devices.flush()
  t.same(mark('B'), { beforeMs: null, heldBy: '5 punches unsent on the device, of unknown age' })

  online.delete('C')
  devices.seen('C', T0 + 42)
  devices.flush()
  t.same(mark('C'), { beforeMs: T0 + 42, heldBy: 'not heard from since' }, 'offline: it may have punches since it was last heard from')

  const marks = computeWatermarks(db, inputs)
  t.same(marks.sites.map(s => [s.site, s.beforeMs, s.heldBy]), [
    ['north', null, 'B: 5 punches unsent on the device, of unknown age'],
    ['south', T0 + 42, 'C: not heard from since']
  ], 'each site waits for its slowest device; null (unknown) holds furthest back')
  t.equal(marks.gateway, 'gw')
  const validate = new Ajv2020({ strict: false }).compile(watermarksSchema)
  t.ok(validate(marks), 'the published schema describes what the gateway answers: ' + JSON.stringify(validate.errors))
  storePunches(db, 'Z', [1]) // anonymous: punches but no devices row
  t.match(computeWatermarks(db, inputs).devices.find(d => d.device === 'Z'), { site: '', beforeMs: null, heldBy: 'never heard from' })
})
