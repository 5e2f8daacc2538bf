/**
 * A site link inside the process: the twin of LinkProxy (netem.ts) for fleets too large for a TCP
 * connection per device (fakes/link/memory-wire.ts says why). Devices open connections on it, which the
 * link hands to the gateway's broker as it would accept a socket; a cut resets them all and refuses new
 * ones, and latency delays every chunk each way.
 */
import type { Duplex } from 'node:stream'
import { SiteLink } from './netem.js'
import { memoryWire, refusedWire, type WireEnd } from './memory-wire.js'

/** Where the link delivers its connections: the running gateway's acceptor, or undefined while it is down. */
export type Acceptor = () => ((socket: Duplex) => void) | undefined

export class MemoryLink extends SiteLink {
  readonly #accept: Acceptor
  readonly #ends = new Set<WireEnd>()

  constructor (accept: Acceptor) {
    super()
    this.#accept = accept
  }

  /** A new connection to the gateway: the device's end, refused (asynchronously) while down. */
  open (): WireEnd {
    const accept = this.#accept()
    if (this.down || accept === undefined) return refusedWire()
    const { client, server } = memoryWire(() => this.delay())
    this.#ends.add(client)
    client.once('close', () => this.#ends.delete(client))
    accept(server)
    return client
  }

  protected dropAll (): void {
    for (const end of this.#ends) end.destroy()
    this.#ends.clear()
  }

  async close (): Promise<void> {
    this.cut()
  }
}
