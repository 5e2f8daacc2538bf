/**
 * The HTTP port's bounds on real sockets, in a real gateway process: slow clients that never finish their
 * headers (slowloris) take at most http.maxConnections connections, are cut off after
 * http.headersTimeoutMs, and the port serves again afterwards; each refusal is counted.
 */
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './helpers/gateway-process.js'
import { until } from './helpers/wait.js'

const MAX_CONNECTIONS = 4

/** A client that sends its request line and then one header byte now and then, never the blank line. */
function slowClient (port: number): { socket: Socket, closed: Promise<void>, stop: () => void } {
  const socket = connect({ host: '127.0.0.1', port })
  socket.on('error', () => {})
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  socket.once('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '))
  const drip = setInterval(() => { if (socket.writable) socket.write('a') }, 200)
  closed.then(() => clearInterval(drip), () => {})
  return { socket, closed, stop: () => { clearInterval(drip); socket.destroy() } }
}

async function healthz (gw: GatewayProcess): Promise<number | string> {
  return await fetch(gw.httpUrl + '/healthz', { signal: AbortSignal.timeout(5000) }).then(r => r.status, (err: Error) => `failed: ${err.message}`)
}

t.test('slow clients fill at most maxConnections, are cut off after headersTimeoutMs, and are counted', async t => {
  const data = t.testdir()
  const config = writeGatewayConfig(data, { http: { maxConnections: MAX_CONNECTIONS, headersTimeoutMs: 1000, requestTimeoutMs: 2000 } })
  const gw = await startGatewayProcess({ dataDir: data, args: ['--config', config] })
  t.teardown(async () => await gw.stop())

  const slow = Array.from({ length: MAX_CONNECTIONS }, () => slowClient(gw.httpPort))
  t.teardown(() => slow.forEach(s => s.stop()))
  await until(() => slow.every(s => s.socket.readyState === 'open'), 'the slow clients to connect')
  // Give the server a moment to count them as open before the next one arrives.
  await new Promise(resolve => setTimeout(resolve, 200))
  t.match(await healthz(gw), /^failed/, 'one connection more than the cap is closed at once')

  // Generous: the bound is 1 s, checked every second; the machine is shared.
  const cutOff = await Promise.race([Promise.all(slow.map(async s => await s.closed)).then(() => true), new Promise(resolve => setTimeout(() => resolve(false), 10_000).unref())])
  t.ok(cutOff, 'every slow client is cut off well within 10 s')
  t.equal(await healthz(gw), 200, 'and the port serves again')

  const text = await (await fetch(gw.httpUrl + '/metrics')).text()
  t.match(text, /punchline_http_requests_refused_total\{reason="too_many_connections"\} [1-9]/)
  t.match(text, new RegExp(`punchline_http_requests_refused_total\\{reason="request_timeout"\\} ${MAX_CONNECTIONS}`))
})

t.test('the bounds are validated, naming the setting', async t => {
  const data = t.testdir()
  const config = writeGatewayConfig(data, { http: { maxConnections: 0 } })
  await t.rejects(startGatewayProcess({ dataDir: data, args: ['--config', config] }), /http\.maxConnections: must be a whole number between 1 and 10000/)
})
