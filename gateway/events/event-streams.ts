/**
 * The open /api/v1/events streams: at most `http.maxEventStreams` at once (each holds a connection and a
 * queue; past the cap a new one is refused and counted), each fed from the live event bus with what its
 * role may see, each sent a heartbeat comment every `http.eventHeartbeatSeconds` so proxies and the browser keep the
 * connection and a dead one is found, and each ended when its session or token no longer holds.
 */
import type { ServerResponse } from 'node:http'
import type { Role } from '../store/operator-store.js'
import { EventStream, eventText } from './event-stream.js'
import { visibleTo, type LiveEvent, type LiveEvents } from './live-events.js'
import type { LiveMetrics } from './live-metrics.js'

/** A comment line every this often by default; proxies commonly cut a response idle for 30-60 s. */
export const DEFAULT_HEARTBEAT_SECONDS = 15
/** How long EventSource waits before it reconnects (the stream's `retry:` field). */
export const RECONNECT_MS = 2000

export interface EventStreamLimits {
  /** streams open at once (http.maxEventStreams) */
  maxStreams: number
  /** bytes of events queued for one client whose socket takes no more (http.eventQueueBytes) */
  queueBytes: number
  /** seconds between heartbeat comments, which also end streams whose session no longer holds (http.eventHeartbeatSeconds) */
  heartbeatSeconds?: number
}

interface Open {
  stream: EventStream
  role: Role
  /** whether the caller's session or token still holds (checked at each heartbeat) */
  valid: () => boolean
}

export class EventStreams {
  readonly #bus: LiveEvents
  readonly #limits: EventStreamLimits
  readonly #metrics: LiveMetrics
  readonly #open = new Set<Open>()
  #unsubscribe?: () => void
  #heartbeat?: NodeJS.Timeout

  constructor (bus: LiveEvents, limits: EventStreamLimits, metrics: LiveMetrics) {
    this.#bus = bus
    this.#limits = limits
    this.#metrics = metrics
    metrics.streamsOpen(() => this.#open.size)
  }

  get full (): boolean {
    return this.#open.size >= this.#limits.maxStreams
  }

  /** A stream refused at the cap: counted. */
  refused (): void {
    this.#metrics.streamRefused('cap')
  }

  get size (): number {
    return this.#open.size
  }

  /**
   * Starts a stream on a response whose headers are not sent yet: the events after `lastEventId` first
   * (or a `reset` event when they are no longer kept), then every event as it is published.
   */
  open (res: ServerResponse, role: Role, valid: () => boolean, lastEventId: string | undefined): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // nginx buffers responses by default; an event stream must not be.
      'X-Accel-Buffering': 'no'
    })
    const o: Open = { stream: new EventStream(res, this.#limits.queueBytes, () => this.#metrics.streamDropped('slow')), role, valid }
    this.#open.add(o)
    res.on('close', () => this.#close(o))
    o.stream.send(`retry: ${RECONNECT_MS}\n: punchline live events\n\n`)
    if (lastEventId !== undefined) {
      const missed = this.#bus.since(lastEventId)
      if (missed === 'gap') o.stream.send(eventText(`${this.#bus.boot}-0`, 'reset', { reason: 'events since Last-Event-ID are no longer kept: reload what you show' }))
      else for (const e of missed) this.#deliver(o, e, {})
    }
    if (this.#unsubscribe === undefined) {
      this.#unsubscribe = this.#bus.subscribe(e => this.#publish(e))
      this.#heartbeat = setInterval(() => this.#beat(), (this.#limits.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS) * 1000).unref()
    }
  }

  /** Ends every stream (the gateway stops). */
  closeAll (): void {
    for (const o of [...this.#open]) o.stream.close()
  }

  #publish (e: LiveEvent): void {
    // Each text is made once per event, whatever the number of streams.
    const texts: Partial<Record<'full' | 'viewer', string | null>> = {}
    for (const o of this.#open) this.#deliver(o, e, texts)
  }

  #deliver (o: Open, e: LiveEvent, texts: Partial<Record<'full' | 'viewer', string | null>>): void {
    const variant = o.role === 'viewer' ? 'viewer' : 'full'
    let text = texts[variant]
    if (text === undefined) {
      const data = visibleTo(o.role, e)
      text = texts[variant] = data === undefined ? null : eventText(this.#bus.streamId(e), e.type, data)
    }
    if (text !== null) o.stream.send(text)
  }

  #beat (): void {
    for (const o of this.#open) {
      if (!o.valid()) o.stream.close()
      else o.stream.send(': heartbeat\n\n')
    }
  }

  #close (o: Open): void {
    if (!this.#open.delete(o)) return
    if (this.#open.size === 0) {
      this.#unsubscribe?.()
      this.#unsubscribe = undefined
      clearInterval(this.#heartbeat)
    }
  }
}
