/**
 * The embedded aedes broker with punchline's hooks, listening on a plain TCP port.
 * TCP_NODELAY is set on every connection: without it a publish-then-wait-for-ack loop stalls ~40 ms per
 * round trip on Nagle plus delayed ACK (FACTS.md).
 */
import { Aedes, type AedesOptions, type Client, type PublishPacket, type Subscription } from 'aedes'
import { createServer, type Server, type Socket } from 'node:net'
import { GuardedConnection } from './guarded-connection.js'

export interface BrokerHandle {
  broker: Aedes
  server: Server
  port: number
  close: () => Promise<void>
}

export interface BrokerOptions {
  host: string
  port: number
  maxPacketBytes: number
  hooks: Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'published'>
  onOversize: (message: string, socket: Socket) => void
}

export async function startBroker (opts: BrokerOptions): Promise<BrokerHandle> {
  const broker = await Aedes.createBroker({
    ...opts.hooks,
    // PROTOCOL.md: device ids are up to 64 chars; aedes's default of 23 applies to MQTT 3.1 clients.
    maxClientsIdLength: 64,
    // A device that connects and says nothing is dropped rather than held.
    connectTimeout: 15_000
  })
  const server = createServer((socket) => {
    socket.setNoDelay(true)
    broker.handle(new GuardedConnection(socket, opts.maxPacketBytes, (m) => opts.onOversize(m, socket)))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : opts.port
  return {
    broker,
    server,
    port,
    close: async () => {
      await new Promise<void>(resolve => server.close(() => resolve()))
      await new Promise<void>(resolve => broker.close(() => resolve()))
    }
  }
}

export type { Client, PublishPacket, Subscription }
