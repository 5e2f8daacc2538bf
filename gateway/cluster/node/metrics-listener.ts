/**
 * A node's only HTTP: GET /metrics (its Prometheus registry: ingest's counters, the same names as the
 * single box's, and the delivery loop's) and GET /healthz, on `http.host`:`http.port`. The API and console
 * stay on a single box for now (docs/OPERATIONS.md, "Topologies").
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export async function listenForMetrics (registry: Registry, host: string, port: number): Promise<{ server: Server, port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET') { res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n'); return }
    if (path === '/healthz') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n'); return }
    if (path !== '/metrics') { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return }
    registry.metrics().then(
      body => { res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(body) },
      (err: Error) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`) })
  })
  // Slow or idle clients must not hold connections for ever.
  server.requestTimeout = 30_000
  server.headersTimeout = 10_000
  server.maxConnections = 16
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  return { server, port: (server.address() as AddressInfo).port }
}
