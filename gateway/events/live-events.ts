/**
 * The gateway's live events: a small typed bus the parts publish to (a punch committed, a device online,
 * an alarm raised) and the server-sent event streams of /api/v1/events read from (event-streams.ts).
 *
 * Publishing sits on the ingest path, so it must cost nothing when nobody listens: `listening` is one
 * size check a publisher makes before it builds an event, and a publish with no subscriber keeps nothing
 * (only the id advances, so a stream resuming past it learns that it missed something). Subscribers are
 * called synchronously and only queue text (event-stream.ts), so a publish never waits on a client.
 */
import type { Role } from '../store/operator-store.js'

/** A punch stored by a commit (what /api/v1/punches returns for it, without location and make-up reason). */
export interface PunchEvent {
  /** the gateway's row id, as in /api/v1/punches */
  id: number
  device: string
  epoch: string
  seq: number
  ts: number
  /** the badge or PIN as read; left out for the viewer role */
  emp?: string
  /** the roster's employee, when mapped; left out for the viewer role */
  person?: string | null
  kind: string
  method: string
  flags: string[]
  received: number
}

export type DeviceChange = 'online' | 'offline' | 'status' | 'added' | 'removed' | 'secret'

export type AlarmState = 'raised' | 'changed' | 'cleared' | 'acked'

export interface AlarmEvent {
  state: AlarmState
  name: string
  severity: string
  message: string
  subject?: string
  /** who acknowledged it (state acked) */
  by?: string
}

export interface DeadLetterEvent {
  /** refused: the upstream refused them for good; unmapped: parked until a person is known */
  kind: 'refused' | 'unmapped'
  count: number
  /** the upstream's answer; left out for the viewer role (it may quote a badge) */
  error?: string
}

/**
 * Every event type and its data. `device` carries the item of GET /api/v1/devices (device-live.ts) with
 * the change that caused it; `makeup` and `review` are published by the make-up and review flows.
 */
export interface LiveEventMap {
  punch: PunchEvent
  device: Record<string, unknown> & { id: string, change: DeviceChange }
  alarm: AlarmEvent
  'dead-letter': DeadLetterEvent
  makeup: Record<string, unknown>
  review: Record<string, unknown>
}

export type LiveEventType = keyof LiveEventMap

export const LIVE_EVENT_TYPES: readonly LiveEventType[] = ['punch', 'device', 'alarm', 'dead-letter', 'makeup', 'review']

export interface LiveEvent<K extends LiveEventType = LiveEventType> {
  id: number
  type: K
  data: LiveEventMap[K]
}

/**
 * What a role may see of an event: the data as is, a copy without personal data, or nothing. The viewer
 * role reads the fleet, not people (docs/API.md, "Who may call what"): its punch events carry no badge and
 * no person, its dead-letter events no upstream answer, and make-up and review events (a person's request)
 * do not reach it at all.
 */
export function visibleTo (role: Role, e: LiveEvent): unknown {
  if (role !== 'viewer') return e.data
  switch (e.type) {
    case 'punch': {
      const { emp: _emp, person: _person, ...rest } = e.data as PunchEvent
      return rest
    }
    case 'dead-letter': {
      const { error: _error, ...rest } = e.data as DeadLetterEvent
      return rest
    }
    case 'makeup':
    case 'review':
      return undefined
    default:
      return e.data
  }
}

/** Events kept for a stream that reconnects with Last-Event-ID (EventSource does by itself). */
export const EVENT_REPLAY_MAX = 1000

export type Subscriber = (e: LiveEvent) => void

export class LiveEvents {
  /**
   * Names this process's run of ids: a stream id is `<boot>-<n>`, so a client resuming with an id from a
   * gateway that has restarted since (its ids begin again at 1) gets a gap, never someone else's events.
   */
  readonly boot: string
  readonly #subscribers = new Set<Subscriber>()
  /** the last EVENT_REPLAY_MAX events published while someone listened, oldest first */
  readonly #replay: LiveEvent[] = []
  #lastId = 0

  constructor (now: number = Date.now()) {
    this.boot = now.toString(36)
  }

  /** Whether anyone listens: a publisher checks this before it builds an event. */
  get listening (): boolean {
    return this.#subscribers.size > 0
  }

  /** The id a stream writes for an event. */
  streamId (e: LiveEvent): string {
    return `${this.boot}-${e.id}`
  }

  publish<K extends LiveEventType> (type: K, data: LiveEventMap[K]): void {
    const id = ++this.#lastId
    if (this.#subscribers.size === 0) return
    const e: LiveEvent<K> = { id, type, data }
    if (this.#replay.length >= EVENT_REPLAY_MAX) this.#replay.shift()
    this.#replay.push(e)
    for (const s of this.#subscribers) s(e)
  }

  subscribe (s: Subscriber): () => void {
    this.#subscribers.add(s)
    return () => { this.#subscribers.delete(s) }
  }

  /**
   * The events after the one a stream last received (its `<boot>-<n>` id), or 'gap' when some of them are no longer (or were never) kept: the stream
   * then tells its client to reload what it shows.
   */
  since (lastEventId: string): LiveEvent[] | 'gap' {
    const m = /^([0-9a-z]+)-(\d{1,15})$/.exec(lastEventId)
    if (m === null || m[1] !== this.boot) return 'gap'
    const lastId = Number(m[2])
    if (lastId >= this.#lastId) return lastId > this.#lastId ? 'gap' : []
    const after = this.#replay.filter(e => e.id > lastId)
    return after.length === this.#lastId - lastId ? after : 'gap'
  }
}
