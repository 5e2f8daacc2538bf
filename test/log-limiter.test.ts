/**
 * The log limiter on its own, with a clock the test moves: the first line per key, then one summary per
 * window with the count left out, a bounded number of keys, and quiet keys forgotten.
 */
import t from 'tap'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import { LogLimiter } from '../gateway/log-limiter.js'

function capture (): { lines: Array<Record<string, unknown>>, log: pino.Logger } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb() } })
  return { lines, log: pino({ level: 'info' }, sink) }
}

const flush = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

t.test('first line per key, the rest counted, one summary per window', async t => {
  const { lines, log } = capture()
  let now = 0
  const counted: Record<string, number> = {}
  const limiter = new LogLimiter({ log, suppressed: (k) => { counted[k] = (counted[k] ?? 0) + 1 }, windowMs: 1000, now: () => now })
  t.teardown(() => limiter.close())
  for (let i = 0; i < 100; i++) limiter.write('warn', { kind: 'punch-rejected', device: 'D1', detail: 'ts' }, { seq: i }, 'punch rejected')
  limiter.write('warn', { kind: 'punch-rejected', device: 'D1', detail: 'emp' }, { seq: 1000 }, 'punch rejected')
  limiter.write('warn', { kind: 'punch-rejected', device: 'D2', detail: 'ts' }, { seq: 2000 }, 'punch rejected')
  await flush()
  t.same(lines.map(l => l.seq), [0, 1000, 2000], 'one line per device and field')
  t.same(counted, { 'punch-rejected': 99 })
  t.equal(limiter.pending(), 99)

  now = 999
  limiter.sweep()
  await flush()
  t.equal(lines.length, 3, 'no summary before the window is over')
  now = 1000
  limiter.sweep()
  await flush()
  t.match(lines[3], { msg: 'similar log lines suppressed', kind: 'punch-rejected', device: 'D1', detail: 'ts', suppressed: 99, level: 40 })
  t.equal(lines.length, 4, 'keys with nothing left out write no summary')

  // Past the window the next line is written again.
  now = 2500
  limiter.write('warn', { kind: 'punch-rejected', device: 'D1', detail: 'ts' }, { seq: 5 }, 'punch rejected')
  await flush()
  t.equal(lines.at(-1)?.seq, 5)
})

t.test('keys are bounded: past maxKeys new devices share one key per kind', async t => {
  const { lines, log } = capture()
  let now = 0
  let suppressed = 0
  const limiter = new LogLimiter({ log, suppressed: () => { suppressed++ }, windowMs: 1000, maxKeys: 10, now: () => now })
  t.teardown(() => limiter.close())
  for (let d = 0; d < 1000; d++) limiter.write('info', { kind: 'acl-subscribe', device: `D${d}` }, { client: `D${d}` }, 'subscription refused by ACL')
  await flush()
  t.equal(lines.length, 11, '10 keys, then one shared key')
  t.equal(suppressed, 989)
  // Quiet keys are forgotten after a window, so new devices get their own lines again.
  now = 1000
  limiter.sweep()
  now = 2000
  limiter.sweep()
  await flush()
  const summary = lines.find(l => l.msg === 'similar log lines suppressed')
  t.match(summary, { device: '*', suppressed: 989 })
  limiter.write('info', { kind: 'acl-subscribe', device: 'NEW' }, { client: 'NEW' }, 'subscription refused by ACL')
  await flush()
  t.equal(lines.at(-1)?.client, 'NEW')
})

t.test('close writes what is still owed', async t => {
  const { lines, log } = capture()
  const limiter = new LogLimiter({ log, suppressed: () => {}, windowMs: 60_000 })
  for (let i = 0; i < 5; i++) limiter.write('info', { kind: 'status-unreadable', device: 'D' }, {}, 'unreadable status')
  limiter.close()
  await flush()
  t.match(lines.at(-1), { msg: 'similar log lines suppressed', suppressed: 4 })
  t.equal(limiter.pending(), 0)
})

t.test('bounds are checked', async t => {
  const { log } = capture()
  t.throws(() => new LogLimiter({ log, suppressed: () => {}, windowMs: 0 }), /windowMs/)
  t.throws(() => new LogLimiter({ log, suppressed: () => {}, maxKeys: 0 }), /maxKeys/)
})
