/**
 * `punchline sim --hardware`, as a field engineer runs it: the real `punchline device` child reading fake
 * parts on real PTYs (socat), the real gateway embedded in the sim, and a reconciliation of every read
 * presented against what reached the upstream. The reports' lists are checked here again, independently
 * of the mode's own reconciliation.
 *
 * The runs start together, at load: each mostly waits (device start-up, pacing, the unplug), so together
 * they take about as long as the longest, and each is its own process with its own PTYs and gateway.
 */
import t, { type Test } from 'tap'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseFlags } from '../shared/cli.js'
import { spawn } from 'node:child_process'
import { CLI, cliAsync } from './helpers/gateway-process.js'
import { until } from './helpers/wait.js'
import { HARDWARE_OPTIONS, parseHardwareOptions, refuseHardwareFlags } from '../sim/hardware-mode/options.js'
import { planHardwareReads } from '../sim/hardware-mode/read-plan.js'
import { namedScenario } from '../sim/scenario/library.js'

interface Loc { lat: number, lon: number, acc: number }
interface Report {
  faultCounts: Record<'noise' | 'split' | 'bad-checksum', number>
  sent: { badFrames: number, noiseBytes: number }
  unplugs: number
  device: { accepted: number, duplicateReads: number, refused: number, badChecksum: Record<string, number>, reconnects: Record<string, number> }
  reconciliation: { presented: number, delivered: number, missing: unknown[], extra: unknown[], duplicates: number, exact: boolean }
  presented: Array<{ n: number, emp: string, method: string, loc?: Loc }>
  delivered: Array<{ seq: number, emp: string, method: string, loc?: Loc }>
}

/** One terminal, twelve people: the first twelve reads are twelve people, so the player never waits out a window. */
function yardScenario (dir: string): string {
  const file = join(dir, 'yard.yaml')
  writeFileSync(file, [
    'name: yard',
    'seed: 7',
    'duration: 1d',
    'sites:',
    '  - id: yard',
    "    tz: '-03:00'",
    '    location: { lat: -23.5505, lon: -46.6333, radiusM: 400 }',
    '    staff: 12',
    '    devices: [{ kind: terminal, count: 1, prefix: yard-T }]',
    "    shifts: [{ start: '07:00', end: '16:00' }]",
    ''
  ].join('\n'))
  return file
}

const tempDirOf = (stdout: string): string => /temp dir (\S+)/.exec(stdout)?.[1] ?? ''

const dir = t.testdir()
const yard = yardScenario(dir)
const reports = { rdm6300: join(dir, 'rdm6300.json'), gps: join(dir, 'gps.json'), r307: join(dir, 'r307.json'), external: join(dir, 'external.json') }
const runs = {
  rdm6300: cliAsync(['sim', '--hardware', 'rdm6300', '--reads', '20', '--line-faults', '0.3', '--unplug-every', '10', '--every-ms', '100', '--report', reports.rdm6300]),
  gps: cliAsync(['sim', '--hardware', 'rdm6300,gps', '--file', yard, '--reads', '10', '--line-faults', '0.4', '--every-ms', '100', '--report', reports.gps]),
  r307: cliAsync(['sim', '--hardware', 'r307', '--file', yard, '--reads', '6', '--line-faults', '0.7', '--seed', '3', '--every-ms', '50', '--report', reports.r307]),
  external: externalRun(join(dir, 'pty'))
}

/**
 * --external as a field engineer uses it: the sim waits; the device, started by hand with the config the
 * sim printed, finds its PTYs in --pty-dir and the gateway, and the sim then plays its reads. On a Wiegand
 * converter with a GPS, with line faults: the one run of the passive line protocol this file has.
 */
