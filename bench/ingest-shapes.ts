/**
 * The ingest shapes of issue 15, measured: a fleet whose devices each wait for the ack of one 100-punch
 * batch before sending the next (window 1), against raw better-sqlite3 FULL inserts of the same rows at
 * 100 and 1000 rows per transaction; and online terminals sending one punch a message, against raw
 * one-row FULL transactions. Each run measures its baselines and the gateway back to back. This file only
 * measures; ingest-shapes-render.ts writes the section from the figures.
 * Its sizes come from the environment (bench/settings.ts; docs/BENCHMARKS.md lists them).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { removeTempDir, tempDir } from './children.js'
import { cpuProfileArgs, startGateway } from './gateway-child.js'
import { measuredLoad, type LoadShape } from './load-run.js'
import { punchRows } from './ingest.js'
import { rawInsertRate } from './raw-sqlite.js'
import { fmt } from './stats.js'
import { threadCpu, threadSplit } from './thread-cpu.js'
import type { GatewayLoad, IngestShapes, ShapesFigures, ShapesRun } from './ingest-shapes-figures.js'

async function gatewayLoad (shape: LoadShape, commitThread: boolean, log: (line: string) => void, what: string, profileDir?: string): Promise<GatewayLoad> {
  const dir = tempDir('punchline-bench-shapes-')
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({ ingest: { commitThread } }))
  // No upstream: the forwarder does not compete for the disk.
  const gw = await startGateway({ dataDir: join(dir, 'data'), config, nodeArgs: cpuProfileArgs(profileDir) })
  try {
    const before = threadCpu(gw.child.pid)
    const r = await measuredLoad(gw.url, gw.child.pid, shape, 'ack')
    const threads = threadSplit(gw.child.pid, before, threadCpu(gw.child.pid))
    const rowsPerCommit = await gw.rowsPerCommit()
    const load: GatewayLoad = {
      rate: r.rate,
      punches: r.punches,
      seconds: r.seconds,
      gatewayCpuS: Number.isFinite(r.serverCpuSeconds) ? r.serverCpuSeconds : null,
      clientCpuS: Number.isFinite(r.clientCpuSeconds) ? r.clientCpuSeconds : null,
      rowsPerCommit: Number.isFinite(rowsPerCommit) ? rowsPerCommit : null,
      threads
    }
    const split = threads === null ? '' : `; CPU s: loop ${threads.loopS.toFixed(2)}, busiest other thread ${threads.busiestOtherS.toFixed(2)}, rest ${threads.restS.toFixed(2)}`
    log(`${what}: ${fmt(load.rate)} punches/s (${load.punches} in ${load.seconds.toFixed(2)} s, ${fmt(load.rowsPerCommit ?? NaN)} rows a commit${split})`)
    return load
  } finally {
    await gw.stop()
    removeTempDir(dir)
  }
}

export async function measureShapes (shapes: IngestShapes, commitThread: boolean, runs: number, say: (line: string) => void): Promise<ShapesFigures> {
  const rows = punchRows(shapes.window1)
  const singleRows = punchRows({ ...shapes.single, devices: 1, batches: shapes.rawSingleRows })
  const out: ShapesRun[] = []
  for (let run = 0; run < runs; run++) {
    const log = (line: string): void => say(`shapes run ${run + 1}/${runs}: ${line}`)
    const raw100 = rawInsertRate(rows, 100)
    const raw1000 = rawInsertRate(rows, 1000)
    log(`raw FULL: ${fmt(raw100)} rows/s at 100 a transaction, ${fmt(raw1000)} at 1000`)
    const profile = (name: string): string | undefined => run === 0 && shapes.profileDir !== undefined ? join(shapes.profileDir, name) : undefined
    const window1 = await gatewayLoad(shapes.window1, commitThread, log, `gateway, ${shapes.window1.devices} devices, window 1, batches of 100`, profile('window1'))
    const raw1 = rawInsertRate(singleRows, 1)
    log(`raw FULL: ${fmt(raw1)} rows/s at one a transaction`)
    const single = await gatewayLoad(shapes.single, commitThread, log, `gateway, ${shapes.single.devices} devices, one punch a message`, profile('single'))
    out.push({ raw100, raw1000, window1, raw1, single })
  }
  return { measuredAt: new Date().toISOString(), shapes, commitThread, runs: out }
}
