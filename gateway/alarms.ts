/**
 * Alarms: conditions of a health snapshot that need a person, each with a message saying what is wrong and
 * what to do. A pure function of the snapshot, the thresholds and what only a live gateway knows, so the
 * running gateway (/api/alarms, logs, metrics) and `punchline report` raise the same alarms.
 */
import type { GatewayConfig } from './config.js'
import type { HealthSnapshot, OutboxHealth } from './health.js'
import { formatBytes, formatDuration } from './units.js'

export type Severity = 'warning' | 'critical'

export const ALARM_NAMES = [
  'device-silent', 'backlog-old', 'upstream-failing', 'storage', 'dead-letters', 'ring-nearly-full', 'clock-offset',
  'database-moved-aside'
] as const
/**
 * The alarms a cluster's console raises from the shared store (cluster/console/cluster-alarms.ts): the
 * single box's that a cluster has, judged the same way, and the cluster's own.
 */
export const CLUSTER_ALARM_NAMES = [
  'node-stale', 'no-node-alive', 'backlog-old', 'dead-letters', 'cluster-store-unreachable',
  'device-silent', 'ring-nearly-full', 'clock-offset', 'upstream-failing'
] as const
export type AlarmName = typeof ALARM_NAMES[number] | typeof CLUSTER_ALARM_NAMES[number]

export interface Alarm {
  name: AlarmName
  severity: Severity
  message: string
  /** the device an alarm is about; absent for the gateway as a whole */
  subject?: string
}

/** A ring this full (pending / capacity) is close to refusing punches. */
export const RING_WARN_FILL = 0.8
/** warning past the threshold, critical past this many times it */
export const CRITICAL_FACTOR = 4

export interface UpstreamState {
  /** last batch the upstream accepted (ms), null when none since the gateway started */
  lastDeliveredAt: number | null
  /** when the gateway started: "no delivery" is never counted from before it */
  since: number
  lastFailure: { kind: string, error: string, at: number } | null
  /** live only: the last time the upstream answered anything at all (a delivery, a refusal, an error status) */
  lastAnsweredAt?: number | null
  /** live only: the deliveries in flight, when each started and the longest its sink says it takes */
  inFlight?: ReadonlyArray<{ startedAt: number, deadlineMs: number | null }>
}

/**
 * A delivery outstanding this many times the longest its sink says it takes is stuck: its own timeout and
 * the forwarder's watchdog should both have ended it long before.
 */
export const STUCK_FACTOR = 2

export interface AlarmExtras {
  /** rules.clockSkewMs: a device clock corrected by more than this is worth a look */
  clockSkewMs: number
  /** from the running forwarder; without it (another process) the outbox's failing batches are the evidence */
  upstream?: UpstreamState
  /** the storage guard's reason when ingest is refused (also covers a commit that hit SQLITE_FULL) */
  storageFull?: string
}

type Thresholds = GatewayConfig['alarms']

export function evaluateAlarms (s: HealthSnapshot, th: Thresholds, x: AlarmExtras, now: number): Alarm[] {
  const out: Alarm[] = []
  const push = (a: Alarm | undefined): void => { if (a !== undefined) out.push(a) }
  for (const d of s.devices) out.push(...deviceAlarms(d, th, x.clockSkewMs, now))
  push(backlogOld(s.backlog, th, s.upstream.configured
    ? 'see the upstream-failing alarm and the forwarder log; nothing is dropped meanwhile'
    : 'no upstream is configured: set upstream.url'))
  push(upstreamFailing(s, th, x, now))
  push(storage(s, th, x))
  push(deadLetters(s.deadLetters))
  push(databaseMovedAside(s))
  return out.sort((a, b) => rank(a.severity) - rank(b.severity) || a.name.localeCompare(b.name) || (a.subject ?? '').localeCompare(b.subject ?? ''))
}

function rank (s: Severity): number { return s === 'critical' ? 0 : 1 }

/** warning from `limitMs`, critical from CRITICAL_FACTOR times it; a limit of 0 turns the alarm off */
function grade (valueMs: number, limitMs: number): Severity | undefined {
  if (limitMs <= 0 || valueMs < limitMs) return undefined
  return valueMs >= CRITICAL_FACTOR * limitMs ? 'critical' : 'warning'
}

type DeviceHealth = HealthSnapshot['devices'][number]

/**
 * One device's alarms: silent past alarms.deviceSilentMinutes, ring nearly full, clock corrected by more
 * than rules.clockSkewMs. A cluster's console judges the devices its store reads with this (cluster-alarms.ts).
 */
export function deviceAlarms (d: DeviceHealth, th: Pick<Thresholds, 'deviceSilentMinutes'>, clockSkewMs: number, now: number): Alarm[] {
  return [deviceSilent(d, th, now), ringNearlyFull(d), clockOffset(d, clockSkewMs)].filter((a): a is Alarm => a !== undefined)
}