async function externalRun (ptyDir: string): Promise<{ status: number | null, stdout: string, device: string }> {
  const sim = spawn(process.execPath, [CLI, 'sim', '--hardware', 'wiegand,gps', '--file', yard, '--reads', '6', '--line-faults', '0.7', '--seed', '1', '--every-ms', '50',
    '--external', '--pty-dir', ptyDir, '--report', reports.external], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let device = ''
  sim.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  sim.stderr.on('data', (d: Buffer) => { stdout += d.toString() })
  const simExited = new Promise<number | null>(resolve => sim.once('close', code => resolve(code)))
  // Never rejects: the subtest awaits this later, and reads what went wrong from `stdout`.
  await until(() => /punchline device --config \S+/.test(stdout) || sim.exitCode !== null, 'the config line', 30_000).catch(() => { sim.kill('SIGTERM') })
  const config = /punchline device --config (\S+)/.exec(stdout)?.[1]
  if (config === undefined) return { status: await simExited, stdout, device }
  const child = spawn(process.execPath, [CLI, 'device', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (d: Buffer) => { device += d.toString() })
  const childExited = new Promise<void>(resolve => child.once('close', () => resolve()))
  const status = await simExited
  child.kill('SIGTERM')
  await childExited
  return { status, stdout, device }
}

/** Reads are taken one at a time, so the device's sequence numbers follow the presentation order. */
function pairsInOrder (t: Test, r: Report): void {
  t.equal(r.delivered.length, r.presented.length, 'one punch per read')
  r.presented.forEach((p, i) => {
    const d = r.delivered[i]
    t.same([d.seq, d.emp, d.method], [i + 1, p.emp, p.method], `read ${p.n}`)
    if (p.loc === undefined) t.equal(d.loc, undefined, `read ${p.n}: no fix`)
    else t.ok(d.loc !== undefined && Math.abs(d.loc.lat - p.loc.lat) < 1e-6 && Math.abs(d.loc.lon - p.loc.lon) < 1e-6 && d.loc.acc === p.loc.acc, `read ${p.n}: fix ${JSON.stringify(d.loc)} is ${JSON.stringify(p.loc)}`)
  })
}

// First: it runs while the three runs above are under way.
t.test('bad flags and scenarios are refused with what to do', async t => {
  const gpsAlone = await cliAsync(['sim', '--hardware', 'gps'])
  t.equal(gpsAlone.status, 1)
  t.match(gpsAlone.stderr, /--hardware: gps gives positions, not reads: add a reader to stamp, e.g. --hardware rdm6300,gps/)

  // The rest straight from the checks the CLI runs (sim/cli.ts calls these two first), without loading
  // the whole simulator into this process while the runs above need the CPU.
  const refused = (argv: string[]): string => {
    try {
      const { values } = parseFlags({ ...HARDWARE_OPTIONS, broker: { type: 'string' }, report: { type: 'string' } }, argv)
      if (values.hardware === undefined) refuseHardwareFlags(values)
      else parseHardwareOptions(values)
    } catch (err) {
      return (err as Error).message
    }
    throw new Error(`not refused: ${argv.join(' ')}`)
  }
  t.match(refused(['--hardware', 'rdm6300', '--broker', 'mqtt://gw:1883']), /--hardware does not take --broker/)
  t.match(refused(['--hardware', 'rdm630']), /unknown part 'rdm630' \(did you mean 'rdm6300'\?\)/)
  t.match(refused(['--hardware', 'rdm6300,r307']), /one reader at a time \(got rdm6300 and r307\)/)
  t.match(refused(['--unplug-every', '5']), /--unplug-every: only with --hardware/)
  t.match(refused(['--hardware', 'wiegand', '--line-faults', '1.5']), /--line-faults: must be a probability from 0 to 1/)
  t.match(refused(['--hardware', 'wiegand', '--report', 'out.html']), /--report: with --hardware the report is JSON/)

  const plan = (scenario: string, o: { device?: string, reads?: number, gps: boolean }): string => {
    try {
      planHardwareReads(namedScenario(scenario), o)
    } catch (err) {
      return (err as Error).message
    }
    throw new Error(`not refused: ${scenario} ${JSON.stringify(o)}`)
  }
  t.match(plan('normal-week', { device: 'hq-T9', gps: false }), /--device: no device 'hq-T9' in scenario normal-week \(devices: hq-T0001, hq-T0002\)/)
  t.match(plan('gps-spoof', { device: 'field-W0001', reads: 50, gps: false }),
    /--reads 50: field-W0001 has 4 planned reads in scenario gps-spoof \(field-T0001 has 16: --device field-T0001\)/)
  t.match(plan('thundering-herd', { gps: true }), /site 'plant' of plant-T0001 has no location/)
})

t.test('rdm6300: 20 reads with line faults and an unplug, each exactly once upstream', async t => {
  const run = await runs.rdm6300
  const file = reports.rdm6300
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /hq-T0001 of normal-week \(seed 1\): rdm6300, 20 of \d+ planned reads/)
  t.match(run.stdout, /unplug: plugged back in; the device has its port open again/)
  t.match(run.stdout, /OK: every read presented reached the upstream exactly once \(20 of 20\)/)
  const r = JSON.parse(readFileSync(file, 'utf8')) as Report
  t.match(r.reconciliation, { presented: 20, delivered: 20, missing: [], extra: [], duplicates: 0, exact: true })
  t.equal(r.unplugs, 1)
  t.equal(r.device.reconnects.reader, 1, 'the device reopened its port once')
  for (const f of ['noise', 'split', 'bad-checksum'] as const) t.ok(r.faultCounts[f] >= 1, `at least one ${f} fault (seed 1)`)
  t.equal(r.device.badChecksum.reader, r.sent.badFrames, 'every bad frame sent was counted, none passed')
  t.match(r.device, { accepted: 20, duplicateReads: 0, refused: 0 })
  t.ok(r.presented.every(p => /^\d{10}$/.test(p.emp) && p.method === 'card'), 'ten-digit card numbers')
  pairsInOrder(t, r)
  t.notOk(existsSync(tempDirOf(run.stdout)), 'temp dir removed')
})

t.test('rdm6300,gps from a scenario file: every punch carries the fix sent just before its read', async t => {
  const run = await runs.gps
  const file = reports.gps
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /yard-T0001 of yard \(seed 7\): rdm6300 \+ gps, 10 of 24 planned reads/)
  const r = JSON.parse(readFileSync(file, 'utf8')) as Report
  t.match(r.reconciliation, { presented: 10, delivered: 10, exact: true })
  t.equal(new Set(r.presented.map(p => `${p.loc?.lat},${p.loc?.lon}`)).size, 10, 'ten different fixes, so a stale one would show')
  t.ok(r.presented.every(p => p.loc !== undefined && p.loc.lat < -23.54 && p.loc.lon < -46.62), 'south and west of the equator and meridian')
  t.ok(r.device.badChecksum.gps >= 1 || r.faultCounts['bad-checksum'] === 0, 'bad GPS sentences counted by the device')
  pairsInOrder(t, r)
})

