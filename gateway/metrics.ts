/**
 * Prometheus metrics of one gateway (its own registry, so several gateways can live in one process in
 * tests and the simulator). Every loss or refusal on the data path is a counter here.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export class GatewayMetrics {
  readonly registry = new Registry()

  readonly punches = new Counter({
    name: 'punchline_punches_total',
    help: 'Punches received on the punches topic, by result (stored, known = duplicate, rejected)',
    labelNames: ['result'] as const,
    registers: [this.registry]
  })

  readonly batches = new Counter({
    name: 'punchline_batches_total',
    help: 'Punch batches received, by result (ok, unreadable, commit_failed)',
    labelNames: ['result'] as const,
    registers: [this.registry]
  })

  readonly rejects = new Counter({
    name: 'punchline_rejects_total',
    help: 'Punches or payloads refused, by the field the rule is about',
    labelNames: ['field'] as const,
    registers: [this.registry]
  })

  readonly conflicts = new Counter({
    name: 'punchline_conflicts_total',
    help: 'Resent punches whose content differs from the stored copy, and later copies of a seq within one batch that differ from its first (the first copy wins)',
    registers: [this.registry]
  })

  readonly logSuppressed = new Counter({
    name: 'punchline_log_suppressed_total',
    help: 'Log lines a device caused and the log left out, by kind (one line per device, kind and field per minute; gateway/log-limiter.ts)',
    labelNames: ['kind'] as const,
    registers: [this.registry]
  })

  readonly payloadsTooLarge = new Counter({
    name: 'punchline_payloads_too_large_total',
    help: 'Payloads refused for their size before being read, by channel (punches, status)',
    labelNames: ['channel'] as const,
    registers: [this.registry]
  })

  readonly refusedConnections = new Counter({
    name: 'punchline_connections_refused_total',
    help: 'MQTT connections refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry]
  })

  readonly secretChecks = new Counter({
    name: 'punchline_auth_secret_checks_total',
    help: 'Device secrets checked with scrypt (a remembered credential needs none; an unknown id is checked against a hash no secret matches, at the same cost)',
    registers: [this.registry]
  })

  readonly httpRefused = new Counter({
    name: 'punchline_http_requests_refused_total',
    help: 'HTTP requests and connections refused, by reason (no_token, bad_token, too_many_connections, request_timeout, bad_request)',
    labelNames: ['reason'] as const,
    registers: [this.registry]
  })

  readonly deniedTopics = new Counter({
    name: 'punchline_acl_denied_total',
    help: 'Publishes and subscriptions refused by the topic ACL',
    labelNames: ['action'] as const,
    registers: [this.registry]
  })

  readonly commitRows = new Histogram({
    name: 'punchline_commit_rows',
    help: 'Rows per group-commit transaction',
    buckets: [1, 10, 100, 500, 1000, 5000, 20000],
    registers: [this.registry]
  })

  readonly forwarded = new Counter({
    name: 'punchline_forwarded_punches_total',
    help: 'Punches the upstream accepted',
    registers: [this.registry]
  })

  readonly deadLetters = new Counter({
    name: 'punchline_dead_letters_total',
    help: 'Punches moved to dead letters by the forwarder',
    registers: [this.registry]
  })

  readonly parked = new Counter({
    name: 'punchline_parked_punches_total',
    help: 'Punches parked to wait for a person to be known (roster hold, or an upstream that does not know the employee)',
    registers: [this.registry]
  })

  readonly forwardFailures = new Counter({
    name: 'punchline_forward_failures_total',
    help: 'Upstream attempts that did not deliver, by class (retry, split, config, park)',
    labelNames: ['class'] as const,
    registers: [this.registry]
  })

  // Batches, not punches: a refused payload is not decoded, the refusal comes first.
  readonly batchesRefused = new Counter({
    name: 'punchline_batches_refused_total',
    help: 'Punch batches refused without an acknowledgement (the device keeps them and resends), by reason (storage-full)',
    labelNames: ['reason'] as const,
    registers: [this.registry]
  })

  readonly purged = new Counter({
    name: 'punchline_retention_purged_punches_total',
    help: 'Delivered punches deleted by retention (retention.deliveredDays)',
    registers: [this.registry]
  })

  readonly alarmsActive = new Gauge({
    name: 'punchline_alarms_active',
    help: 'Alarms active now, by severity (warning, critical); see /api/alarms',
    labelNames: ['severity'] as const,
    registers: [this.registry]
  })

  readonly alarm = new Gauge({
    name: 'punchline_alarm',
    help: '1 while an alarm of this name and severity is active (for any device), else 0',
    labelNames: ['name', 'severity'] as const,
    registers: [this.registry]
  })

  constructor () {
    collectDefaultMetrics({ register: this.registry, prefix: 'punchline_process_' })
  }

  /** Registers a gauge whose value is read when scraped (queue depth, backlog age...). */
  gauge (name: string, help: string, read: () => number): void {
    // eslint-style note: prom-client calls collect() with the gauge as `this`.
    // eslint-disable-next-line no-new
    new Gauge({ name, help, registers: [this.registry], collect () { this.set(read()) } })
  }
}
