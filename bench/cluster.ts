/**
 * The cluster section (issue 17): a private Mosquitto and a private PostgreSQL (fakes/servers/), and in each
 * run, back to back, the raw baseline (`pg` multi-row inserts of the same rows into the same schema,
 * bench/raw-postgres.ts) and, for 1, 2 and 3 `punchline gateway --cluster` nodes, each on a fresh database:
 * - ingest: MQTT.js devices in the bench process publishing batches through Mosquitto, each waiting for the
 *   node's ack (sent after PostgreSQL's commit) before the next, as a device's uplink does; counted on acks;
 * - drain: a backlog committed into the shared outbox in one transaction, delivered by the nodes to the
 *   webhook sink in its own process (bench/sink-child.ts); counted when the sink has every punch.
 * What each process spent (nodes, PostgreSQL with its backends, the broker or the sink, the devices) and the
 * database's commits and WAL flushes go in the figures, to say where the limit is. This file only measures;
 * cluster-render.ts writes the section. Its sizes come from the environment (bench/settings.ts).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import pg from 'pg'
import { defaultConfig } from '../gateway/config.js'
import { startMosquittoBroker, MOSQUITTO, type MosquittoBroker } from '../fakes/servers/mosquitto-broker.js'
import { connectionString, postgresBinDir, startPostgresServer, type PostgresServer } from '../fakes/servers/postgres-server.js'
import { cpuSeconds, removeTempDir, tempDir } from './children.js'
import { load1 } from './machine.js'
import { startNodes, type BenchNodes } from './cluster-nodes.js'
import type { ClusterCpu, ClusterDrain, ClusterFigures, ClusterIngest, ClusterRun, ClusterShape } from './cluster-figures.js'
import { startSink } from './drain.js'
import { punchRows } from './ingest.js'
import { runLoad } from './mqtt-load.js'
import { rawPostgresRate } from './raw-postgres.js'
import { fmt, sleep } from './stats.js'
import { treeCpuSeconds } from './tree-cpu.js'

/** how long one load or one drain may take before the run fails */
const TIMEOUT_MS = 600_000

const orNull = (n: number): number | null => Number.isFinite(n) ? n : null

interface DbStats { xid: number, walSyncs: number, walBytes: number }

/**
 * The server's next transaction id and its WAL flushes and bytes so far. Every commit of a node writes, so
 * takes an id: the ids used over a load count its commits exactly, where pg_stat_database's counts lag
 * until each backend reports them. pg_stat_wal lags the same way, so it is read after the nodes stopped.
 */
async function dbStats (url: string): Promise<DbStats> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const xid = await c.query<{ n: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS n')
    const wal = await c.query<{ syncs: string, bytes: string }>('SELECT wal_sync AS syncs, wal_bytes AS bytes FROM pg_stat_wal')
    return { xid: Number(xid.rows[0]?.n), walSyncs: Number(wal.rows[0]?.syncs), walBytes: Number(wal.rows[0]?.bytes) }
  } finally {
    await c.end()
  }
}

interface CpuProbe { nodes: () => number, postgres: () => number, other: () => number }

function cpuSince (probe: CpuProbe): () => ClusterCpu {
  const t0 = { nodes: probe.nodes(), postgres: probe.postgres(), other: probe.other(), client: process.cpuUsage() }
  return () => {
    const client = process.cpuUsage(t0.client)
    return {
      nodes: orNull(probe.nodes() - t0.nodes),
      postgres: orNull(probe.postgres() - t0.postgres),
      other: orNull(probe.other() - t0.other),
      client: (client.user + client.system) / 1e6
    }
  }
}

interface Services { pg: PostgresServer, broker: MosquittoBroker, dir: string }

async function ingestThrough (n: number, shape: ClusterShape, s: Services, log: (line: string) => void): Promise<ClusterIngest> {
  const url = connectionString(await s.pg.database())
  const nodes = await startNodes(n, { dir: s.dir, brokerUrl: s.broker.url, postgres: url })
  let before: DbStats
  let spent!: () => ClusterCpu
  let cpu!: ClusterCpu
  let r
  const probe: CpuProbe = { nodes: nodes.cpuSeconds, postgres: () => treeCpuSeconds(s.pg.pid), other: () => cpuSeconds(s.broker.process.pid) }
  try {
    const load = { url: s.broker.url, batchSize: shape.ingest.batchSize, window: shape.ingest.window, countOn: 'ack' as const, timeoutMs: TIMEOUT_MS }
    // A small warm-up first: JIT, the nodes' connections to the store and the shared subscription's routes.
    await runLoad({ ...load, devices: 10, batchesPerDevice: 5, epoch: 'aaaaaaaa' })
    before = await dbStats(url)
    r = await runLoad({
      ...load,
      devices: shape.ingest.devices,
      batchesPerDevice: shape.ingest.batches,
      epoch: 'bbbbbbbb',
      onStart: () => { spent = cpuSince(probe) },
      onEnd: () => { cpu = spent() }
    })
  } finally {
    await nodes.stop()
  }
  // The nodes' backends have exited and flushed their counts: read after the stop.
  await sleep(200)
  const after = await dbStats(url)
  const out: ClusterIngest = {
    nodes: n,
    rate: r.rate,
    punches: r.punches,
    seconds: r.seconds,
    cpu,
    commits: orNull(after.xid - before.xid),
    walSyncs: orNull(after.walSyncs - before.walSyncs),
    walMB: orNull((after.walBytes - before.walBytes) / 1e6)
  }
  log(`ingest, ${n} node${n === 1 ? '' : 's'}: ${fmt(out.rate)} punches/s (${fmt(out.punches)} in ${out.seconds.toFixed(2)} s, ${fmt(out.commits ?? NaN)} commits; CPU s: nodes ${cpu.nodes?.toFixed(1)}, postgres ${cpu.postgres?.toFixed(1)}, mosquitto ${cpu.other?.toFixed(1)}, devices ${cpu.client?.toFixed(1)})`)
  return out
}

