/**
 * The topic ACL: a client may publish only to its own `punches` and `status`, and subscribe only to its
 * own `acks` and `cmd` (docs/PROTOCOL.md, "MQTT"). Everything else is refused and counted.
 */
import type { Client, Subscription } from 'aedes'
import type { Topics, ParsedTopic } from '../../shared/topics.js'

export function ownTopic (topics: Topics, client: Client | null, topic: string): ParsedTopic | undefined {
  if (client === null) return undefined
  const parsed = topics.parse(topic)
  if (parsed === undefined || parsed.device !== client.id) return undefined
  return parsed
}

export function mayPublish (parsed: ParsedTopic | undefined): boolean {
  return parsed !== undefined && (parsed.channel === 'punches' || parsed.channel === 'status')
}

export function maySubscribe (topics: Topics, client: Client, sub: Subscription): boolean {
  const parsed = ownTopic(topics, client, sub.topic)
  return parsed !== undefined && (parsed.channel === 'acks' || parsed.channel === 'cmd')
}
