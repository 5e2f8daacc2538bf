/**
 * `npm run faults`: the fault suite's long variants, each run ending in a reconciliation against a real
 * upstream judged by one rule (judge.ts), then one table. Exits 1 on any loss, altered punch, duplicates
 * beyond their bound, or a check of a fault's own; `npm test` runs the short variants (test/faults-*.test.ts).
 *
 * Environment: FAULTS_SEED (random, printed: give it back to repeat the fault timings), FAULTS_ONLY
 * (a comma-separated list of gateway-kill, power-cut, upstream, hung-upstream, disk-full, corrupt-db, locked-db,
 * cluster-nats), FAULTS_KILLS (the
 * gateway kills, 50), FAULTS_SHORT=1 (the short variants, as the tests run them).
 */
import { corruptDbFault, CORRUPT_DB } from './corrupt-db.js'
import { lockedDbFault, LOCKED_DB } from './locked-db.js'
import { diskFullFault, DISK_FULL, type DiskMode } from './disk-full.js'
import { gatewayKillFault, GATEWAY_KILL } from './gateway-kill.js'
import { powerCutFault, POWER_CUT } from './power-cut.js'
import { emptyReport, formatReports, passed, type FaultReport } from './report.js'
import { FaultSite } from './site.js'
import { upstreamFault, UPSTREAM_FAULTS } from './upstream-faults.js'
import { hungUpstreamFault, HUNG_UPSTREAM } from './hung-upstream.js'
import { clusterNatsFault, CLUSTER_NATS } from './cluster-nats.js'

const FAULTS = ['gateway-kill', 'power-cut', 'upstream', 'hung-upstream', 'disk-full', 'corrupt-db', 'locked-db', 'cluster-nats'] as const
type Fault = typeof FAULTS[number]

const say = (line: string): void => { process.stdout.write(line + '\n') }

function settings (): { seed: number, only: readonly Fault[], kills: number | undefined, variant: 'short' | 'long' } {
  const env = process.env
  const seed = env.FAULTS_SEED === undefined || env.FAULTS_SEED === '' ? Math.floor(Math.random() * 2 ** 31) : Number(env.FAULTS_SEED)
  if (!Number.isInteger(seed)) throw new Error(`FAULTS_SEED: must be an integer, got '${env.FAULTS_SEED}'`)
  const only = env.FAULTS_ONLY === undefined || env.FAULTS_ONLY === '' ? FAULTS : env.FAULTS_ONLY.split(',').map(s => s.trim())
  for (const f of only) if (!(FAULTS as readonly string[]).includes(f)) throw new Error(`FAULTS_ONLY: the faults are ${FAULTS.join(', ')} (got '${f}')`)
  const kills = env.FAULTS_KILLS === undefined || env.FAULTS_KILLS === '' ? undefined : Number(env.FAULTS_KILLS)
  if (kills !== undefined && !(Number.isInteger(kills) && kills > 0)) throw new Error(`FAULTS_KILLS: must be a whole number above 0, got '${env.FAULTS_KILLS}'`)
  return { seed, only: only as Fault[], kills, variant: env.FAULTS_SHORT === '1' ? 'short' : 'long' }
}

/** Runs one fault; a fault that throws is a failed run, and the suite goes on. */
async function attempt (fault: string, run: () => Promise<FaultReport>): Promise<FaultReport> {
  const started = performance.now()
  try {
    return await run()
  } catch (err) {
    return emptyReport(fault, 'runs', performance.now() - started, [`the run failed: ${(err as Error).stack ?? String(err)}`])
  }
}

async function main (): Promise<number> {
  const s = settings()
  const started = performance.now()
  say(`fault suite (${s.variant} variants), seed ${s.seed}: ${s.only.join(', ')}`)
  const reports: FaultReport[] = []
  const seed = s.seed
  for (const fault of s.only) {
    say(`\n${fault} …`)
    switch (fault) {
      case 'gateway-kill': {
        const o = { ...GATEWAY_KILL[s.variant], seed }
        reports.push(await attempt(fault, async () => await gatewayKillFault({ ...o, kills: s.kills ?? o.kills }, say)))
        break
      }
      case 'power-cut': reports.push(await attempt(fault, async () => await powerCutFault({ ...POWER_CUT[s.variant], seed }, say))); break
      case 'upstream': reports.push(await attempt(fault, async () => await upstreamFault({ ...UPSTREAM_FAULTS[s.variant], seed }, say))); break
      case 'hung-upstream': reports.push(await attempt(fault, async () => await hungUpstreamFault({ ...HUNG_UPSTREAM[s.variant], seed }, say))); break
      case 'disk-full':
        for (const mode of ['budget', 'floor', 'enospc'] as DiskMode[]) {
          reports.push(await attempt(`disk-full (${mode})`, async () => await diskFullFault({ ...DISK_FULL[s.variant], seed, mode }, say)))
        }
        break
      case 'corrupt-db': reports.push(await attempt(fault, async () => await corruptDbFault({ ...CORRUPT_DB[s.variant], seed }, say))); break
      case 'locked-db': reports.push(await attempt(fault, async () => await lockedDbFault({ ...LOCKED_DB[s.variant], seed }, say))); break
      case 'cluster-nats': reports.push(await attempt(fault, async () => await clusterNatsFault(CLUSTER_NATS[s.variant], say))); break
    }
    say(formatReports(reports.slice(-1)))
  }
  const minutes = (performance.now() - started) / 60_000
  say(`\n${formatReports(reports)}\n\nfault suite took ${minutes.toFixed(1)} min; repeat the timings with FAULTS_SEED=${seed} npm run faults`)
  const failed = reports.filter(r => !passed(r))
  if (failed.length > 0) say(`FAILED: ${failed.map(r => r.fault).join(', ')}`)
  return failed.length > 0 ? 1 : 0
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`faults: ${signal}, ending ${FaultSite.open.size} gateway(s)\n`)
    for (const site of FaultSite.open) site.abort()
    process.exit(130)
  })
}

main().then(code => process.exit(code), (err: Error) => {
  process.stderr.write(`faults failed: ${err.stack ?? err.message}\n`)
  for (const site of FaultSite.open) site.abort()
  process.exit(1)
})
