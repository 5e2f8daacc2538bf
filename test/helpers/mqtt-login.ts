/**
 * One MQTT login from a chosen loopback address (127.0.0.0/8 all reach a listener on 127.0.0.1 on
 * Linux), so a test can play several remote addresses against one gateway.
 */
import { connect as netConnect } from 'node:net'
import { MqttClient, type IClientOptions } from 'mqtt'

export type LoginResult = { ok: true, client: MqttClient } | { ok: false, code: number | undefined, message: string }

export async function login (port: number, from: string, o: IClientOptions): Promise<LoginResult> {
  const client = new MqttClient(() => netConnect({ port, host: '127.0.0.1', localAddress: from }), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...o
  })
  return await new Promise<LoginResult>(resolve => {
    client.once('connect', () => resolve({ ok: true, client }))
    client.once('error', (err: Error & { code?: number }) => {
      client.end(true)
      resolve({ ok: false, code: typeof err.code === 'number' ? err.code : undefined, message: err.message })
    })
    client.once('close', () => resolve({ ok: false, code: undefined, message: 'closed' }))
  })
}
