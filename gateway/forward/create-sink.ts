/**
 * The sink for an upstream setting: the gateway names the upstream in its config, and gets back
 * something the forwarder drives without knowing which kind it is.
 *
 * Building a sink does no I/O and never throws on a bad setting that config.ts let through: a sink that
 * cannot reach its upstream answers 'config' or 'retry' from deliver(), so the gateway keeps taking punches
 * from devices while an operator fixes the upstream.
 */
import type { Logger } from '../../shared/log.js'
import { utcOffsetMinutes, type UpstreamConfig } from '../config.js'
import { ErpnextSink } from './erpnext-sink.js'
import { MqttSink } from './mqtt-sink.js'
import type { Sink } from './sink.js'
import { WebhookSink } from './webhook-sink.js'

export interface SinkDeps {
  gatewayId: string
  log: Logger
  now?: () => number
}

export function createSink (up: UpstreamConfig, deps: SinkDeps): Sink {
  switch (up.kind) {
    case 'erpnext':
      return new ErpnextSink({
        url: up.url,
        token: up.token,
        timeoutMs: up.timeoutMs,
        employeeField: up.employeeField,
        shiftTypes: up.shiftTypes,
        utcOffsetMinutes: up.utcOffset === '' ? undefined : utcOffsetMinutes(up.utcOffset),
        log: deps.log,
        now: deps.now
      })
    case 'mqtt':
      return new MqttSink({
        url: up.url,
        username: up.username,
        password: up.password,
        clientId: up.clientId === '' ? `punchline-${deps.gatewayId}` : up.clientId,
        topic: (up.topic === '' ? `punchline/${deps.gatewayId}` : up.topic).replace(/\/+$/, ''),
        caFile: up.caFile,
        timeoutMs: up.timeoutMs,
        log: deps.log
      })
    default:
      return new WebhookSink({ url: up.url, token: up.token, timeoutMs: up.timeoutMs, watermarkUrl: up.watermarkUrl, now: deps.now })
  }
}
