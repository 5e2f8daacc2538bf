/** The live side of a running gateway, as gateway/life/live.ts makes it and the HTTP API reads it. */
import type { LiveEvents } from './live-events.js'
import type { EventStreams } from './event-streams.js'
import type { DeviceLive } from '../device-live.js'
import type { HistorySampler } from '../history/history-sampler.js'

export interface Live {
  events: LiveEvents
  streams: EventStreams
  devices: DeviceLive
  history: HistorySampler
  /** the ingest path's one call after a commit: which seqs of a device's epoch were stored now */
  committed: (device: string, epoch: string, seqs: number[]) => void
}
