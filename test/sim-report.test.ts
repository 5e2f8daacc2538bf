/**
 * The simulator's outputs from crafted run data (a clean run, one with unexplained losses, one through
 * faults): the live progress line on a terminal and in a log, the text summary, and the HTML report.
 * Time is injected everywhere: nothing here depends on how fast the machine is.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import type { FaultWindow, SimReportData, SimSample } from '../sim/report/types.js'
import { ProgressLine } from '../sim/report/progress.js'
import { formatSummary } from '../sim/report/summary.js'
import { renderHtmlReport } from '../sim/report/html.js'
import { writeReport } from '../sim/report/write.js'
import { downsample, faultWindowsFromSamples } from '../sim/report/series.js'
import { compact, duration, percent, siteDateTime } from '../sim/report/format.js'
import { timeTicks } from '../sim/report/svg.js'
import { noFates } from '../sim/engine/fate-reconcile.js'

const H = 3_600_000
/** Sat 2026-11-21 00:00 UTC */
const START = Date.UTC(2026, 10, 21)
const END = START + 72 * H

/**
 * Samples every `stepMs` of virtual time over 72 h, 20 punches generated per step; while a site outage
 * is on, deliveries stop and the devices' backlog grows, then drains.
 */
function samples (n: number, outage?: { from: number, to: number }): SimSample[] {
  const out: SimSample[] = []
  const step = (END - START) / (n - 1)
  let delivered = 0
  for (let i = 0; i < n; i++) {
    const at = START + i * step
    const generated = 20 * i
    const down = outage !== undefined && at >= outage.from && at < outage.to
    if (!down) delivered = Math.min(generated, delivered + 60)
    const backlog = generated - delivered
    out.push({
      at,
      realMs: i * 5,
      generated,
      pendingOnDevices: Math.ceil(backlog * 0.8),
      pendingAtGateway: Math.floor(backlog * 0.2),
      delivered,
      refused: 0,
      overwritten: 0,
      connected: down ? 40 : 100,
      faults: down ? ['site-outage'] : []
    })
  }
  return out
}

function clean (): SimReportData {
  return {
    scenario: 'normal-week',
    description: 'Two sites on day shifts; nothing goes wrong.',
    seed: 7,
    startMs: START,
    endMs: END,
    realMs: 4700,
    devices: 100,
    sites: 2,
    tzMinutes: 120,
    samples: samples(500),
    fates: { ...noFates(), generated: 12_345, delivered: 12_345 },
    lateness: [
      { upToMs: 60_000, count: 12_000 },
      { upToMs: 15 * 60_000, count: 300 },
      { upToMs: H, count: 40 },
      { upToMs: 24 * H, count: 5 },
      { upToMs: 72 * H, count: 0 },
      { upToMs: Infinity, count: 0 }
    ],
    flags: {},
    checks: [],
    unexplainedIds: [],
    ok: true
  }
}

function failing (): SimReportData {
  const d = clean()
  d.scenario = 'ring-too-small'
  d.fates = { ...d.fates, delivered: 12_302, deliveredFlagged: 120, overwritten: 38, pending: 2, unexplained: 3 }
  d.flags = { 'late-sync': 100, expired: 15, 'outside-geofence': 5 }
  d.checks = [
    { what: 'overwritten', expected: 40, actual: 38, ok: false },
    { what: 'refused', expected: 0, actual: 0, ok: true }
  ]
  d.unexplainedIds = ['T-0001:9f2c41d0:41', 'T-0001:9f2c41d0:42', 'T-0002:1a2b3c4d:7', 'T-0003:00aa00aa:1']
  d.ok = false
  return d
}

const OUTAGE = { from: START + 30 * H, to: START + 36 * H }

function faulty (): SimReportData {
  const d = clean()
  d.scenario = 'weekend-outage'
  d.samples = samples(500, OUTAGE)
  d.flags = { 'late-sync': 250 }
  d.fates = { ...d.fates, deliveredFlagged: 250 }
  d.checks = [{ what: 'flag late-sync', expected: '≥ 200', actual: 250, ok: true }]
  return d
}

