/** The steps that set the made parts running: forwarding, housekeeping, the timers, and ready. */
import type { X509Certificate } from 'node:crypto'
import type { Logger } from '../../shared/log.js'
import { secretsInClearText } from '../broker/transport-security.js'
import { describeCertificate } from '../broker/tls-material.js'
import { flushActivity } from './parts.js'
import { part, type GatewayAddresses } from './context.js'
import type { LifeStep } from './step.js'

/** how often last-seen times and statuses are written (device-store.ts) */
const ACTIVITY_FLUSH_MS = 1000

export const forwarding: LifeStep = {
  name: 'forwarding',
  start (life) {
    life.forwarder?.start()
  },
  async stop (life, { drain }) {
    // Requests in flight get their grace (forwarder.ts), or are cut off as by a crash.
    if (drain) await life.forwarder?.stop()
    else await life.forwarder?.abort()
  }
}

export const housekeeping: LifeStep = {
  name: 'housekeeping',
  start (life) {
    part(life, 'housekeeping').start()
  },
  async stop (life) {
    await life.housekeeping?.stop()
  }
}

/** Everything else that runs on a timer. */
export const timers: LifeStep = {
  name: 'timers',
  start (life) {
    // Last-seen times and statuses go to disk together once a second (device-store.ts says why).
    life.activityTimer = setInterval(() => flushActivity(life), ACTIVITY_FLUSH_MS).unref()
    life.rosterWatch?.start()
    life.watermarkFeed?.start()
    life.reviewFeed?.start()
    const hours = life.config.backup.intervalHours
    if (hours > 0) {
      life.backupTimer = setInterval(() => {
        life.backup().catch((err: Error) => life.log.error({ err }, 'scheduled backup failed; the previous backups are kept'))
      }, hours * 3_600_000).unref()
    }
    life.health?.start()
  },
  stop (life) {
    clearInterval(life.backupTimer)
    clearInterval(life.activityTimer)
    life.rosterWatch?.stop()
    life.watermarkFeed?.stop()
    life.reviewFeed?.stop()
    life.health?.stop()
  }
}

/** Ready: /ready answers 200, in-process connections are taken, and the log says where the gateway listens. */
export const ready: LifeStep = {
  name: 'ready',
  start (life) {
    const { config, log } = life
    const broker = part(life, 'broker')
    life.ready = true
    const tls = broker.tls
    if (tls !== undefined) reportCertificate(log, life.now(), tls.certificate, 'TLS listener serving certificate')
    const addresses: GatewayAddresses = life.addresses = {
      mqttPort: broker.port,
      ...(tls === undefined ? {} : { mqttsPort: tls.port }),
      httpHost: config.http.host,
      httpPort: part(life, 'httpPort'),
      ...(life.adms === undefined ? {} : { admsPort: life.adms.port })
    }
    // The ready line names only the listeners that are open.
    const { mqttPort, ...others } = addresses
    log.info({ ...(config.mqtt.plain ? { mqttPort, acceptsPerTurn: broker.acceptsPerTurn } : {}), ...others, data: config.dataDir, upstream: config.upstream?.url, allowAnonymous: config.allowAnonymous, gateway: config.gatewayId }, 'gateway ready')
    if (secretsInClearText(config)) {
      log.warn({ mqttPort, mqttsPort: tls?.port },
        'device secrets travel in clear text: the plain MQTT listener is open and devices log in with their secrets. Move devices to mqtts and set mqtt.plain false (punchline gateway --init makes a CA and a certificate)')
    }
    if (config.allowAnonymous) log.warn('anonymous devices allowed (--allow-anonymous): any client id may connect; use only in a lab')
  },
  stop (life) {
    life.ready = false
  }
}

/** Logs the certificate served, and warns before it expires (renewals are reloaded on SIGHUP). */
export function reportCertificate (log: Logger, now: number, certificate: X509Certificate, msg: string): void {
  const info = describeCertificate(certificate, now)
  log.info(info, msg)
  if (info.daysLeft < 0) {
    log.error(info, 'TLS certificate has expired: devices refuse it; renew it and send SIGHUP')
  } else if (info.daysLeft < 30) {
    log.warn(info, 'TLS certificate expires within 30 days: renew it and send SIGHUP')
  }
}
