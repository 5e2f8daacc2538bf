/**
 * The bound on connections being set up: accepted (a TCP connection, or a TLS one once its handshake is
 * done) and not yet accepted by the broker (aedes registers the client, then writes its CONNACK). After a
 * site outage every device reconnects at once while the gateway's loop is busy with the backlogs of those
 * already in; without a bound each waiting connection holds a socket and an aedes client on both sides,
 * its CONNACK comes ever later, and a device that gives up after its connect timeout has cost the gateway
 * the connection for nothing, then comes back for another (docs/DESIGN-NOTES.md, "Admission: a bound on
 * connections being set up"). Past `mqtt.maxConnecting` a new connection is answered at once with CONNACK
 * "server unavailable" (3) and closed: the device backs off and tries again, as after any refusal
 * (docs/PROTOCOL.md, "MQTT"). Each refusal is counted by the caller.
 */
import type { ConnectionSocket } from './connection-socket.js'

/** [MQTT-3.2.2.3] CONNACK, session present 0, return code 3: server unavailable. */
export const SERVER_UNAVAILABLE_CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x03])

/** A refused connection is closed after this long if the device does not close it first. */
const REFUSED_LINGER_MS = 5000

const ignore = (): void => {}

export class ConnectingBound {
  readonly max: number
  #count = 0
  readonly #setUp = new WeakSet<object>()
  /** one listener shared by every connection ('close' calls it with the socket as `this`) */
  readonly #onClose: (this: ConnectionSocket) => void

  constructor (max: number) {
    this.max = max
    const bound = this
    this.#onClose = function (this: ConnectionSocket): void { bound.settled(this) }
  }

  /** Connections accepted whose CONNECT the broker has not accepted yet. */
  get count (): number {
    return this.#count
  }

  /**
   * A connection was accepted: true, and it counts until settled() (its CONNECT accepted) or it closes;
   * false past the bound, the connection then answered with CONNACK 3 and closed.
   */
  enter (socket: ConnectionSocket): boolean {
    if (this.#count >= this.max) {
      refuse(socket)
      return false
    }
    this.#count++
    this.#setUp.add(socket)
    socket.once('close', this.#onClose)
    return true
  }

  /** The connection is set up (or gone): it no longer counts. Harmless for one that does not count. */
  settled (socket: object): void {
    if (!this.#setUp.delete(socket)) return
    this.#count--
    ;(socket as ConnectionSocket).off('close', this.#onClose)
  }
}

/**
 * Answers with CONNACK 3 and closes. What the device sends meanwhile (its CONNECT) is read and dropped:
 * a socket closed with unread bytes would reset the connection, and the device might then never read the
 * CONNACK. The device closes once it has it; one that does not is cut after REFUSED_LINGER_MS.
 */
function refuse (socket: ConnectionSocket): void {
  socket.on('error', ignore)
  socket.resume()
  socket.end(SERVER_UNAVAILABLE_CONNACK)
  const tcp = socket as Partial<{ setTimeout: (ms: number, cb: () => void) => void }>
  if (typeof tcp.setTimeout === 'function') tcp.setTimeout(REFUSED_LINGER_MS, () => socket.destroy())
  else setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref()
}