function sample (over: Partial<SimSample> = {}): SimSample {
  return { at: START, realMs: 0, generated: 0, pendingOnDevices: 0, pendingAtGateway: 0, delivered: 0, refused: 0, overwritten: 0, connected: 0, faults: [], ...over }
}

// ---------------------------------------------------------------------------------------------------
// The progress line

interface Harness { progress: ProgressLine, writes: string[], clock: { ms: number } }

function harness (isTTY: boolean, extra: { columns?: number, plainEveryMs?: number } = {}): Harness {
  const writes: string[] = []
  const clock = { ms: 0 }
  const progress = new ProgressLine({
    startMs: START,
    endMs: END,
    tzMinutes: 120,
    devices: 100,
    write: (s) => { writes.push(s) },
    isTTY,
    now: () => clock.ms,
    columns: () => extra.columns,
    plainEveryMs: extra.plainEveryMs
  })
  return { progress, writes, clock }
}

/** What a terminal would show of a redraw: the text after the clear-line. */
function visible (write: string): string {
  return write.replace('\r\x1b[2K', '')
}

t.test('progress on a terminal: redrawn in place, at most ten times a second', async t => {
  const { progress, writes, clock } = harness(true)
  // 1,000 steps in one real second: a step per millisecond.
  for (let i = 0; i < 1000; i++) {
    clock.ms = i
    progress.update(sample({ at: START + i * 60_000, realMs: i, generated: i * 10 }))
  }
  t.equal(writes.length, 10, 'drawn at 0, 100, ..., 900 ms and not in between')
  t.ok(writes.every(w => w.startsWith('\r\x1b[2K')), 'each drawing returns to the line start and clears it')
  t.notOk(writes.some(w => w.includes('\n')), 'no newline while running: the line is redrawn, not scrolled')
  progress.done()
  t.equal(writes.length, 12, 'done draws the last, undrawn sample and ends the line')
  t.match(visible(writes[10]), 'Sat 2026-11-21 18:39', 'the final drawing shows the last sample (999 virtual minutes in, UTC+2)')
  t.equal(writes[11], '\n')
})

t.test('progress on a terminal: other output goes above the line, which is redrawn under it', async t => {
  const { progress, writes } = harness(true)
  progress.print('before any drawing')
  t.same(writes, ['\r\x1b[2Kbefore any drawing\n'], 'nothing to redraw yet')
  progress.update(sample({ at: START + H }))
  progress.print('fault: site-outage begins')
  t.equal(writes[2], '\r\x1b[2Kfault: site-outage begins\n', 'the bar is cleared before the line')
  t.match(visible(writes[3]), 'Sat 2026-11-21 03:00', 'and drawn again below it')
  t.equal(writes.length, 4)
  progress.done()
  t.equal(writes[4], '\n', 'done ends the redrawn line')

  const log = harness(false)
  log.progress.print('fault: site-outage begins')
  t.same(log.writes, ['fault: site-outage begins\n'], 'in a log: just the line')
})

