/**
 * A TCP proxy in front of the broker that the simulator can cut and restore: a site outage at the
 * transport seam, with real sockets on both sides. While cut, live connections are destroyed and new
 * ones are dropped at once (the device sees the network gone, not a hang). It can also add latency with
 * jitter to every chunk, in order (a congested uplink, a satellite link).
 */
import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A site's network between its devices and the gateway, as faults see it: up or cut, and its latency.
 * The connections it carries are its kind's (TCP here, in-process streams in fakes/link/memory-link.ts).
 */
export abstract class SiteLink {
  #down = false
  #latencyMs = 0
  #jitterMs = 0
  /** how many times it was cut */
  cuts = 0

  get down (): boolean { return this.#down }

  /** Drops every live connection, and refuses new ones until restore(). */
  cut (): void {
    if (this.#down) return
    this.#down = true
    this.cuts++
    this.dropAll()
  }

  restore (): void {
    this.#down = false
  }

  /** Delays every chunk each way by `ms` ± `jitterMs` (real ms), keeping their order; 0 turns it off. */
  latency (ms: number, jitterMs = 0): void {
    this.#latencyMs = Math.max(0, ms)
    this.#jitterMs = Math.max(0, jitterMs)
  }

  /** The delay for the next chunk (real ms): 0 without latency. */
  delay (): number {
    if (this.#latencyMs === 0) return 0
    return Math.max(0, this.#latencyMs + (this.#jitterMs === 0 ? 0 : (Math.random() * 2 - 1) * this.#jitterMs))
  }

  abstract close (): Promise<void>
  protected abstract dropAll (): void
}

export class LinkProxy extends SiteLink {
  readonly #target: { host: string, port: number }
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  port = 0

  constructor (target: { host: string, port: number }) {
    super()
    this.#target = target
    this.#server = createServer((client) => this.#accept(client))
  }

  async listen (port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => resolve())
    })
    const a = this.#server.address()
    this.port = typeof a === 'object' && a !== null ? a.port : port
    return this.port
  }

  protected dropAll (): void {
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
  }

  async close (): Promise<void> {
    this.cut()
    await new Promise<void>(resolve => this.#server.close(() => resolve()))
  }

  #accept (client: Socket): void {
    if (this.down) { client.destroy(); return }
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
    this.#forward(client, upstream)
    this.#forward(upstream, client)
  }

  /** Copies `from` to `to`, through the latency when there is one (order kept: a chunk never overtakes). */
  #forward (from: Socket, to: Socket): void {
    let lastDue = 0
    from.on('data', (chunk: Buffer) => {
      const delay = this.delay()
      if (delay === 0 && lastDue <= Date.now()) { to.write(chunk); return }
      const due = Math.max(lastDue, Date.now() + delay)
      lastDue = due
      setTimeout(() => { if (!to.destroyed) to.write(chunk) }, due - Date.now())
    })
  }
}
