/**
 * Which doors a config opens and whether device secrets cross the network readable by anyone on it: a
 * device logs in with its secret in the MQTT CONNECT packet, so on the plain listener the secret travels
 * in clear text. Judged from the config alone, so the start log and `punchline report` say the same.
 */
import { tlsEnabled, type GatewayConfig } from '../config.js'

type Cfg = Pick<GatewayConfig, 'mqtt' | 'http' | 'allowAnonymous'>

export interface TransportSecurity {
  /** the plain listener is open and devices log in on it with their secrets */
  secretsInClearText: boolean
  /** 'host:port' of each listener, null when it is closed */
  mqtt: string | null
  mqtts: string | null
  http: string
  /** /api/* always needs the token; /metrics unless this is true */
  metricsPublic: boolean
  allowAnonymous: boolean
}

export function secretsInClearText (cfg: Pick<GatewayConfig, 'mqtt' | 'allowAnonymous'>): boolean {
  // With --allow-anonymous the gateway asks for no secret: a lab setting, warned about on its own.
  return cfg.mqtt.plain && !cfg.allowAnonymous
}

export function transportSecurity (cfg: Cfg): TransportSecurity {
  return {
    secretsInClearText: secretsInClearText(cfg),
    mqtt: cfg.mqtt.plain ? `${cfg.mqtt.host}:${cfg.mqtt.port}` : null,
    mqtts: tlsEnabled(cfg) ? `${cfg.mqtt.host}:${cfg.mqtt.tls.port}` : null,
    http: `${cfg.http.host}:${cfg.http.port}`,
    metricsPublic: cfg.http.metricsPublic,
    allowAnonymous: cfg.allowAnonymous
  }
}