t.test('progress line content: bar, site-local clock, speed, rates, backlog, devices, faults', async t => {
  const { progress, writes, clock } = harness(true, { columns: 200 })
  const at = Date.UTC(2026, 10, 24, 12, 30) // 14:30 at UTC+2, 84.5 h in: past the 72 h span
  progress.update(sample({ at: START + 36 * H, realMs: 2000, generated: 4000, delivered: 3000 }))
  clock.ms = 500
  progress.update(sample({
    at, realMs: 4000, generated: 6000, delivered: 3000, pendingOnDevices: 3400, pendingAtGateway: 120, connected: 40, faults: ['site-outage', 'latency', 'site-outage']
  }))
  const first = visible(writes[0])
  const line = visible(writes[1])
  t.match(first, /^\[█{15}░{15}\] {2}50%/, 'half the span done: half the bar, 50 %')
  t.match(first, '18 vh/s', 'first drawing: speed since the start (36 virtual h in 2 real s)')
  t.match(first, 'gen 2k/s', '4000 punches in 2 real s')
  t.match(line, /^\[█{30}\] 100%/, 'a sample past the end fills the bar and stops at 100 %')
  t.match(line, 'Tue 2026-11-24 14:30', 'virtual clock in site-local time')
  t.match(line, '24 vh/s', '48.5 virtual h in 2 real s since the last drawing')
  t.match(line, 'gen 1k/s', '2000 more punches in 2 real s')
  t.match(line, 'dlv 0/s', 'nothing delivered during the outage')
  t.match(line, 'backlog dev 3.4k gw 120')
  t.match(line, 'conn 40/100')
  t.match(line, 'faults: site-outage, latency', 'each active fault kind named once')
})

t.test('progress line fits the terminal, dropping the least wanted parts first', async t => {
  for (const columns of [200, 100, 60, 30]) {
    const { progress, writes } = harness(true, { columns })
    progress.update(sample({ at: START + H, realMs: 1000, pendingOnDevices: 123_456, connected: 99, faults: ['upstream-outage', 'gateway-restart'] }))
    const line = visible(writes[0])
    t.ok([...line].length <= columns - 1, `${columns} columns: ${[...line].length} chars, never the last column`)
    t.match(line, /\d%/, `${columns} columns: the percentage always stays`)
    if (columns >= 60) t.match(line, 'Sat 2026-11-21 03:00', `${columns} columns: the clock stays`)
    if (columns >= 100) t.match(line, 'faults: upstream-outage, gat', `${columns} columns: faults outrank rates`)
    if (columns === 100) t.match(line, /faults: upstream-outage, \S+…$/, '100 columns: a long fault list is cut, not dropped')
    if (columns === 200) t.match(line, 'conn 99/100  faults: upstream-outage, gateway-restart', 'wide: everything shown')
    if (columns === 100) t.notMatch(line, 'conn', '100 columns: the connected count goes first')
  }
  const { progress, writes } = harness(true)
  progress.update(sample())
  t.ok(visible(writes[0]).length <= 99, 'unknown width: 100 columns assumed')
})

t.test('progress in a log (not a terminal): a plain line every few seconds, no escapes', async t => {
  const { progress, writes, clock } = harness(false, { plainEveryMs: 10_000 })
  for (let ms = 0; ms <= 25_000; ms += 50) {
    clock.ms = ms
    progress.update(sample({ at: START + ms * 1000, realMs: ms, generated: ms }))
  }
  t.equal(writes.length, 3, 'lines at 0, 10 and 20 s of a 25 s run')
  t.ok(writes.every(w => w.startsWith('sim ') && w.endsWith('\n') && !w.includes('\r') && !w.includes('\x1b')), 'plain lines')
  t.notMatch(writes[0], '█', 'no bar where nothing redraws it')
  t.match(writes[2], 'gen 1k/s', 'rate over the 10 s since the last line')
  progress.done()
  t.equal(writes.length, 4, 'done prints the final state')
  t.match(writes[3], 'Sat 2026-11-21 08:56', 'the final line shows the last sample (25,000 virtual s in, UTC+2)')
  progress.done()
  t.equal(writes.length, 4, 'a second done prints nothing new')

  const idle = harness(true)
  idle.progress.done()
  t.same(idle.writes, [], 'a run with no samples leaves the terminal alone')
})

// ---------------------------------------------------------------------------------------------------
// The text summary

/** The column where the first number after a row's label ends. */
function numberEnd (summary: string, label: string): number {
  const line = summary.split('\n').find(l => l.startsWith('  ') && l.trimStart().startsWith(label + ' '))
  if (line === undefined) throw new Error(`no row '${label}' in\n${summary}`)
  const m = /^ {2,}\S.*?\s{2,}[\d,]+/.exec(line)
  if (m === null) throw new Error(`no number in '${line}'`)
  return m[0].length
}

