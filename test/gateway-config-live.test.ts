/**
 * The live side's settings (gateway/config.ts): http.maxEventStreams, http.eventQueueBytes and
 * history.sampleSeconds, their defaults, and errors that name the setting and the rule.
 */
import t from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { loadConfig } from '../gateway/config.js'

t.test('event stream and history settings: defaults, bounds, and the relation to http.maxConnections', async t => {
  const d = loadConfig()
  t.equal(d.http.maxEventStreams, 16)
  t.equal(d.http.eventHeartbeatSeconds, 15)
  t.equal(d.http.eventQueueBytes, 1024 * 1024)
  t.equal(d.history.sampleSeconds, 60)
  const file = join(t.testdir(), 'c.json')
  const load = (settings: unknown): ReturnType<typeof loadConfig> => {
    writeFileSync(file, JSON.stringify(settings))
    return loadConfig({ file })
  }
  t.match(load({ http: { maxEventStreams: 4, eventQueueBytes: 65536 }, history: { sampleSeconds: 5 } }), { http: { maxEventStreams: 4, eventQueueBytes: 65536 }, history: { sampleSeconds: 5 } })
  t.throws(() => load({ http: { maxEventStreams: 0 } }), /http\.maxEventStreams: must be a whole number between 1 and 1000/)
  t.throws(() => load({ http: { eventHeartbeatSeconds: 0 } }), /http\.eventHeartbeatSeconds: must be a whole number between 1 and 300/)
  t.equal(load({ http: { eventHeartbeatSeconds: 5 } }).http.eventHeartbeatSeconds, 5)
  t.throws(() => load({ http: { maxEventStreams: 64 } }), /http\.maxEventStreams: must be below http\.maxConnections/)
  t.equal(load({ http: { maxConnections: 8 } }).http.maxEventStreams, 7, 'the default follows a smaller connection cap: a file that sets only maxConnections is not refused')
  t.throws(() => load({ http: { eventQueueBytes: 100 } }), /http\.eventQueueBytes: must be a whole number between 4096 and 67108864/)
  t.throws(() => load({ history: { sampleSeconds: 0 } }), /history\.sampleSeconds: must be between 1 and 3600/)
  t.throws(() => load({ history: { sampleSecs: 5 } }), /history\.sampleSecs: unknown setting; settings here: sampleSeconds/)
})
