/**
 * A stop (SIGTERM, or the simulator's gateway-restart) that comes while the gateway is still starting:
 * the start goes no further than the step it is in, what it started is stopped, and when stop() resolves
 * nothing of that gateway listens or holds the data directory, so the next gateway starts on it
 * (gateway/life/step.ts, startSteps). Before, the stop ended the steps started so far, lock included,
 * and the start went on to open the broker, the forwarder and HTTP on a directory it no longer held.
 */
import t from 'tap'
import { pino } from 'pino'
import { defaultConfig, type GatewayConfig } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { accepts, freePort } from './helpers/ports.js'

const log = pino({ level: 'silent' })

function config (dataDir: string, mqttPort: number, httpPort: number): GatewayConfig {
  const cfg = defaultConfig()
  cfg.dataDir = dataDir
  cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: mqttPort }
  cfg.http = { ...cfg.http, host: '127.0.0.1', port: httpPort }
  cfg.allowAnonymous = true
  return cfg
}

for (const end of ['stop', 'abort'] as const) {
  t.test(`${end}() while start() is under way: the start ends there, nothing listens, the next gateway starts on the directory`, async t => {
    const dir = t.testdir()
    const mqttPort = await freePort()
    const httpPort = await freePort()
    const gw = new Gateway(config(dir, mqttPort, httpPort), { log })
    const starting = gw.start()
    const settled = starting.then(() => 'started', (err: Error) => err.message)
    await gw[end]()
    t.match(await settled, /stopped while starting/, 'the start says it was stopped')
    t.notOk(await accepts(mqttPort), 'no MQTT listener left behind')
    t.notOk(await accepts(httpPort), 'no HTTP listener left behind')

    const next = new Gateway(config(dir, 0, 0), { log })
    t.teardown(async () => await next.stop())
    const { mqttPort: port } = await next.start()
    t.ok(await accepts(port), 'the next gateway starts on the same data directory')
    await gw.stop()
    t.pass('stopping it again is harmless')
    await next.stop()
    const { mqttPort: again } = await gw.start()
    t.ok(await accepts(again), 'and the same object starts a new life after its stop')
    await gw.stop()
  })
}
