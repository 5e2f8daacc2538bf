/**
 * Writes docs/openapi.json, the document GET /api/v1/openapi.json serves, from the routes themselves: the
 * gateway's HTTP app built on an in-memory database with idle parts, never listening. Run with
 * `npm run docs:openapi`; test/gateway-api-v1-roles.test.ts fails, naming this command, when the checked-in
 * copy differs from what a running gateway serves. docs/openapi-cluster.json is a cluster console's
 * (`punchline console --cluster`), checked by test/cluster-console-api.test.ts.
 */
import { writeFileSync } from 'node:fs'
import { createHttpApp } from '../gateway/http/server.js'
import { V1_VIEWS } from '../gateway/http/v1/view-routes.js'
import { defaultConfig } from '../gateway/config.js'
import { openDatabase } from '../gateway/store/db.js'
import { DeviceStore } from '../gateway/store/device-store.js'
import type { Db } from '../gateway/store/db.js'
import type { GatewayConfig } from '../gateway/config.js'
import type { Live } from '../gateway/events/live-parts.js'
import { LiveEvents } from '../gateway/events/live-events.js'
import { LiveMetrics } from '../gateway/events/live-metrics.js'
import { EventStreams } from '../gateway/events/event-streams.js'
import { DeviceLive } from '../gateway/device-live.js'
import { HistorySampler } from '../gateway/history/history-sampler.js'
import { SiteMap } from '../gateway/rules/sites.js'
import { Registry } from 'prom-client'
import { silentLogger } from '../shared/log.js'
import { createClusterConsoleApp } from '../gateway/cluster/console/console-app.js'

export const OPENAPI_FILE = 'docs/openapi.json'
export const CLUSTER_OPENAPI_FILE = 'docs/openapi-cluster.json'

export async function openApiDocument (): Promise<unknown> {
  const db = openDatabase(':memory:')
  const config = defaultConfig()
  const app = await createHttpApp({
    ready: () => true,
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    // The same view paths as the running gateway (gateway/life/http.ts): a route exists only for a view given.
    views: Object.fromEntries(Object.keys(V1_VIEWS).map(name => [`/api/${name}`, () => null])),
    log: silentLogger(),
    token: 'openapi-document-only-never-served',
    db,
    now: Date.now,
    replayDeadLetters: () => 0,
    alarms: { listed: () => ({ evaluatedAt: null, items: [] }), find: () => [], acknowledge: () => [] },
    report: () => { throw new Error('the document only') },
    sites: config.sites,
    fleet: { live: idleLive(db, config), store: new DeviceStore(db), syncNow: () => {} },
    settings: config.http,
    refused: () => {}
  })
  try {
    return app.swagger()
  } finally {
    await app.close()
    db.close()
  }
}

/** A cluster console's document: its app over an in-memory database and a shared store never called. */
export async function clusterOpenApiDocument (): Promise<unknown> {
  const db = openDatabase(':memory:')
  const never = async (): Promise<never> => { throw new Error('the document only') }
  const app = await createClusterConsoleApp({
    settings: defaultConfig().http,
    db,
    cluster: { listNodes: never, listDeadLetters: never, replayDeadLetters: never, backlog: never, listDeviceStates: never },
    alarms: () => ({ listed: () => ({ evaluatedAt: null, items: [] }), find: () => [], acknowledge: () => [] }),
    token: 'openapi-document-only-never-served',
    log: silentLogger()
  })
  try {
    return app.swagger()
  } finally {
    await app.close()
    db.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  for (const [file, document] of [[OPENAPI_FILE, openApiDocument], [CLUSTER_OPENAPI_FILE, clusterOpenApiDocument]] as const) {
    writeFileSync(new URL(`../${file}`, import.meta.url), JSON.stringify(await document(), null, 2) + '\n')
    process.stdout.write(`${file} written\n`)
  }
}

/** The live parts as gateway/life/live.ts makes them, never started: the routes are built over them. */
function idleLive (db: Db, config: GatewayConfig): Live {
  const events = new LiveEvents(Date.now())
  const metrics = new LiveMetrics(new Registry())
  const devices = new DeviceLive(new DeviceStore(db), new SiteMap(config.sites), events)
  return {
    events,
    streams: new EventStreams(events, { maxStreams: config.http.maxEventStreams, queueBytes: config.http.eventQueueBytes, heartbeatSeconds: config.http.eventHeartbeatSeconds }, metrics),
    devices,
    history: new HistorySampler({ db, intervalMs: 60_000, backlog: () => 0, devicesOnline: () => 0, now: Date.now, log: silentLogger() }),
    committed: () => {}
  }
}