t.test('r307: fingers on the module, with faulty answers, each one punch', async t => {
  const run = await runs.r307
  const file = reports.r307
  t.equal(run.status, 0, run.stdout + run.stderr)
  const r = JSON.parse(readFileSync(file, 'utf8')) as Report
  t.match(r.reconciliation, { presented: 6, delivered: 6, exact: true })
  for (const f of ['noise', 'split', 'bad-checksum'] as const) t.ok(r.faultCounts[f] >= 1, `at least one ${f} fault (seed 3)`)
  t.equal(r.device.badChecksum.reader, r.sent.badFrames, 'each corrupted answer counted by the device, and asked again')
  t.ok(r.presented.every(p => /^\d+$/.test(p.emp) && p.method === 'fingerprint'), 'template ids, method fingerprint')
  pairsInOrder(t, r)
})

t.test('--external (wiegand,gps): the engineer runs the device with the printed config; the reads reach the upstream', async t => {
  const run = await runs.external
  t.equal(run.status, 0, run.stdout)
  t.match(run.stdout, /wiegand {2}device end \S+\/pty\/wiegand/)
  t.match(run.stdout, /gps {6}device end \S+\/pty\/gps/)
  t.match(run.stdout, /your device is connected and has its ports open/)
  t.match(run.stdout, /OK: every read presented reached the upstream exactly once \(6 of 6\)/)
  t.match(run.device, /ACCEPTED .*stored as #6/, 'the device showed each read')
  const r = JSON.parse(readFileSync(reports.external, 'utf8')) as Report
  for (const f of ['noise', 'split', 'bad-checksum'] as const) t.ok(r.faultCounts[f] >= 1, `at least one ${f} fault (seed 1)`)
  t.ok(r.presented.every(p => /^\d{3}-\d{5}$/.test(p.emp) && p.method === 'card'), "'FFF-CCCCC' credentials")
  pairsInOrder(t, r)
  t.same(readdirSync(join(dir, 'pty')), [], 'the PTY links went with socat')
})