t.test('summary of a clean run: OK verdict last, the scenario named, columns aligned', async t => {
  const s = formatSummary(clean())
  t.comment('\n' + s)
  const lines = s.split('\n')
  t.equal(lines[lines.length - 1], 'OK: every punch accounted for')
  t.match(lines[0], 'scenario normal-week (seed 7)')
  t.match(s, 'Sat 2026-11-21 02:00 → Tue 2026-11-24 02:00 UTC+02:00 (72 h virtual in 4.7 s)')
  t.match(s, /generated\s+12,345\s+100\.0/)
  t.match(s, /< 1 min\s+12,000\s+97\.2/)
  t.match(s, /≥ 72 h\s+0\s+0\.0/, 'the open last lateness bucket')
  const end = numberEnd(s, 'generated')
  for (const label of ['delivered', 'with flags', 'unexplained', 'punch ids upstream more than once', 'extra copies', '< 1 min', '< 15 min', '≥ 72 h']) {
    t.equal(numberEnd(s, label), end, `'${label}' lines up with 'generated'`)
  }
})

t.test('summary of a failing run: FAIL names the losses, their first ids and the failed check', async t => {
  const s = formatSummary(failing())
  t.comment('\n' + s)
  const last = s.split('\n').pop()
  t.equal(last, 'FAIL: 3 punches lost that nothing explains (first: T-0001:9f2c41d0:41, T-0001:9f2c41d0:42, T-0002:1a2b3c4d:7, ...); ' +
    'expected overwritten 40, got 38')
  t.match(s, /overwritten\s+40\s+38\s+FAIL/, 'the check row says FAIL')
  t.match(s, /unexplained\s+3\s+<0\.1\n/, '3 of 12,345 is not shown as 0.0 %')
  t.match(s, /refused\s+0\s+0\s+ok/)
  t.match(s, /late-sync\s+100\n\s+expired\s+15\n\s+outside-geofence\s+5/, 'flags, most frequent first')
  t.match(s, 'unexplained or duplicated ids (first 4): T-0001:9f2c41d0:41')
  const end = numberEnd(s, 'generated')
  for (const label of ['late-sync', 'outside-geofence', 'overwritten', 'refused']) t.equal(numberEnd(s, label), end, `'${label}' lines up`)
})

t.test('verdict: the counts win over the engine, and every kind of failure is named', async t => {
  const lying = clean()
  lying.fates = { ...lying.fates, unexplained: 1 }
  t.match(formatSummary(lying).split('\n').pop(), /^FAIL: 1 punch lost that nothing explains$/, 'ok: true beside a loss is still a FAIL')

  const dup = clean()
  dup.fates = { ...dup.fates, duplicatePunches: 2, duplicateDeliveries: 3, unexpectedUpstream: 1 }
  dup.unexplainedIds = ['T-0009:aa:1']
  t.equal(formatSummary(dup).split('\n').pop(),
    'FAIL: 2 punches delivered more than once (3 extra copies) (first: T-0009:aa:1); 1 punch upstream that the simulator never generated')

  const pending = clean()
  pending.ok = false
  pending.fates = { ...pending.fates, pending: 12 }
  t.equal(formatSummary(pending).split('\n').pop(), 'FAIL: 12 punches still pending when the run ended', 'engine says not ok: the report says why it can')
  pending.fates.pending = 0
  t.equal(formatSummary(pending).split('\n').pop(), 'FAIL: the run did not end clean')
})

t.test('summary text cannot drive the terminal: control characters from scenario files are blanked', async t => {
  const d = clean()
  d.scenario = 'evil\x1b[2J\rname'
  d.flags = { 'x\x1b[31m': 1 }
  const s = formatSummary(d)
  t.notMatch(s, '\x1b')
  t.notMatch(s, '\r')
  t.match(s, 'scenario evil [2J name')
})

// ---------------------------------------------------------------------------------------------------
// The HTML report

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'area', 'base', 'col', 'embed', 'source', 'track', 'wbr'])