function deviceSilent (d: DeviceHealth, th: Pick<Thresholds, 'deviceSilentMinutes'>, now: number): Alarm | undefined {
  const quiet = now - (d.lastSeen ?? d.created)
  const severity = grade(quiet, th.deviceSilentMinutes * 60_000)
  if (severity === undefined) return undefined
  const message = d.lastSeen === null
    ? `${d.id} was registered ${formatDuration(quiet)} ago and has never connected: check its secret, broker address and network`
    : `${d.id} silent for ${formatDuration(quiet)} (last seen ${new Date(d.lastSeen).toISOString()}): check its power and network; it keeps its punches until it reconnects`
  return { name: 'device-silent', severity, message, subject: d.id }
}

function ringNearlyFull (d: DeviceHealth): Alarm | undefined {
  if (d.ring === null || d.ring.fill < RING_WARN_FILL) return undefined
  return {
    name: 'ring-nearly-full',
    severity: 'warning',
    message: `${d.id} ring ${Math.floor(d.ring.fill * 100)} % full (${d.ring.pending} of ${d.ring.capacity} punches not yet acknowledged): it refuses new punches when full; check its link to the gateway and the gateway's storage`,
    subject: d.id
  }
}

function clockOffset (d: DeviceHealth, skewMs: number): Alarm | undefined {
  if (d.clockOffsetMs === null || Math.abs(d.clockOffsetMs) <= skewMs) return undefined
  return {
    name: 'clock-offset',
    severity: 'warning',
    message: `${d.id} clock was off by ${formatDuration(Math.abs(d.clockOffsetMs))} when the gateway corrected it (more than rules.clockSkewMs): check its NTP or RTC battery; punches it stamped before are flagged clock-skew`,
    subject: d.id
  }
}

/** `what` says where to look next: the single box and a cluster's console point to different places. */
export function backlogOld (b: Pick<HealthSnapshot['backlog'], 'pendingPunches' | 'oldestPendingAgeMs'>, th: Pick<Thresholds, 'backlogAgeMinutes'>, what: string): Alarm | undefined {
  const age = b.oldestPendingAgeMs
  const severity = age === null ? undefined : grade(age, th.backlogAgeMinutes * 60_000)
  if (severity === undefined) return undefined
  const waiting = `the oldest of ${b.pendingPunches} punches not yet accepted upstream was stored ${formatDuration(age!)} ago`
  return { name: 'backlog-old', severity, message: `${waiting}; ${what}` }
}

/** what upstream-failing reads of a snapshot: a cluster's console gives the same from its shared store */
export interface UpstreamEvidence {
  upstream: HealthSnapshot['upstream']
  backlog: Pick<HealthSnapshot['backlog'], 'pendingPunches' | 'oldestReceived'>
  outbox: Pick<OutboxHealth, 'failingSince' | 'lastError'>
}

export function upstreamFailing (s: UpstreamEvidence, th: Pick<Thresholds, 'upstreamFailingMinutes'>, x: Pick<AlarmExtras, 'upstream'>, now: number): Alarm | undefined {
  if (!s.upstream.configured) return undefined
  const up = x.upstream
  const stuck = upstreamStuck(up?.inFlight ?? [], now)
  if (stuck !== undefined) return stuck
  const failure = up?.lastFailure
  if (failure?.kind === 'config' && (up!.lastDeliveredAt === null || failure.at > up!.lastDeliveredAt)) {
    return {
      name: 'upstream-failing',
      severity: 'critical',
      message: `the upstream refuses the gateway (${failure.error}): check upstream.url and the token; punches wait, nothing is dropped`
    }
  }
  if (s.backlog.pendingPunches === 0 || th.upstreamFailingMinutes <= 0) return undefined
  // Live: since the later of the last delivery (or the start) and the oldest waiting punch: a backlog that
  // just formed after a quiet night is not an outage. From another process: the oldest batch still failing.
  const since = up !== undefined
    ? Math.max(up.lastDeliveredAt ?? up.since, s.backlog.oldestReceived ?? now)
    : s.outbox.failingSince
  if (since === null || now - since < th.upstreamFailingMinutes * 60_000) return undefined
  const lastError = failure?.error ?? s.outbox.lastError
  // Live, when nothing at all came back in the window and the requests time out: the upstream takes
  // connections and never answers. Saying "keeps retrying" there hid forwarding that had stopped.
  const answeredAt = up?.lastAnsweredAt === undefined ? undefined : up.lastAnsweredAt ?? up.since
  if (answeredAt !== undefined && answeredAt <= since && lastError?.startsWith('timeout') === true) {
    const inFlight = up?.inFlight ?? []
    const oldest = Math.min(...inFlight.map(d => d.startedAt))
    return {
      name: 'upstream-failing',
      severity: 'critical',
      message: `the upstream has not answered any request for ${formatDuration(now - answeredAt)} while ${s.backlog.pendingPunches} punches wait: ` +
        `it takes the connections and never answers (${lastError}); each request is abandoned at its timeout and sent again under its key` +
        (inFlight.length === 0 ? '' : `; ${inFlight.length} in flight, the oldest for ${formatDuration(now - oldest)}`) +
        ': check the upstream service; nothing is dropped'
    }
  }
  return {
    name: 'upstream-failing',
    severity: 'critical',
    message: `no punch delivered upstream for ${formatDuration(now - since)} while ${s.backlog.pendingPunches} wait` +
      (lastError == null ? '' : `; last error: ${lastError}`) + ': check the upstream service and the network; the gateway keeps retrying'
  }
}

