/**
 * The live events' counters and gauge, on the gateway's registry: streams open, refused past the cap,
 * dropped for not reading, and events left out before they reached any stream.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

export type StreamRefusal = 'cap'
export type StreamDrop = 'slow'

export class LiveMetrics {
  readonly #registry: Registry
  readonly #refused: Counter<'reason'>
  readonly #dropped: Counter<'reason'>
  readonly #eventsDropped: Counter<'type' | 'reason'>

  constructor (registry: Registry) {
    this.#registry = registry
    this.#refused = new Counter({ name: 'punchline_event_streams_refused_total', help: 'GET /api/v1/events refused, by reason (cap: http.maxEventStreams streams were open)', labelNames: ['reason'], registers: [registry] })
    this.#dropped = new Counter({ name: 'punchline_event_streams_dropped_total', help: 'Event streams ended by the gateway, by reason (slow: the client let more than http.eventQueueBytes of events queue up)', labelNames: ['reason'], registers: [registry] })
    this.#eventsDropped = new Counter({ name: 'punchline_live_events_dropped_total', help: 'Live events not published, by type and reason (lookup-backlog: more committed punches waiting to be read back than PUNCH_LOOKUP_MAX; read-failed: the database could not be read)', labelNames: ['type', 'reason'], registers: [registry] })
    this.#refused.inc({ reason: 'cap' }, 0)
    this.#dropped.inc({ reason: 'slow' }, 0)
  }

  streamsOpen (read: () => number): void {
    // eslint-disable-next-line no-new
    new Gauge({ name: 'punchline_event_streams_open', help: 'Event streams (GET /api/v1/events) open now', registers: [this.#registry], collect () { this.set(read()) } })
  }

  streamRefused (reason: StreamRefusal): void { this.#refused.inc({ reason }) }
  streamDropped (reason: StreamDrop): void { this.#dropped.inc({ reason }) }
  eventsDropped (type: string, reason: string, n: number): void { this.#eventsDropped.inc({ type, reason }, n) }
}
