/**
 * Writes docs/openapi.json, the document GET /api/v1/openapi.json serves, from the routes themselves: the
 * gateway's HTTP app built on an in-memory database with idle parts, never listening. Run with
 * `npm run docs:openapi`; test/gateway-api-v1-roles.test.ts fails, naming this command, when the checked-in
 * copy differs from what a running gateway serves.
 */
import { writeFileSync } from 'node:fs'
import { createHttpApp } from '../gateway/http/server.js'
import { V1_VIEWS } from '../gateway/http/v1/view-routes.js'
import { defaultConfig } from '../gateway/config.js'
import { openDatabase } from '../gateway/store/db.js'
import { silentLogger } from '../shared/log.js'

export const OPENAPI_FILE = 'docs/openapi.json'

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

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  writeFileSync(new URL(`../${OPENAPI_FILE}`, import.meta.url), JSON.stringify(await openApiDocument(), null, 2) + '\n')
  process.stdout.write(`${OPENAPI_FILE} written\n`)
}
