/**
 * A simulated device is the real DeviceRuntime (device/runtime.ts): planned punches meet the device's own
 * duplicate-read check, clock stamping and ring outcomes, and the fate ledger hears of each.
 */
import t from 'tap'
import pino from 'pino'
import { FleetDevice } from '../sim/engine/fleet-device.js'
import { FateLedger } from '../sim/engine/fate-ledger.js'
import type { DeviceGroupSpec, PlannedPunch } from '../sim/scenario/types.js'

const START = Date.UTC(2026, 10, 23, 6)

function device (ring: DeviceGroupSpec['ring'] = { capacity: 100, policy: 'refuse' }): { d: FleetDevice, ledger: FateLedger, clock: { now: number } } {
  const clock = { now: START }
  const ledger = new FateLedger()
  const group: DeviceGroupSpec = { kind: 'terminal', count: 1, prefix: 'T', method: 'card', ring, uplink: { batchSize: 10, window: 1 }, clockDriftPpm: 0 }
  const d = new FleetDevice({ id: 'T0001', site: 'plant', group, url: 'mqtt://127.0.0.1:1', tz: 480, virtualNow: () => clock.now, ledger, log: pino({ level: 'silent' }), random: Math.random })
  return { d, ledger, clock }
}

function planned (clock: { now: number }, emp: string): PlannedPunch {
  return { at: clock.now, device: 'T0001', emp, kind: 'in', method: 'card' }
}

t.test('the same card twice within the duplicate window is a duplicate read, counted and not stored', async t => {
  const { d, ledger, clock } = device()
  t.teardown(async () => await d.stop())
  t.type(d.punch(planned(clock, 'E1')), 'string', 'the first read is taken')
  clock.now += 5_000
  t.equal(d.punch(planned(clock, 'E1')), undefined, 'the second read 5 s later is not')
  t.equal(ledger.duplicateReads, 1)
  t.equal(ledger.refused, 0)
  t.equal(d.pending, 1, 'one punch on the ring')
  clock.now += 60_000
  t.type(d.punch(planned(clock, 'E1')), 'string', 'past the window the card punches again')
  t.equal(ledger.attempted, 3)
  t.equal(ledger.size, 2)
})

t.test('a device whose RTC lost its time stamps its punches unsynced, with its uptime', async t => {
  const { d, clock } = device()
  t.teardown(async () => await d.stop())
  await d.rtcLoss()
  clock.now += 10_000
  d.punch(planned(clock, 'E2'))
  const [p] = d.ring.pending({ order: 'oldest', limit: 10 })
  t.equal(p.clock, 'unsynced')
  t.ok(p.ts < Date.UTC(2001, 0, 1), 'the clock restarted in 2000')
  t.equal(p.up, 10_000, 'uptime since the reboot')
})

t.test('an overwrite-oldest ring settles the punch it gave up as overwritten', async t => {
  const { d, ledger, clock } = device({ capacity: 2, policy: 'overwrite-oldest' })
  t.teardown(async () => await d.stop())
  for (const emp of ['E1', 'E2', 'E3']) { clock.now += 1_000; d.punch(planned(clock, emp)) }
  t.equal(ledger.overwritten, 1)
  t.equal(ledger.count('pending'), 2)
})
