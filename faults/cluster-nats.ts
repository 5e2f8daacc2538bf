/**
 * `npm run faults` cluster-nats: cluster mode on a 3-node NATS cluster (Debian's nats-server 2.9, MQTT and
 * JetStream), one PostgreSQL, three `punchline gateway --cluster` processes and 1,000 devices with file
 * rings on the simulator's light MQTT client, spread over the three NATS servers and failing over between
 * them. Mid-ingest one node is killed with SIGKILL, then one NATS server (started again once the survivors
 * have taken the load). The scenario is cluster-nats-run.ts, shared with test/cluster-nats.test.ts (24
 * devices, MQTT.js clients); figures in docs/FAULTS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runNatsClusterFault } from './cluster-nats-run.js'
import { emptyReport, type FaultReport } from './report.js'

export interface ClusterNatsOptions { devices: number, punchEveryMs: number, phaseAcks: number }

export const CLUSTER_NATS: Record<'short' | 'long', ClusterNatsOptions> = {
  short: { devices: 24, punchEveryMs: 200, phaseAcks: 100 },
  long: { devices: 1000, punchEveryMs: 2000, phaseAcks: 3000 }
}

export async function clusterNatsFault (o: ClusterNatsOptions, say: (line: string) => void): Promise<FaultReport> {
  const started = performance.now()
  const teardowns: Array<() => void | Promise<void>> = []
  const t = { teardown: (fn: () => void | Promise<void>) => { teardowns.push(fn) } }
  const dir = mkdtempSync(join(tmpdir(), 'punchline-fault-cluster-nats-'))
  try {
    const r = await runNatsClusterFault({ dir, ...o, lite: true, restartServer: true, teardown: t.teardown, say })
    const problems: string[] = []
    if (!r.drained) problems.push('the rings did not drain, or an acked punch never reached the upstream')
    if (r.ackedNotStored.length > 0) problems.push(`${r.ackedNotStored.length} acked punches not in PostgreSQL (e.g. ${r.ackedNotStored[0]})`)
    if (r.ackedNotUpstream.length > 0) problems.push(`${r.ackedNotUpstream.length} acked punches never upstream (e.g. ${r.ackedNotUpstream[0]})`)
    if (r.unkeyedDuplicates.length > 0) problems.push(`${r.unkeyedDuplicates.length} punches upstream twice not under an answered key`)
    if (r.storedTwice > 0) problems.push(`${r.storedTwice} punches stored twice`)
    for (const s of [...r.survivorsAfterNodeKill, ...r.survivorsAfterBrokerKill]) {
      if (s.after <= s.before) problems.push(`${s.node} took no batch after a kill (${s.before} → ${s.after})`)
    }
    const report = emptyReport('cluster-nats', 'kills', performance.now() - started, problems, [r.summary, `drain after the load: ${(r.drainMs / 1000).toFixed(1)} s`])
    return { ...report, runs: 2, acked: r.acked, delivered: r.acked - r.ackedNotUpstream.length, lost: r.ackedNotUpstream.length + r.ackedNotStored.length, duplicates: r.duplicates, resent: r.duplicates, bound: r.duplicates, boundRule: 'only under an answered key' }
  } finally {
    for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
}