/**
 * A small well-formedness check: every element closed in order (void HTML elements and self-closed SVG
 * ones aside), attribute quotes paired, and no raw '<' or bare '&' left in text.
 */
function wellFormed (html: string): string[] {
  const problems: string[] = []
  const stack: string[] = []
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '<style></style>').replace(/^<!doctype html>/i, '')
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>/g
  let last = 0
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(last, m.index)
    if (text.includes('<') || text.includes('>')) problems.push(`raw < or > in text near ${JSON.stringify(text.slice(0, 60))}`)
    if (/&(?!(amp|lt|gt|quot|#\d+);)/.test(text)) problems.push(`bare & near ${JSON.stringify(text.slice(0, 60))}`)
    last = tag.lastIndex
    const [, closing, name, , self] = m
    if (closing === '/') {
      const open = stack.pop()
      if (open !== name) problems.push(`</${name}> closes <${String(open)}>`)
    } else if (self !== '/' && !VOID.has(name)) stack.push(name)
  }
  if (body.slice(last).trim() !== '') problems.push(`text after the last tag: ${body.slice(last, last + 60)}`)
  if (stack.length > 0) problems.push(`never closed: ${stack.join(' > ')}`)
  return problems
}

function svgs (html: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of html.matchAll(/<svg[^>]* id="([\w-]+)"[^>]*>[\s\S]*?<\/svg>/g)) out.set(m[1], m[0])
  return out
}

function seriesOf (svg: string): string[] {
  return [...svg.matchAll(/<g class="series" data-series="([^"]*)">/g)].map(m => m[1])
}

t.test('HTML report of a clean run: one well-formed document, four charts, the table and the verdict', async t => {
  const html = renderHtmlReport(clean())
  t.match(html, /^<!doctype html>\n<html lang="en">/)
  t.equal(html.match(/<html[\s>]/g)?.length, 1, 'one document')
  t.equal(html.match(/<body>/g)?.length, 1)
  t.same(wellFormed(html), [], 'well-formed')
  t.match(html, '<p class="verdict ok" role="status">OK: every punch accounted for</p>')
  t.match(html, '<h1>normal-week</h1>')
  t.match(html, 'seed 7 · 2 sites · 100 devices')
  t.match(html, '<tr><td>generated</td><td class="num">12,345</td><td class="num">100.0</td></tr>')
  t.match(html, '<tr class="sub"><td>with flags</td><td class="num">0</td><td class="num">0.0</td></tr>')
  t.match(html, '<tr><td>unexplained</td><td class="num">0</td>', 'a zero loss is not marked bad')
  const charts = svgs(html)
  t.same([...charts.keys()], ['backlog', 'delivery', 'lateness', 'flags'], 'one <svg> per chart, in order')
  t.equal(html.match(/<svg/g)?.length, 4, 'and no other')
  t.same(seriesOf(charts.get('backlog') ?? ''), ['on devices', 'at the gateway'])
  t.same(seriesOf(charts.get('delivery') ?? ''), ['generated', 'delivered'])
  t.same(seriesOf(charts.get('lateness') ?? ''), ['delivered punches'])
  t.same(seriesOf(charts.get('flags') ?? ''), [], 'no flags: no bars')
  t.match(charts.get('flags'), 'no flags raised')
  t.notMatch(charts.get('backlog'), 'class="fault', 'no faults, no shading')
  t.match(html, 'No faults were active.')
  for (const label of ['&lt; 1 min', '&lt; 15 min', '&lt; 1 h', '&lt; 24 h', '&lt; 72 h', '≥ 72 h']) {
    t.match(charts.get('lateness'), `>${label}</text>`, `lateness bucket ${label}`)
  }
  t.match(charts.get('lateness'), '>12,000</text>', 'bucket counts written on the bars')
  t.match(charts.get('backlog'), />00:00<\/text><text [^>]*class="day">Sun 22 Nov<\/text>/, 'time axis: site-local clock, the day where it changes')
})

