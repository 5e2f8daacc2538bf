/**
 * What the post-outage drain bench measures (bench/drain.ts), as plain JSON: everything its section in
 * docs/BENCHMARKS.md is rendered from (bench/drain-render.ts), so the section can be rendered again from a
 * saved file (docs/bench/drain.json) without measuring. Values that do not apply to a run are null, never
 * NaN, so a file read back renders the same as the run that wrote it.
 */

export interface DrainShape {
  devices: number
  /** punches in each device's ring */
  punches: number
  /** the devices' first connects are spread over this window (the reconnect backoff's jitter) */
  windowMs: number
  /** at most this many devices connecting at once; undefined: no bound (every device at its time) */
  maxConnecting?: number
  /** how long a device waits for its CONNACK; undefined leaves the uplink's own */
  connackTimeoutMs?: number
  /** the gateway's forward.batchSize; undefined leaves its default */
  forwardBatch?: number
  /** the gateway's mqtt settings over its defaults (BENCH_DRAIN_GATEWAY_MQTT, JSON), to compare admission settings */
  gatewayMqtt?: Record<string, unknown>
  /** the gateway's forward settings over its defaults (BENCH_DRAIN_GATEWAY_FORWARD, JSON), to compare forwarding settings */
  gatewayForward?: Record<string, unknown>
  /** a run that has not finished by then fails */
  timeoutS: number
  /** node flags for the gateway child of the first run's drain (--cpu-prof ...) */
  gatewayNodeArgs?: string[]
  /** node flags for the gateway child of every run (BENCH_DRAIN_GATEWAY_FLAGS: V8 heap flags to compare) */
  gatewayFlags?: string[]
}

/** One timeline sample, seconds from the first connect. */
export interface DrainSample { t: number, online: number, acked: number, delivered: number, gatewayCpu: number }

export interface FleetRun {
  /** every device online: seconds from the first connect */
  onlineS: number
  /** every ring empty (all acked): seconds from the first connect; null in the idle run */
  ackedS: number | null
  /** every punch at the sink: seconds from the first connect; null without an upstream */
  deliveredS: number | null
  /** the gateway's VmHWM, bytes */
  peakRss: number
  /** CPU seconds of the gateway from the first connect until all were acked (idle: online), and until the end */
  gatewayCpuToAcked: number
  gatewayCpu: number
  benchCpu: number
  sinkCpu: number
  commits: number
  rowsPerCommit: number
  /** punches acked more than once (a batch sent again after an ack timeout or a reconnect) */
  ackedTwice: number
  /** connection attempts (first ones and retries), and "N connection attempts, errors: ..." */
  attempts: number
  attemptsText: string
  /** attempts that got their CONNACK */
  connacks: number
  /** the gateway's RSS once it was ready, before the first connect (bytes) */
  startRss: number
  /** seconds from opening a connection to its CONNACK, over the attempts that got one: p50, p99, max */
  connack: { p50: number, p99: number, max: number }
  /** upstream requests: arrival times (s from the first connect) and punch counts */
  requestTimes: number[]
  requestSizes: number[]
  /** punches the sink got more than once */
  copies: number
  timeline: DrainSample[]
}

export interface DrainRun {
  /** raw better-sqlite3: seconds for the same rows in transactions of `DrainSetting.rawTxnRows` */
  rawS: number
  idle: FleetRun
  stored: FleetRun
  drain: FleetRun
}

export type DrainOutcome = { skipped: string } | { runs: DrainRun[], failed?: string }

/** How the figures were taken beyond the shape: what the section states beside them. */
export interface DrainSetting {
  /** rows per transaction of the raw better-sqlite3 baseline */
  rawTxnRows: number
  /** devices connecting at once in the idle run */
  idleConnecting: number
  /** the gateway's forward defaults */
  forward: { batchSize: number, lingerMs: number, concurrency: number }
  /** the uplink's own CONNACK wait, used when the shape sets none */
  uplinkConnackTimeoutMs: number
  /** libuv of the Node that measured (it decides how many connections a turn of the loop accepts) */
  libuv: string
  /** the gateway's mqtt.acceptsPerTurn and mqtt.readBytesPerTurn defaults (absent in figures from before them) */
  acceptsPerTurn?: number
  readBytesPerTurn?: number
}

/** How many connections waiting to be accepted one turn of the event loop took. */
export interface AcceptCheck { firstTurn: number, waiting: number }

export interface DrainFigures {
  /** when the figures were measured (ISO 8601) */
  measuredAt: string
  shape: DrainShape
  setting: DrainSetting
  outcome: DrainOutcome
  accept?: AcceptCheck
}
