/**
 * The live side of the console: the event bus and its streams (events/), the devices' live state
 * (device-live.ts) and the history sampler (history/). Made after the upstream (its deliveries count) and
 * before ingest, the broker and HTTP, which feed and read it.
 */
import { LiveEvents } from '../events/live-events.js'
import { LiveMetrics } from '../events/live-metrics.js'
import { EventStreams } from '../events/event-streams.js'
import { PunchEvents } from '../events/punch-events.js'
import { DeviceLive } from '../device-live.js'
import { HistorySampler } from '../history/history-sampler.js'
import { part } from './context.js'
import type { LifeStep } from './step.js'

export const live: LifeStep = {
  name: 'live',
  start (life) {
    const { config, metrics, log, now } = life
    const db = part(life, 'db')
    const forwardStore = part(life, 'forwardStore')
    const events = new LiveEvents(now())
    const liveMetrics = new LiveMetrics(metrics.registry)
    const punches = new PunchEvents(db, events, liveMetrics)
    const devices = new DeviceLive(part(life, 'devices'), life.sites, events)
    const history = new HistorySampler({
      db,
      intervalMs: config.history.sampleSeconds * 1000,
      backlog: () => forwardStore.backlog().pendingPunches,
      devicesOnline: () => devices.onlineCount(),
      now,
      log: log.child({ part: 'history' })
    })
    const forwarder = life.forwarder
    forwarder?.on('delivered', (n) => history.delivered(n))
    forwarder?.on('dead-letter', (n, error) => { if (events.listening) events.publish('dead-letter', { kind: 'refused', count: n, error }) })
    forwarder?.on('parked', (n, reason) => { if (events.listening) events.publish('dead-letter', { kind: 'unmapped', count: n, error: reason }) })
    life.live = {
      events,
      streams: new EventStreams(events, { maxStreams: config.http.maxEventStreams, queueBytes: config.http.eventQueueBytes, heartbeatSeconds: config.http.eventHeartbeatSeconds }, liveMetrics),
      devices,
      history,
      committed: (device, epoch, seqs) => {
        history.received(seqs.length)
        punches.committed(device, epoch, seqs)
      }
    }
    history.start()
  },
  stop (life) {
    life.live?.history.stop()
    life.live?.streams.closeAll()
  }
}
