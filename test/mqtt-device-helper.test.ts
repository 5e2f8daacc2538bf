/**
 * The tests' MQTT device (test/helpers/mqtt-device.ts) must settle when a broker closes a connection
 * before its CONNACK (a broker reloading, a connect timeout): MQTT.js's connectAsync, with retries
 * allowed, waits for a reconnect that reconnectPeriod 0 never makes, and a test awaiting it hangs until
 * tap's timeout (seen in cluster-broker-auth-nats while NATS reloaded its authorization).
 */
import t from 'tap'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { once } from 'node:events'
import { connectDevice } from './helpers/mqtt-device.js'
import { refusal } from './helpers/cluster-registry.js'

t.test('a connection closed before its CONNACK rejects, and counts as no login', async t => {
  const sockets = new Set<Socket>()
  const server = createServer(socket => {
    sockets.add(socket)
    // reads the CONNECT, answers nothing, closes
    socket.once('data', () => socket.destroy())
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close() })
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
  await t.rejects(connectDevice(url, 'D-1', { secret: 's' }), /Couldn't connect to server/)
  t.equal(await refusal(url, 'D-1', 's'), -1, 'refusal() says "no CONNACK" rather than hanging')
})
