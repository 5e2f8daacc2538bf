/**
 * Terminal wall time to an instant through the registered IANA zone (gateway/adms/local-time.ts): the
 * offset follows the zone's rules on that date, and the two folds of a summer-time change are resolved
 * the same way every time and said.
 */
import t from 'tap'
import { wallTimeToInstant, isKnownZone } from '../gateway/adms/local-time.js'

const wall = (s: string): { year: number, month: number, day: number, hour: number, minute: number, second: number } => {
  const [d, time] = s.split(' ')
  const [year, month, day] = d.split('-').map(Number)
  const [hour, minute, second] = time.split(':').map(Number)
  return { year, month, day, hour, minute, second }
}

t.test('the offset is the zone rule of that date, half hours included', async t => {
  const iso = (s: string, zone: string): string => new Date(wallTimeToInstant(wall(s), zone).ms).toISOString()
  t.equal(iso('2026-12-07 08:58:03', 'Asia/Ho_Chi_Minh'), '2026-12-07T01:58:03.000Z')
  t.equal(iso('2026-12-07 08:58:03', 'Asia/Kolkata'), '2026-12-07T03:28:03.000Z')
  t.equal(iso('2026-01-15 09:00:00', 'Europe/Berlin'), '2026-01-15T08:00:00.000Z', 'winter: +01:00')
  t.equal(iso('2026-07-15 09:00:00', 'Europe/Berlin'), '2026-07-15T07:00:00.000Z', 'summer: +02:00')
  t.equal(wallTimeToInstant(wall('2026-07-15 09:00:00'), 'Europe/Berlin').offsetMinutes, 120)
})

t.test('a wall time the clocks skipped moves forward by the gap; a repeated one is its first occurrence', async t => {
  const gap = wallTimeToInstant(wall('2026-03-08 02:30:00'), 'America/New_York')
  t.equal(gap.fold, 'gap')
  t.equal(new Date(gap.ms).toISOString(), '2026-03-08T07:30:00.000Z', '02:30 does not exist: 03:30 EDT')
  const repeated = wallTimeToInstant(wall('2026-11-01 01:30:00'), 'America/New_York')
  t.equal(repeated.fold, 'repeated')
  t.equal(new Date(repeated.ms).toISOString(), '2026-11-01T05:30:00.000Z', 'the first 01:30, still EDT')
  t.equal(wallTimeToInstant(wall('2026-11-01 03:30:00'), 'America/New_York').fold, 'exact')
})

t.test('zones are IANA names; a bare offset or an unknown name is refused', async t => {
  t.ok(isKnownZone('Europe/Berlin'))
  t.ok(isKnownZone('UTC'))
  t.ok(isKnownZone('Asia/Saigon'), 'a backward-compatible alias')
  t.notOk(isKnownZone('+07:00'))
  t.notOk(isKnownZone('-0600'))
  t.notOk(isKnownZone('Mars/Olympus_Mons'))
  t.notOk(isKnownZone(''))
})
