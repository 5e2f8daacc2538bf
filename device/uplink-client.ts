/**
 * The part of an MQTT client the uplink uses: its transport seam. MQTT.js's MqttClient satisfies it as it is
 * (the device's default); the simulator plugs in a lighter client built on MQTT.js's own codec
 * (docs/ARCHITECTURE.md, decision 9), so 10,000 simulated devices run the device's real uplink logic in one
 * process.
 *
 * What an implementation must do, as MQTT.js does with the options the uplink passes (reconnect off):
 * - 'connect' after a CONNACK accepting the session; a refusal emits 'error', then 'close'.
 * - 'close' exactly once per client, however it ends (refusal, socket loss, keepalive timeout, end()).
 * - callbacks of publishes and subscribes still waiting when the connection ends are called with an error,
 *   so nothing waits forever on a dead link.
 * - `end()` after 'close' is harmless and still calls its callback.
 */
import type { IClientOptions } from 'mqtt'

export type UplinkQoS = 0 | 1

export interface UplinkGrant {
  topic: string
  /** 128 is the broker's refusal [MQTT-3.9.3] */
  qos: number
}

export interface UplinkClient {
  readonly connected: boolean
  /**
   * The socket (net or TLS) once it exists; the uplink sets TCP_NODELAY on it, or each publish-then-ack round
   * trip stalls ~40 ms (docs/DESIGN-NOTES.md, "TCP_NODELAY: the 40 ms Nagle and delayed-ACK stall").
   */
  readonly stream: object
  on (event: 'connect' | 'close', listener: () => void): this
  on (event: 'message', listener: (topic: string, payload: Buffer) => void): this
  on (event: 'error', listener: (err: Error) => void): this
  removeAllListeners (event?: 'connect' | 'close' | 'message' | 'error'): this
  subscribe (topics: string[], opts: { qos: UplinkQoS }, callback: (err: Error | null, granted?: UplinkGrant[]) => void): this
  publish (topic: string, payload: string | Buffer, opts: { qos: UplinkQoS, retain?: boolean }, callback?: (err?: Error) => void): this
  /** `force` drops the socket at once; otherwise waits for publishes awaiting their PUBACK, then DISCONNECT. */
  end (force?: boolean, opts?: object, callback?: () => void): this
}

/** How the uplink opens a connection: `mqtt.connect` by default. */
export type UplinkConnect = (url: string, opts: IClientOptions) => UplinkClient