/** Deliveries outstanding far past their deadline: forwarding is stalled on them, whatever the backlog says. */
function upstreamStuck (inFlight: NonNullable<UpstreamState['inFlight']>, now: number): Alarm | undefined {
  const stuck = inFlight.filter(d => d.deadlineMs !== null && now - d.startedAt > STUCK_FACTOR * d.deadlineMs)
  if (stuck.length === 0) return undefined
  const oldest = stuck.reduce((a, b) => (b.startedAt < a.startedAt ? b : a))
  return {
    name: 'upstream-failing',
    severity: 'critical',
    message: `${stuck.length} of ${inFlight.length} requests to the upstream stuck for ${formatDuration(now - oldest.startedAt)}, ` +
      `past the ${formatDuration(oldest.deadlineMs!)} they may take: forwarding is stalled on them; restart the gateway ` +
      '(their batches stay in the outbox and go again under their keys) and report it with the forwarder log'
  }
}

function storage (s: HealthSnapshot, th: Thresholds, x: AlarmExtras): Alarm | undefined {
  const u = s.storage
  const full = x.storageFull ?? u.full
  if (full !== null && full !== undefined) {
    return {
      name: 'storage',
      severity: 'critical',
      message: `ingest stopped, ${full}: devices keep their punches and resend; free disk space, or purge sooner (retention.deliveredDays) or raise storage.maxDbBytes, and it resumes by itself`
    }
  }
  const near: string[] = []
  if (u.maxDbBytes > 0 && u.usedBytes * 100 >= th.diskWarnPercent * u.maxDbBytes) {
    near.push(`database at ${Math.floor(u.usedBytes * 100 / u.maxDbBytes)} % of its ${formatBytes(u.maxDbBytes)} budget`)
  }
  if (u.minFreeBytes > 0 && u.diskFreeBytes < 2 * u.minFreeBytes) {
    near.push(`disk: ${formatBytes(u.diskFreeBytes)} free, within twice the ${formatBytes(u.minFreeBytes)} floor`)
  }
  if (near.length === 0) return undefined
  return { name: 'storage', severity: 'warning', message: `${near.join('; ')}: ingest stops at the limit; make room before then` }
}

/** from the dead letters not yet replayed, by kind ('refused', 'unmapped') */
export function deadLetters (byKind: HealthSnapshot['deadLetters']): Alarm | undefined {
  const refused = byKind.refused ?? 0
  const unmapped = byKind.unmapped ?? 0
  const other = Object.entries(byKind).filter(([k]) => k !== 'refused' && k !== 'unmapped').reduce((n, [, v]) => n + v, 0)
  const total = refused + unmapped + other
  if (total === 0) return undefined
  const parts: string[] = []
  if (refused > 0) parts.push(`${refused} refused by the upstream (read them with punchline deadletters list, fix the cause, then replay)`)
  if (unmapped > 0) parts.push(`${unmapped} for people the roster does not map yet (add roster entries; they go out by themselves)`)
  if (other > 0) parts.push(`${other} of other kinds`)
  return { name: 'dead-letters', severity: 'warning', message: `${total} dead letter${total === 1 ? ' waits' : 's wait'}: ${parts.join('; ')}` }
}

/** Stays until `punchline restore` or `punchline alarms ack database-moved-aside` (store/moved-aside.ts). */
function databaseMovedAside (s: HealthSnapshot): Alarm | undefined {
  const m = s.movedAside
  if (m == null) return undefined
  const what = m.restore !== null
    ? `to bring back what the newest backup holds, stop the gateway and run ${m.restore}`
    : 'no backup existed to restore'
  return {
    name: 'database-moved-aside',
    severity: 'critical',
    message: `the database was damaged (${m.problem}) and moved aside to ${m.keptAs} at ${new Date(m.at).toISOString()}; the gateway runs on a new file that lacks what it held (devices resend what their rings still hold): ${what}; ` +
      'once dealt with, acknowledge it: punchline alarms ack database-moved-aside'
  }
}