/** `punches` rows and their outbox rows, committed in one transaction and analyzed: the backlog a long outage upstream leaves. */
async function commitBacklog (url: string, punches: number, perDevice: number): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query('BEGIN')
    await c.query(`INSERT INTO punches (device, epoch, seq, ts, tz, emp, kind, method, clock, flags, received)
      SELECT 'DRAIN-' || (g / $2), 'dddddddd', g % $2, $3::int8 - ($2 - g % $2) * 60000, 480, 'E' || (1000 + g % 500),
        CASE WHEN g % 2 = 0 THEN 'in' ELSE 'out' END, 'card', 'synced', '', $3::int8
      FROM generate_series(0, $1 - 1) g`, [punches, perDevice, Date.now()])
    await c.query('INSERT INTO outbox (punch_id) SELECT id FROM punches')
    await c.query('COMMIT')
    // A backlog that grew over an outage has been analyzed by autovacuum on the way (each 10 % of growth);
    // one committed at once has not, and the claims are then planned for a nearly empty outbox and ledger
    // (docs/DESIGN-NOTES.md, "The cluster bench").
    await c.query('ANALYZE punches, outbox')
  } finally {
    await c.end()
  }
}

async function drainThrough (n: number, shape: ClusterShape, s: Services, log: (line: string) => void): Promise<ClusterDrain> {
  const url = connectionString(await s.pg.database())
  const sink = await startSink(shape.drainPunches)
  let nodes: BenchNodes | undefined
  try {
    nodes = await startNodes(n, { dir: s.dir, brokerUrl: s.broker.url, postgres: url, upstream: sink.url })
    const probe: CpuProbe = { nodes: nodes.cpuSeconds, postgres: () => treeCpuSeconds(s.pg.pid), other: () => cpuSeconds(sink.pid) }
    await commitBacklog(url, shape.drainPunches, shape.drainPerDevice)
    const startedAt = performance.timeOrigin + performance.now()
    const spent = cpuSince(probe)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`drain through ${n} nodes: the sink had ${fmt(sink.delivered())} of ${fmt(shape.drainPunches)} after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)
    })
    const done = await Promise.race([sink.done, timedOut]).finally(() => clearTimeout(timer))
    const cpu = spent()
    const seconds = (done.at - startedAt) / 1000
    const out: ClusterDrain = { nodes: n, rate: shape.drainPunches / seconds, punches: shape.drainPunches, seconds, copies: done.copies, requests: done.requests, cpu }
    log(`drain, ${n} node${n === 1 ? '' : 's'}: ${fmt(out.rate)} punches/s (${fmt(out.punches)} in ${seconds.toFixed(2)} s, ${fmt(out.requests)} requests, ${fmt(out.copies)} copies; CPU s: nodes ${cpu.nodes?.toFixed(1)}, postgres ${cpu.postgres?.toFixed(1)}, sink ${cpu.other?.toFixed(1)})`)
    return out
  } finally {
    await nodes?.stop()
    await sink.stop()
  }
}

function versionOf (command: string, args: string[], pattern: RegExp): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 })
  return pattern.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown'
}

export async function measureCluster (shape: ClusterShape, runs: number, say: (line: string) => void): Promise<ClusterFigures> {
  const measuredAt = new Date().toISOString()
  const loadBefore = load1()
  const dir = tempDir('punchline-bench-cluster-')
  // The server's own defaults but for its connections (3 nodes × a pool of 4, the bench's own) and a buffer
  // that holds a run's rows; fsync and synchronous_commit stay on, as the nodes require.
  const server = await startPostgresServer({ settings: ['shared_buffers=128MB', 'max_wal_size=1GB'] })
  let broker: MosquittoBroker | undefined
  try {
    broker = await startMosquittoBroker()
    const s: Services = { pg: server, broker, dir }
    const rows = punchRows(shape.ingest)
    const out: ClusterRun[] = []
    for (let run = 0; run < runs; run++) {
      const log = (line: string): void => say(`cluster run ${run + 1}/${runs}: ${line}`)
      const raw: number[] = []
      for (const batch of shape.rawBatches) {
        raw.push(await rawPostgresRate(connectionString(await server.database()), rows, batch))
        log(`raw pg, ${batch} rows a transaction: ${fmt(raw[raw.length - 1])} rows/s`)
      }
      const ingest: ClusterIngest[] = []
      const drain: ClusterDrain[] = []
      for (const n of shape.nodes) {
        ingest.push(await ingestThrough(n, shape, s, log))
        drain.push(await drainThrough(n, shape, s, log))
      }
      out.push({ raw, ingest, drain })
    }
    const f = defaultConfig().forward
    return {
      measuredAt,
      loadBefore,
      loadAfter: load1(),
      shape,
      postgresVersion: versionOf(join(postgresBinDir(), 'postgres'), ['--version'], /\(PostgreSQL\) (\S+)/),
      mosquittoVersion: versionOf(MOSQUITTO, ['-h'], /mosquitto version (\S+)/),
      forward: { batchSize: f.batchSize, concurrency: f.concurrency },
      runs: out
    }
  } finally {
    await broker?.stop()
    await server.stop()
    removeTempDir(dir)
  }
}
