/**
 * Who may connect. PROTOCOL.md: clientId = username = device id; a connection whose username differs
 * from its client id is refused. With --allow-anonymous (labs only) the client id alone names the device.
 */
import type { AuthenticateError, Client } from 'aedes'
import { isDeviceId } from '../../shared/punch.js'
import type { DeviceStore } from '../store/device-store.js'
import type { GatewayMetrics } from '../metrics.js'
import type { Logger } from '../../shared/log.js'

// aedes's AuthErrorCode is a const enum, which isolated compilation cannot import; these are MQTT 3.1.1's
// CONNACK return codes [MQTT-3.2.2.3].
const IDENTIFIER_REJECTED = 2
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

export interface AuthOptions {
  devices: DeviceStore
  allowAnonymous: boolean
  metrics: GatewayMetrics
  log: Logger
}

function refuse (code: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError
}

export function createAuthenticate (opts: AuthOptions) {
  const { devices, allowAnonymous, metrics, log } = opts
  return function authenticate (
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void
  ): void {
    const id = client.id
    const deny = (code: number, reason: string, message: string): void => {
      metrics.refusedConnections.inc({ reason })
      log.warn({ client: id, reason }, 'connection refused: ' + message)
      done(refuse(code, message), false)
    }
    if (!isDeviceId(id)) return deny(IDENTIFIER_REJECTED, 'bad_client_id', 'client id is not a device id ([A-Za-z0-9_-]{1,64})')
    if (username !== undefined && username !== id) return deny(BAD_USERNAME_OR_PASSWORD, 'username_mismatch', 'username differs from client id')
    if (username === undefined) {
      if (allowAnonymous) return done(null, true)
      return deny(NOT_AUTHORIZED, 'anonymous', 'no credentials and anonymous devices are not allowed')
    }
    if (password === undefined) {
      if (allowAnonymous) return done(null, true)
      return deny(BAD_USERNAME_OR_PASSWORD, 'no_password', 'no password given')
    }
    devices.verify(id, password.toString('utf8')).then(ok => {
      if (ok) return done(null, true)
      if (allowAnonymous && devices.get(id)?.hasSecret !== true) return done(null, true)
      deny(BAD_USERNAME_OR_PASSWORD, 'bad_credentials', 'unknown device or wrong secret')
    }, (err: Error) => {
      log.error({ err, client: id }, 'credential check failed')
      deny(NOT_AUTHORIZED, 'auth_error', 'credential check failed')
    })
  }
}
