/**
 * Who may connect. docs/PROTOCOL.md ("MQTT"): clientId = username = device id; a connection whose
 * username differs from its client id is refused. With --allow-anonymous (labs only) the client id alone
 * names the device.
 *
 * A secret is checked with scrypt (device-store.ts) unless it is the one verified earlier against the
 * hash still stored. Failed checks back off per device id and per remote address (login-backoff.ts): while
 * backed off a login is refused at once, without a check, unless its credential is remembered, so a
 * flood of guesses neither fills the libuv pool nor locks out a device that logged in before.
 */
import type { AuthenticateError, Client } from 'aedes'
import { isDeviceId } from '../../shared/punch.js'
import type { DeviceStore } from '../store/device-store.js'
import type { GatewayMetrics } from '../metrics.js'
import type { Logger } from '../../shared/log.js'
import { LoginBackoff, type BackoffLimits } from './login-backoff.js'
import { LogLimiter } from '../log-limiter.js'
import type { ConnectionSocket } from './connection-socket.js'

// aedes's AuthErrorCode is a const enum, which isolated compilation cannot import; these are MQTT 3.1.1's
// CONNACK return codes [MQTT-3.2.2.3].
const IDENTIFIER_REJECTED = 2
const SERVER_UNAVAILABLE = 3
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

/** Failed checks per device id: a device with a wrong secret retries every few seconds, an attacker faster. */
export const ID_BACKOFF: BackoffLimits = { freeFailures: 5, maxPending: 5, baseMs: 1000, capMs: 60_000, forgetMs: 15 * 60_000, maxKeys: 10_000 }
/**
 * Failed checks per remote address: looser, since a site's devices may share one address behind NAT.
 * Checks run on the libuv pool (4 threads by default): a few at once per address keep it busy, and more
 * would only queue there ahead of other addresses' devices (those refused retry, as after any refusal).
 */
export const ADDRESS_BACKOFF: BackoffLimits = { freeFailures: 20, maxPending: 8, baseMs: 1000, capMs: 60_000, forgetMs: 15 * 60_000, maxKeys: 10_000 }

/**
 * Secret checks running at once, over all ids and addresses. The backoffs above bound what one id or one
 * address may start; guesses spread over many addresses would still queue checks on the libuv pool
 * without end, and every device that has to be checked (after a restart none is remembered) would wait
 * behind them, past its connect timeout, so the checks done for it would be wasted too. Past this many a
 * login is refused at once with "server unavailable" (counted as `checks_busy`) and the device retries
 * after its backoff; a remembered credential never needs a check.
 */
export const MAX_CHECKS_IN_FLIGHT = 16

export interface AuthOptions {
  devices: DeviceStore
  allowAnonymous: boolean
  metrics: GatewayMetrics
  log: Logger
  now?: () => number
}

/** How much of an invalid client id goes into a log line: enough to recognise it. */
const LOGGED_ID_CHARS = 64

/**
 * An invalid client id as it may be logged: its first LOGGED_ID_CHARS characters, with everything but
 * printable ASCII (and the backslash, so an escape is never ambiguous) written as \u escapes: control,
 * bidi-format and surrogate characters cannot fill the log or forge what a person reads in it.
 */
export function clientIdForLog (id: string): string {
  const head = id.length > LOGGED_ID_CHARS ? id.slice(0, LOGGED_ID_CHARS) : id
  return head.replace(/[^\x20-\x5b\x5d-\x7e]/g, c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

function refuse (code: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError
}

export function createAuthenticate (opts: AuthOptions) {
  const { devices, allowAnonymous, metrics, log } = opts
  const now = opts.now ?? Date.now
  const byId = new LoginBackoff(ID_BACKOFF)
  const byAddress = new LoginBackoff(ADDRESS_BACKOFF)
  // A client can be refused as fast as it reconnects: one line per address (or id) and reason per window.
  const refusals = new LogLimiter({ log, suppressed: (kind) => metrics.logSuppressed.inc({ kind }) })
  let inFlight = 0
  metrics.gauge('punchline_auth_secret_checks_in_flight', `Device secrets being checked now (at most ${MAX_CHECKS_IN_FLIGHT}; past that a login is refused as checks_busy)`, () => inFlight)
  return function authenticate (
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void
  ): void {
    const id = client.id
    const deny = (code: number, reason: string, message: string): void => {
      metrics.refusedConnections.inc({ reason })
      // Before the id is known to be a device id it is whatever the client sent, up to mqtt.maxConnectBytes.
      const shown = clientIdForLog(id)
      const from = (client.conn as ConnectionSocket | undefined)?.remoteAddress
      refusals.write('warn', { kind: 'connect-refused', device: from ?? shown, detail: reason }, { client: shown, remote: from, reason }, 'connection refused: ' + message)
      done(refuse(code, message), false)
    }
    if (!isDeviceId(id)) return deny(IDENTIFIER_REJECTED, 'bad_client_id', 'client id is not a device id ([A-Za-z0-9_-]{1,64})')
    if (username !== undefined && username !== id) return deny(BAD_USERNAME_OR_PASSWORD, 'username_mismatch', 'username differs from client id')
    if (username === undefined || password === undefined) {
      if (!allowAnonymous) {
        if (username === undefined) return deny(NOT_AUTHORIZED, 'anonymous', 'no credentials and anonymous devices are not allowed')
        return deny(BAD_USERNAME_OR_PASSWORD, 'no_password', 'no password given')
      }
      // Anonymous devices are allowed, but not in the name of a device that has a secret: that would let
      // anyone publish as it by leaving the password out.
      if (devices.get(id)?.hasSecret === true) return deny(NOT_AUTHORIZED, 'secret_required', 'this device has a secret and must give it')
      return done(null, true)
    }
    // Anonymous mode: a password for an id without a secret proves nothing and costs no check.
    if (allowAnonymous && devices.get(id)?.hasSecret !== true) return done(null, true)
    const secret = password.toString('utf8')
    if (devices.matchesVerified(id, secret)) return done(null, true)

    // The simulator's in-process links have no address; they are limited by id only.
    const address = (client.conn as ConnectionSocket).remoteAddress
    const at = now()
    if (address !== undefined && byAddress.begin(address, at) > 0) return deny(NOT_AUTHORIZED, 'login_backoff', 'too many failed logins from this address; retry later')
    if (byId.begin(id, at) > 0) {
      if (address !== undefined) byAddress.cancel(address)
      return deny(NOT_AUTHORIZED, 'login_backoff', 'too many failed logins for this device; retry later')
    }
    if (inFlight >= MAX_CHECKS_IN_FLIGHT) {
      if (address !== undefined) byAddress.cancel(address)
      byId.cancel(id)
      return deny(SERVER_UNAVAILABLE, 'checks_busy', `${MAX_CHECKS_IN_FLIGHT} secret checks already running; retry later`)
    }
    inFlight++
    metrics.secretChecks.inc()
    const settle = (ok: boolean): void => {
      inFlight--
      const end = now()
      if (address !== undefined) byAddress.end(address, ok, end)
      byId.end(id, ok, end)
    }
    devices.verify(id, secret).then(ok => {
      settle(ok)
      if (ok) return done(null, true)
      deny(BAD_USERNAME_OR_PASSWORD, 'bad_credentials', 'unknown device or wrong secret')
    }, (err: Error) => {
      settle(false)
      log.error({ err, client: id }, 'credential check failed')
      deny(NOT_AUTHORIZED, 'auth_error', 'credential check failed')
    })
  }
}