t.test('HTML report references nothing outside itself', async t => {
  for (const d of [clean(), failing(), faulty()]) {
    const html = renderHtmlReport(d)
    t.notMatch(html, /\b(src|href|xlink:href)\s*=/i, `${d.scenario}: no src or href`)
    t.notMatch(html, /url\(|@import|<script|<link|<iframe|<img/i, `${d.scenario}: no CSS url(), import, script, link, frame or image`)
    t.notMatch(html, /https?:|\/\//, `${d.scenario}: no URL at all`)
  }
})

t.test('HTML report of a failing run: FAIL up front, losses and failed checks marked, ids listed', async t => {
  const html = renderHtmlReport(failing())
  t.same(wellFormed(html), [])
  t.match(html, '<p class="verdict fail" role="status">FAIL: 3 punches lost that nothing explains (first: T-0001:9f2c41d0:41, ')
  t.ok(html.indexOf('class="verdict') < html.indexOf('<svg'), 'the verdict comes before any chart')
  t.match(html, '<tr class="bad"><td>unexplained</td><td class="num">3</td><td class="num">&lt;0.1</td></tr>', 'a small loss is not rounded to 0.0')
  t.match(html, '<tr class="bad"><td>overwritten</td><td class="num">40</td><td class="num">38</td><td>FAIL</td></tr>')
  t.match(html, '<tr><td>refused</td><td class="num">0</td><td class="num">0</td><td>ok</td></tr>')
  t.match(html, 'T-0003:00aa00aa:1', 'every id listed, not only the verdict\'s first three')
  const flags = svgs(html).get('flags') ?? ''
  t.same(seriesOf(flags), ['flagged punches'])
  t.equal(flags.match(/<rect /g)?.length, 3, 'a bar per flag kind')
  t.ok(flags.indexOf('>late-sync<') < flags.indexOf('>expired<') && flags.indexOf('>expired<') < flags.indexOf('>outside-geofence<'), 'most frequent first')
  t.match(html, /<title>punchline sim: ring-too-small \(FAIL\)<\/title>/)
})

t.test('HTML report through faults: windows shaded where they happened, named, and tabled', async t => {
  const d = faulty()
  const html = renderHtmlReport(d)
  t.same(wellFormed(html), [])
  const backlog = svgs(html).get('backlog') ?? ''
  const rects = [...backlog.matchAll(/<rect class="fault" data-fault="site-outage" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)]
  t.equal(rects.length, 1, 'one outage, one shaded window')
  // The plot spans x 52..626 for 72 h: the outage (30 h to 36 h in, to the sample that shows it over) sits at 291..339.
  const x0 = Number(rects[0][1])
  const x1 = x0 + Number(rects[0][2])
  t.ok(Math.abs(x0 - (52 + 574 * 30 / 72)) < 2, `starts at 30 h (x ${x0})`)
  t.ok(Math.abs(x1 - (52 + 574 * 36 / 72)) < 2, `ends at 36 h (x ${x1})`)
  t.match(backlog, '<text class="fault-label"', 'the window is named on the chart')
  t.match(backlog, />site-outage<\/text>/)
  t.match(svgs(html).get('delivery'), 'data-fault="site-outage"', 'the delivery chart shows the same window')
  t.match(html, '<td>site-outage</td><td></td><td>Sun 2026-11-22 08:00</td><td>Sun 2026-11-22 14:0', 'fault table in site-local time')
  t.match(html, 'Windows read from the samples', 'says where the windows came from')

  // Windows handed over by the engine win, and an instant fault is a line, not a zero-width box.
  const given: FaultWindow[] = [
    { kind: 'upstream-outage', fromMs: START + 10 * H, toMs: START + 12 * H, label: 'HTTP 503' },
    { kind: 'thundering-herd', fromMs: START + 40 * H, toMs: START + 40 * H }
  ]
  d.faultWindows = given
  const html2 = renderHtmlReport(d)
  const b2 = svgs(html2).get('backlog') ?? ''
  t.notMatch(b2, 'data-fault="site-outage"', 'the samples\' faults are not drawn twice')
  t.match(b2, /<rect class="fault" data-fault="upstream-outage"/)
  t.match(b2, /<line class="fault instant" data-fault="thundering-herd"/)
  t.match(html2, '<td>upstream-outage</td><td>HTTP 503</td>')
  t.match(html2, '<td class="num">instant</td>')
  t.notMatch(html2, 'Windows read from the samples')
})

t.test('HTML report escapes everything that came from a scenario file', async t => {
  const d = failing()
  d.scenario = '<script>alert(1)</script>'
  d.description = '"><img src=x onerror=alert(2)> & more'
  d.flags = { '<b>bold</b>': 3 }
  d.checks = [{ what: 'a<b & "c"', expected: '<x>', actual: 1, ok: false }]
  d.unexplainedIds = ['<i>id</i>']
  d.faultWindows = [{ kind: '<svg onload=alert(3)>', fromMs: START + H, toMs: START + 2 * H, label: "'quoted'" }]
  const html = renderHtmlReport(d)
  t.same(wellFormed(html), [], 'still well-formed')
  t.notMatch(html, '<script')
  t.notMatch(html, /<img|<b>|<i>|<svg onload/)
  t.match(html, '<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>')
  t.match(html, '&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; more')
  t.match(html, 'data-fault="&lt;svg onload=alert(3)&gt;"', 'escaped inside attributes too')
  t.match(html, '<td>&#39;quoted&#39;</td>')
  t.match(html, '&lt;b&gt;bold&lt;/b&gt;')
  t.equal(html.match(/<svg/g)?.length, 4, 'a hostile fault kind adds no chart')
})

t.test('HTML report of 100,000 samples stays small: at most 1,000 drawn per series', async t => {
  const d = faulty()
  d.samples = samples(100_000, OUTAGE)
  const html = renderHtmlReport(d)
  t.ok(html.length < 200_000, `${html.length} bytes`)
  t.same(wellFormed(html), [])
  for (const id of ['backlog', 'delivery']) {
    const svg = svgs(html).get(id) ?? ''
    const lines = [...svg.matchAll(/<path d="([^"]*)" fill="none"/g)].map(m => m[1])
    t.equal(lines.length, 2, `${id}: two series lines`)
    for (const p of lines) {
      const points = p.split(/[ML]/).length - 1
      t.ok(points <= 1000 && points > 900, `${id}: ${points} points in a line`)
    }
  }
  t.match(html, '100,000 samples, 1,000 drawn')
  t.equal([...(svgs(html).get('backlog') ?? '').matchAll(/class="fault"/g)].length, 1, 'the outage is found in the full samples')
})

t.test('downsampling keeps the ends and the backlog peaks, in order', async t => {
  // A steady backlog of 5, so that both a spike and a drop stand out.
  const s = samples(100_000).map(x => ({ ...x, pendingOnDevices: 5 }))
  s[54_321] = { ...s[54_321], pendingOnDevices: 1e9 }
  s[70_000] = { ...s[70_000], pendingOnDevices: 0, pendingAtGateway: 0 }
  const d = downsample(s, 1000)
  t.ok(d.length <= 1000 && d.length > 900, `${d.length} samples`)
  t.equal(d[0], s[0])
  t.equal(d[d.length - 1], s[s.length - 1])
  t.ok(d.includes(s[54_321]), 'a one-sample spike survives')
  t.ok(d.includes(s[70_000]), 'so does a one-sample drain to zero')
  t.ok(d.every((x, i) => i === 0 || x.at > d[i - 1].at), 'strictly in time order, no sample twice')
  t.same(downsample(s.slice(0, 10), 1000), s.slice(0, 10), 'few samples: all kept')
})

t.test('fault windows from samples: a window per stretch, open ones closed at the last sample', async t => {
  const at = (h: number): number => START + h * H
  const w = faultWindowsFromSamples([
    sample({ at: at(0) }),
    sample({ at: at(1), faults: ['latency'] }),
    sample({ at: at(2), faults: ['latency', 'site-outage', 'site-outage'] }),
    sample({ at: at(3), faults: ['site-outage'] }),
    sample({ at: at(4), faults: ['latency'] }),
    sample({ at: at(5), faults: ['latency'] })
  ])
  t.same(w, [
    { kind: 'latency', fromMs: at(1), toMs: at(3) },
    { kind: 'site-outage', fromMs: at(2), toMs: at(4) },
    { kind: 'latency', fromMs: at(4), toMs: at(5) }
  ])
})

t.test('virtual times read as site-local dates', async t => {
  t.equal(siteDateTime(Date.UTC(2026, 10, 24, 12, 30), 120), 'Tue 2026-11-24 14:30')
  t.equal(siteDateTime(Date.UTC(2026, 10, 24, 2, 0), -300), 'Mon 2026-11-23 21:00', 'west of UTC: the day before')
  const ticks = timeTicks(START, END, 120)
  t.ok(ticks.length >= 4 && ticks.length <= 7, `${ticks.length} ticks over 72 h`)
  t.ok(ticks.every(k => /^\d\d:00$/.test(k.label)), 'on the hour, site-local')
  t.equal(ticks.filter(k => k.day !== undefined).length, 4, 'the first tick and three midnights name their day')
  const week = timeTicks(START, START + 14 * 24 * H, 0)
  t.ok(week.every(k => /^\w{3} \d{1,2} \w{3}$/.test(k.label)), 'two weeks: ticks are days')
})

t.test('HTML report of a run with nothing to draw still holds four charts and says so', async t => {
  const d = clean()
  d.samples = []
  d.lateness = []
  d.endMs = d.startMs
  d.realMs = 0
  d.fates = { ...d.fates, generated: 0, delivered: 0 }
  const html = renderHtmlReport(d)
  t.same(wellFormed(html), [])
  t.same([...svgs(html).keys()], ['backlog', 'delivery', 'lateness', 'flags'])
  t.equal(html.match(/>no samples<\/text>/g)?.length, 2, 'both time charts say there were no samples')
  t.match(html, '>no deliveries measured</text>')
  t.match(html, '<td class="num">–</td>', 'no percentages of nothing')
  t.notMatch(html, /NaN|Infinity|undefined/, 'no arithmetic leaks into the page')
  t.notMatch(formatSummary(d), /NaN|Infinity|undefined/, 'nor into the summary')
})

t.test('counts and durations read the same on every machine', async t => {
  t.equal(duration(850), '850 ms')
  t.equal(duration(4700), '4.7 s')
  t.equal(duration(15 * 60_000), '15 min')
  t.equal(duration(72 * H), '72 h', 'hours up to a week, as the lateness buckets are named')
  t.equal(duration(9 * 24 * H), '9 d')
  t.equal(compact(950), '950')
  t.equal(compact(1234), '1.2k')
  t.equal(compact(34_000), '34k')
  t.equal(compact(3_400_000), '3.4M')
  t.equal(compact(999_999), '1M', 'rounds up into the next unit, not "1000k"')
  t.equal(percent(3, 12_345), '<0.1')
  t.equal(percent(12_344, 12_345), '>99.9')
  t.equal(percent(0, 0), '–')
})

t.test('writeReport creates missing directories and writes the report whole', async t => {
  const dir = t.testdir({})
  const d = failing()
  const path = await writeReport(join(dir, 'a', 'b', 'report.html'), d)
  t.ok(isAbsolute(path))
  t.equal(path, join(dir, 'a', 'b', 'report.html'))
  t.equal(await readFile(path, 'utf8'), renderHtmlReport(d))
  await writeReport(path, clean())
  t.match(await readFile(path, 'utf8'), 'OK: every punch accounted for', 'rewritten in place')
})
