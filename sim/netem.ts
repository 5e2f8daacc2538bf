/**
 * A TCP proxy in front of the broker that the simulator can cut and restore: a site outage at the
 * transport seam, with real sockets on both sides. While cut, live connections are destroyed and new
 * ones are dropped at once (the device sees the network gone, not a hang).
 */
import { createServer, connect, type Server, type Socket } from 'node:net'

export class LinkProxy {
  readonly #target: { host: string, port: number }
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  #down = false
  port = 0
  cuts = 0

  constructor (target: { host: string, port: number }) {
    this.#target = target
    this.#server = createServer((client) => this.#accept(client))
  }

  get down (): boolean { return this.#down }

  async listen (port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => resolve())
    })
    const a = this.#server.address()
    this.port = typeof a === 'object' && a !== null ? a.port : port
    return this.port
  }

  cut (): void {
    if (this.#down) return
    this.#down = true
    this.cuts++
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
  }

  restore (): void {
    this.#down = false
  }

  async close (): Promise<void> {
    this.cut()
    await new Promise<void>(resolve => this.#server.close(() => resolve()))
  }

  #accept (client: Socket): void {
    if (this.#down) { client.destroy(); return }
    client.setNoDelay(true)
    const upstream = connect(this.#target.port, this.#target.host)
    upstream.setNoDelay(true)
    this.#sockets.add(client)
    this.#sockets.add(upstream)
    const teardown = (): void => {
      client.destroy()
      upstream.destroy()
      this.#sockets.delete(client)
      this.#sockets.delete(upstream)
    }
    client.on('error', teardown).on('close', teardown)
    upstream.on('error', teardown).on('close', teardown)
    client.pipe(upstream)
    upstream.pipe(client)
  }
}
