/**
 * MQTT topics of the contract: `{prefix}/{device}/{channel}`.
 * The prefix is configurable (default `att/v1`) and may itself contain slashes.
 */
import { isDeviceId } from './punch.js'

export const DEFAULT_TOPIC_PREFIX = 'att/v1'

export const CHANNELS = ['punches', 'acks', 'status', 'cmd'] as const
export type Channel = typeof CHANNELS[number]

export interface ParsedTopic {
  device: string
  channel: Channel
}

export class Topics {
  readonly prefix: string
  readonly #head: string

  constructor (prefix: string = DEFAULT_TOPIC_PREFIX) {
    if (prefix.length === 0 || prefix.startsWith('/') || prefix.endsWith('/') || /[+#]/.test(prefix)) {
      throw new Error(`topic prefix: must be non-empty, without wildcards or leading/trailing '/' (got '${prefix}')`)
    }
    this.prefix = prefix
    this.#head = prefix + '/'
  }

  of (device: string, channel: Channel): string {
    return this.#head + device + '/' + channel
  }

  /** Splits a topic of this prefix into device and channel; undefined for anything else. */
  parse (topic: string): ParsedTopic | undefined {
    if (!topic.startsWith(this.#head)) return undefined
    const rest = topic.slice(this.#head.length)
    const slash = rest.indexOf('/')
    if (slash <= 0) return undefined
    const device = rest.slice(0, slash)
    const channel = rest.slice(slash + 1) as Channel
    if (!isDeviceId(device) || !CHANNELS.includes(channel)) return undefined
    return { device, channel }
  }
}
