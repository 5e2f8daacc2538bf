/**
 * The gateway the device under test talks to: the real Gateway class in this process on 127.0.0.1 with a
 * port of its own, a data dir in the run's temp dir, and a real HTTP upstream (WebhookUpstream) that counts
 * each punch id it accepts. The device is registered with a secret, as on a site, rather than let in
 * anonymously: the run then also shows that the device's credentials in its config work.
 */
import { join } from 'node:path'
import type { Logger } from '../../shared/log.js'
import { defaultConfig, upstreamFor } from '../../gateway/config.js'
import { Gateway } from '../../gateway/gateway.js'
import { DeviceStore } from '../../gateway/store/device-store.js'
import { WebhookUpstream } from '../../fakes/upstream/webhook-upstream.js'
import type { UpstreamPunch } from '../../shared/upstream.js'

export class EmbeddedGateway {
  readonly sink = new WebhookUpstream()
  readonly #gateway: Gateway
  #devices?: DeviceStore
  #started = false
  mqttUrl = ''

  constructor (dir: string, log: Logger) {
    const cfg = defaultConfig()
    cfg.gatewayId = 'sim-hardware-gateway'
    cfg.dataDir = join(dir, 'gateway')
    cfg.mqtt = { ...cfg.mqtt, host: '127.0.0.1', port: 0 }
    cfg.http = { ...cfg.http, host: '127.0.0.1', port: 0 }
    cfg.allowAnonymous = false
    // Delivered within a moment of the ack, so the player can wait on the upstream before an unplug.
    cfg.forward = { ...cfg.forward, lingerMs: 20, backoffBaseMs: 100, backoffCapMs: 1000 }
    cfg.backup = { ...cfg.backup, intervalHours: 0 }
    this.#gateway = new Gateway(cfg, { log })
  }

  /** Starts the upstream and the gateway, and registers the device; returns its secret. */
  async start (deviceId: string): Promise<string> {
    const url = await this.sink.start()
    this.#gateway.config.upstream = { ...upstreamFor(url), timeoutMs: 5000 }
    const { mqttPort } = await this.#gateway.start()
    this.#started = true
    this.mqttUrl = `mqtt://127.0.0.1:${mqttPort}`
    this.#devices = new DeviceStore(this.#gateway.db)
    return await this.#devices.add(deviceId)
  }

  /** Whether the device has connected (the broker records it on CONNECT). */
  connected (deviceId: string): boolean {
    return (this.#devices?.get(deviceId)?.lastSeen ?? null) !== null
  }

  /** What the upstream accepted from this device, and how many times each punch id came. */
  delivered (deviceId: string): Array<{ punch: UpstreamPunch, times: number }> {
    const out: Array<{ punch: UpstreamPunch, times: number }> = []
    for (const [id, punch] of this.sink.punches) if (punch.device === deviceId) out.push({ punch, times: this.sink.received.get(id) ?? 0 })
    return out
  }

  async stop (): Promise<void> {
    if (this.#started) await this.#gateway.stop()
    this.#started = false
    await this.sink.close()
  }
}
