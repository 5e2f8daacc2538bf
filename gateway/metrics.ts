/**
 * Prometheus metrics of one gateway (its own registry, so several gateways can live in one process in
 * tests and the simulator). Every loss or refusal on the data path is a counter here.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { alarmGauges } from './alarm-gauges.js'

export class GatewayMetrics {
  readonly registry = new Registry()

  // Private methods are in place before any field initializer runs, so the fields below can use them.
  #counter<L extends string = never> (name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] })
  }

  #gauge<L extends string = never> (name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] })
  }

  readonly punches = this.#counter('punchline_punches_total',
    'Punches received on the punches topic, by result (stored, known = duplicate, rejected)', ['result'])

  readonly batches = this.#counter('punchline_batches_total',
    'Punch batches received, by result (ok, unreadable, commit_failed)', ['result'])

  readonly rejects = this.#counter('punchline_rejects_total',
    'Punches or payloads refused, by the field the rule is about', ['field'])

  readonly conflicts = this.#counter('punchline_conflicts_total',
    'Resent punches whose content differs from the stored copy, and later copies of a seq within one batch that differ from its first (the first copy wins)')

  readonly logSuppressed = this.#counter('punchline_log_suppressed_total',
    'Log lines a device caused and the log left out, by kind (one line per device, kind and field per minute; gateway/log-limiter.ts)', ['kind'])

  readonly payloadsTooLarge = this.#counter('punchline_payloads_too_large_total',
    'Payloads refused for their size before being read, by channel (punches, status)', ['channel'])

  readonly refusedConnections = this.#counter('punchline_connections_refused_total',
    'MQTT connections refused, by reason', ['reason'])

  readonly secretChecks = this.#counter('punchline_auth_secret_checks_total',
    'Device secrets checked with scrypt (a remembered credential needs none; an unknown id is checked against a hash no secret matches, at the same cost)')

  readonly httpRefused = this.#counter('punchline_http_requests_refused_total',
    'HTTP requests and connections refused, by reason (no_token, bad_token, too_many_connections, request_timeout, bad_request, invalid_request, forbidden, csrf, login_failed, login_throttled, makeup_over_limit, makeup_outside_window, makeup_beyond_max_window, makeup_future, too_many_rows, export_busy)', ['reason'])

  readonly deniedTopics = this.#counter('punchline_acl_denied_total',
    'Publishes and subscriptions refused by the topic ACL', ['action'])

  readonly commitRows = new Histogram({
    name: 'punchline_commit_rows',
    help: 'Rows per group-commit transaction',
    buckets: [1, 10, 100, 500, 1000, 5000, 20000],
    registers: [this.registry]
  })

  readonly commitThreadLost = this.#counter('punchline_commit_thread_lost_total',
    'Times the commit thread ended unasked; the batches it held were not acknowledged and the devices resend them')

  readonly checkpoints = this.#counter('punchline_wal_checkpoints_total',
    'WAL checkpoints the checkpointer thread ran, by result (complete: the whole WAL is in the database file; partial: a reader or a writer kept some frames back; busy: another checkpoint held the lock; failed: an error, tried again at the next one)', ['result'])

  readonly checkpointedFrames = this.#counter('punchline_wal_checkpointed_frames_total',
    'WAL frames (pages) the checkpointer thread copied into the database file')

  readonly checkpointerLost = this.#counter('punchline_checkpointer_lost_total',
    'Times the checkpointer thread ended unasked; another starts a second later, and meanwhile the commits checkpoint past a larger WAL')

  readonly forwarded = this.#counter('punchline_forwarded_punches_total',
    'Punches the upstream accepted')

  readonly reviewsForwarded = this.#counter('punchline_review_decisions_forwarded_total',
    'Decisions on flagged punches sent upstream, by outcome (delivered; refused: the upstream refused them for good, kept at the gateway)', ['outcome'])

  readonly deadLetters = this.#counter('punchline_dead_letters_total',
    'Punches moved to dead letters by the forwarder')

  readonly parked = this.#counter('punchline_parked_punches_total',
    'Punches parked to wait for a person to be known (roster hold, or an upstream that does not know the employee)')

  readonly forwardFailures = this.#counter('punchline_forward_failures_total',
    'Upstream attempts that did not deliver, by class (retry, split, config, park)', ['class'])

  // Batches, not punches: a refused payload is not decoded, the refusal comes first.
  readonly batchesRefused = this.#counter('punchline_batches_refused_total',
    'Punch batches refused without an acknowledgement (the device keeps them and resends), by reason (storage-full; queue-full: more rows waiting for commit than ingest.maxQueuedRows)', ['reason'])

  readonly purged = this.#counter('punchline_retention_purged_punches_total',
    'Delivered punches deleted by retention (retention.deliveredDays)')

  readonly #alarmGauges = alarmGauges(this.registry)
  readonly alarmsActive = this.#alarmGauges.alarmsActive
  readonly alarmsUnacknowledged = this.#alarmGauges.alarmsUnacknowledged
  readonly alarm = this.#alarmGauges.alarm

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
