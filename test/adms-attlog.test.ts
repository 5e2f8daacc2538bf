/**
 * The ATTLOG line parser (gateway/adms/attlog.ts) on the line shapes real servers were written against,
 * and on what a bad line must not cost: every other line of the body.
 */
import t from 'tap'
import { parseAttlog, ATTLOG_LIMITS } from '../gateway/adms/attlog.js'

t.test('the positional shapes real terminals send', async t => {
  const body = [
    '123\t2024-01-01 08:00:00\t0\t1\t0',
    'USER001\t2026-03-20 09:00:00\t0\t1\t0\tWC1',
    '11\t2025-08-27 10:57:49\t0\t25\t0\t0\t0\t0\t0\t0',
    '101\t2026-08-12 22:30:00\t0\t15\t0\t0',
    '1001\t2026-12-07 08:58:03\t1\t4\tWC7\t\t'
  ].join('\r\n') + '\r\n'
  const { records, problems } = parseAttlog(body)
  t.same(problems, [])
  t.same(records.map(r => [r.line, r.pin, r.state, r.verify, r.workcode]), [
    [1, '123', 0, 1, ''],
    [2, 'USER001', 0, 1, ''],
    [3, '11', 0, 25, ''],
    [4, '101', 0, 15, ''],
    [5, '1001', 1, 4, 'WC7']
  ])
  t.same(records[4].wall, { year: 2026, month: 12, day: 7, hour: 8, minute: 58, second: 3 })
  t.equal(records[4].raw, '1001\t2026-12-07 08:58:03\t1\t4\tWC7\t\t', 'the raw line is kept without its line ending')
})

t.test('Unix seconds, spaces for tabs, and lines with only a PIN and a time', async t => {
  const { records, problems } = parseAttlog('7\t1796634000\t0\t1\n8 2026-12-07 08:00:00 1 15\n9\t2026-12-07 09:00:00\n')
  t.same(problems, [])
  t.equal(records[0].unixSeconds, 1796634000)
  t.equal(records[0].wall, undefined)
  t.same([records[1].pin, records[1].wall?.hour, records[1].state, records[1].verify], ['8', 8, 1, 15])
  t.same([records[2].state, records[2].verify], [undefined, undefined], 'absent codes stay absent, not guessed')
})

t.test('each bad line is a problem naming its line, field and rule; the good lines all come through', async t => {
  const long = 'x'.repeat(ATTLOG_LIMITS.maxLineChars + 1)
  const body = [
    '1\t2026-12-07 08:00:00\t0\t1', // good
    '2\t2026-02-30 08:00:00\t0\t1', // no such date
    '3\t2026-12-07 24:00:00\t0\t1', // no such hour
    '\t2026-12-07 08:00:00\t0\t1', // no PIN
    '5\t2026-12-07 08:00:00\tIN\t1', // state not a code
    '6\t2026-12-07 08:00:00\t0\t256', // verify out of range
    '7\t2026-12-07 08:5', // a truncated line
    long,
    '9\u0001\t2026-12-07 08:00:00\t0\t1', // a control character
    'only-a-pin',
    '11\t2026-12-07 08:00:00\t1\t1' // good
  ].join('\n')
  const { records, problems } = parseAttlog(body)
  t.same(records.map(r => r.pin), ['1', '11'])
  t.same(problems.map(p => [p.line, p.field]), [
    [2, 'time'], [3, 'time'], [4, 'pin'], [5, 'state'], [6, 'verify'], [7, 'time'], [8, 'line'], [9, 'line'], [10, 'line']
  ])
  t.match(problems[0].rule, /YYYY-MM-DD HH:MM:SS/)
  t.ok(problems[6].raw.length <= 121, 'a long line is cut before it is kept in a problem')
})

t.test('blank lines and an empty body hold nothing and no problem', async t => {
  t.same(parseAttlog(''), { records: [], problems: [] })
  t.same(parseAttlog('\r\n\n  \n'), { records: [], problems: [] })
})

t.test('any text parses without throwing (seeded random bodies)', async t => {
  let s = 20261207
  const next = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
  const alphabet = '0123456789-: \t\r\nABZ\u00e9\ud83d\ude00\u0000'
  for (let i = 0; i < 2000; i++) {
    let body = ''
    const n = Math.floor(next() * 200)
    for (let k = 0; k < n; k++) body += alphabet[Math.floor(next() * alphabet.length)]
    const { records, problems } = parseAttlog(body)
    for (const r of records) {
      if (r.pin.length === 0 || (r.wall === undefined && r.unixSeconds === undefined)) t.fail(`seed step ${i}: a record without PIN or time`)
    }
    for (const p of problems) if (p.rule === '') t.fail(`seed step ${i}: a problem without a rule`)
  }
  t.pass('2000 bodies')
})
