/**
 * What the gateway tells a ZKTeco terminal and reads back from it: the handshake's option block, command
 * lines with the packed clock value, and the results a terminal posts to /iclock/devicecmd.
 */
import t from 'tap'
import { packWallTime, unpackWallTime } from '../shared/adms/packed-time.js'
import { commandLine, commandText, parseCommandResults } from '../gateway/adms/device-commands.js'
import { renderOptionsBlock } from '../gateway/adms/options-block.js'

t.test('the packed clock value matches the PUSH SDK worked example and round-trips', async t => {
  t.equal(packWallTime({ year: 2018, month: 2, day: 22, hour: 14, minute: 54, second: 54 }), 583080894)
  t.same(unpackWallTime(583080894), { year: 2018, month: 2, day: 22, hour: 14, minute: 54, second: 54 })
  for (const w of [
    { year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 },
    { year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 59 },
    { year: 2028, month: 2, day: 29, hour: 12, minute: 0, second: 1 }
  ]) t.same(unpackWallTime(packWallTime(w)), w)
})

t.test('command lines: only clock and option commands exist', async t => {
  t.equal(commandLine(7, commandText('info')), 'C:7:INFO')
  t.equal(commandLine(8, commandText('reload-options')), 'C:8:CHECK')
  t.equal(commandText('set-time', { year: 2018, month: 2, day: 22, hour: 14, minute: 54, second: 54 }), 'SET OPTIONS DateTime=583080894')
  t.throws(() => commandText('set-time'), /wall time/)
})

t.test('results: batched lines, INFO content attached to its result, junk named by line', async t => {
  const body = 'ID=1&Return=0&CMD=INFO\n~DeviceName=X\nFWVersion=Ver 8.0.4.2\nID=2&Return=-1002&CMD=USER\r\nID=x&Return=0&CMD=INFO\n'
  const { results, problems } = parseCommandResults(body)
  t.same(results, [
    { id: 1, code: 0, verb: 'INFO', content: '~DeviceName=X\nFWVersion=Ver 8.0.4.2' },
    { id: 2, code: -1002, verb: 'USER', content: '' }
  ])
  t.same(problems, [{ line: 5, rule: 'ID must be a whole number above 0' }])
  t.same(parseCommandResults('stray line\n').problems, [{ line: 1, rule: 'must be a result line (ID=…&Return=…&CMD=…) or follow one' }])
})

t.test('the option block resumes at the stamp given and takes attendance only', async t => {
  const block = renderOptionsBlock({ sn: 'CJDE123', attlogStamp: 0, delaySeconds: 10, errorDelaySeconds: 30 })
  const lines = block.split('\r\n')
  t.equal(lines[0], 'GET OPTION FROM: CJDE123')
  t.ok(lines.includes('ATTLOGStamp=0'))
  t.ok(lines.includes('Realtime=1'))
  t.ok(lines.includes('TransFlag=1000000000'))
  t.notOk(lines.some(l => l.startsWith('TimeZone=')), 'the zone is never sent as an offset')
  t.ok(block.endsWith('\r\n'))
})
