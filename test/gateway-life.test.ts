/**
 * The gateway's life as ordered steps (gateway/gateway.ts LIFE, gateway/life/step.ts): a start that fails
 * half way stops the steps already started, so the same process can start a gateway on the directory
 * again and nothing listens for a gateway that is not there; an abort ends it as a crash would (pid
 * file kept), a stop cleanly (pid file removed), and either lets the next start in.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { pino } from 'pino'
import { defaultConfig, type GatewayConfig } from '../gateway/config.js'
import { Gateway } from '../gateway/gateway.js'
import { accepts, freePort } from './helpers/ports.js'

const log = pino({ level: 'silent' })

function config (dataDir: string, mqttPort = 0, httpPort = 0): GatewayConfig {
  const cfg = defaultConfig()
  cfg.dataDir = dataDir
  cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: mqttPort }
  cfg.http = { ...cfg.http, host: '127.0.0.1', port: httpPort }
  cfg.allowAnonymous = true
  return cfg
}

t.test('a start that fails half way (HTTP port taken) leaves nothing started: no MQTT listener, no lock, no pid file', async t => {
  const taken = createServer()
  await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => { taken.close() })
  const dir = t.testdir()
  const mqttPort = await freePort()
  const failed = new Gateway(config(dir, mqttPort, (taken.address() as AddressInfo).port), { log })
  await t.rejects(failed.start(), { code: 'EADDRINUSE' })
  t.notOk(await accepts(mqttPort), 'the MQTT port does not take connections for a gateway that failed to start')
  t.notOk(existsSync(join(dir, 'gateway.pid')), 'no pid file names a gateway that is not running')

  const next = new Gateway(config(dir), { log })
  t.teardown(async () => await next.stop())
  const { mqttPort: port } = await next.start()
  t.ok(await accepts(port), 'a gateway starts on the same data directory in the same process')
  await failed.stop()
  t.pass('stopping the failed gateway afterwards is harmless')
})

t.test('abort keeps the pid file as a crash would, stop removes it; either lets the next start in', async t => {
  const dir = t.testdir()
  const first = new Gateway(config(dir), { log })
  await first.start()
  await first.abort()
  t.ok(existsSync(join(dir, 'gateway.pid')), 'the pid file outlives an abort')
  const second = new Gateway(config(dir), { log })
  const { mqttPort } = await second.start()
  t.ok(await accepts(mqttPort), 'a gateway starts after the abort')
  await second.stop()
  t.notOk(existsSync(join(dir, 'gateway.pid')), 'a clean stop removes the pid file')
  t.notOk(await accepts(mqttPort), 'and closes its listener')
})

t.test('a running gateway takes its backup on a thread of its own: a whole, checked copy', async t => {
  const dir = t.testdir()
  const gw = new Gateway(config(dir), { log })
  await gw.start()
  t.teardown(async () => await gw.stop())
  const path = await gw.backup()
  t.match(path, /backups\/punchline-\d{8}T\d{9}Z\.db$/)
  t.ok(existsSync(path), 'the copy is in place under its final name')
  t.notOk(existsSync(path + '.partial'), 'no partial file is left')
})
