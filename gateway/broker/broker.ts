/**
 * The embedded aedes broker with punchline's hooks, listening on a plain TCP port and, when the operator
 * gives a certificate, on a TLS port too (or on that alone: mqtt.plain false). Both listeners feed the same
 * broker, so authentication, the ACL and ingest are the same whichever way a device comes in. TCP_NODELAY is
 * set on every connection: without it a publish-then-wait-for-ack loop stalls ~40 ms per round trip on Nagle
 * plus delayed ACK (docs/DESIGN-NOTES.md, "TCP_NODELAY: the 40 ms Nagle and delayed-ACK stall").
 */
import { Aedes, type AedesOptions, type Client, type PublishPacket, type Subscription } from 'aedes'
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import type { X509Certificate } from 'node:crypto'
import { guardConnection } from './guarded-connection.js'
import type { ConnectionSocket } from './connection-socket.js'
import { ConnectingBound } from './admission.js'
import { listenCopies } from './accept-copies.js'
import { ReadBudget } from './read-budget.js'
import { PartialBudget, type FrameMeter, type FrameProblem } from './packet-guard.js'
import { readTlsMaterial, secureContextOptions, type TlsFiles } from './tls-material.js'

// A device that connects and says nothing is dropped rather than held; the same bound for the TLS handshake.
const CONNECT_TIMEOUT_MS = 15_000

export interface TlsListener {
  server: TlsServer
  port: number
  /** the certificate new connections are served */
  certificate: X509Certificate
  /**
   * Reads the certificate and key files again and serves them to new connections; connections already
   * open keep their session. Throws (naming the file) and keeps the current certificate when the files
   * are unreadable or do not match.
   */
  reload: () => X509Certificate
}

export interface BrokerHandle {
  broker: Aedes
  /** the plain listener; absent when it is closed (mqtt.plain false) */
  server?: Server
  /** its port; 0 when it is closed */
  port: number
  tls?: TlsListener
  /**
   * Takes a connection that did not come through a listener (the simulator's in-process links), with the
   * same bounds and hooks as a TCP one.
   */
  accept: (socket: ConnectionSocket) => void
  /** connections accepted whose CONNECT is not accepted yet (at most `maxConnecting`) */
  connecting: () => number
  /** connections the plain listener accepts per turn of the event loop (accept-copies.ts) */
  acceptsPerTurn: number
  /** stops accepting new connections on every listener (open ones stay until close()) */
  stopListening: () => void
  close: () => Promise<void>
}

export interface BrokerOptions {
  host: string
  /** false: no plain listener (TLS only); default true */
  plain?: boolean
  port: number
  maxPacketBytes: number
  /** the largest packet a connection may send before its CONNECT is accepted */
  maxConnectBytes: number
  /** the bytes of unfinished packets of all connections together */
  maxPartialBytes: number
  /** connections accepted and not yet accepted by the broker, at most (admission.ts); past it CONNACK 3 at once */
  maxConnecting: number
  /** bytes read from connected devices per turn of the event loop, about (read-budget.ts) */
  readBytesPerTurn: number
  /** bytes read from connected devices and not yet done with, about (read-budget.ts) */
  maxReadBytesInFlight: number
  /** connections the plain listener may accept per turn of the event loop (accept-copies.ts); 1: Node's own */
  acceptsPerTurn: number
  /** the copies of the plain listener could not be made: it accepts one per turn */
  onCopiesFailed?: (err: Error) => void
  /** an mqtts listener on `tls.port` with the certificate and key in these PEM files */
  tls?: TlsFiles & { port: number }
  hooks: Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'published'>
  /** a connection closed for breaking a packet bound (packet-guard.ts) */
  onRefused: (problem: FrameProblem, socket: ConnectionSocket) => void
  /** a connection refused because `maxConnecting` connections were being set up already */
  onConnectingFull: (socket: ConnectionSocket) => void
  /** a TLS connection that failed before its handshake completed (plain MQTT, untrusted certificate, hang-up) */
  onTlsError?: (err: Error, socket: Socket) => void
}

export async function startBroker (opts: BrokerOptions): Promise<BrokerHandle> {
  // Read first: a wrong path stops the start before anything listens.
  const material = opts.tls === undefined ? undefined : readTlsMaterial(opts.tls)
  const broker = await Aedes.createBroker({
    ...opts.hooks,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // No cap on messages in flight inside the broker. With aedes's default (100) the rest wait in
    // mqemitter's queue, which is drained recursively: a message nobody subscribes to (every punch batch)
    // completes synchronously and takes the next, so a burst from 10,000 devices overflowed the stack and
    // crashed the gateway (bench/fleet-scale.ts --devices 10000 --fill after). What is in flight is
    // bounded anyway, by each connection's inbound window.
    concurrency: 0
  })
  const bounds = { maxPacketBytes: opts.maxPacketBytes, maxConnectBytes: opts.maxConnectBytes, budget: new PartialBudget(opts.maxPartialBytes) }
  // Connections whose CONNECT is not accepted yet; aedes emits 'client' once it is (after authenticate).
  const connecting = new WeakMap<object, FrameMeter>()
  const readBudget = new ReadBudget(opts.readBytesPerTurn, opts.maxReadBytesInFlight)
  const admission = new ConnectingBound(opts.maxConnecting)
  broker.on('client', (client: Client) => {
    connecting.get(client.conn)?.admit()
    connecting.delete(client.conn)
    admission.settled(client.conn)
  })
  const accept = (socket: ConnectionSocket): void => {
    // First, before aedes makes a client of it: a refused connection costs a write and a close.
    if (!admission.enter(socket)) return opts.onConnectingFull(socket)
    ;(socket as Partial<Socket>).setNoDelay?.(true)
    // aedes reads the socket itself, through the size bounds (guarded-connection.ts), set first.
    connecting.set(socket, guardConnection(socket, bounds, readBudget, (problem) => opts.onRefused(problem, socket)))
    broker.handle(socket)
  }
  // Registered up front: a server without connections may emit 'close' before close() is awaited.
  const ended = new Map<Server, Promise<void>>()
  const track = (s: Server): void => { ended.set(s, new Promise<void>(resolve => s.once('close', () => resolve()))) }
  const closeBroker = async (): Promise<void> => await new Promise<void>(resolve => broker.close(() => resolve()))
  const server = opts.plain === false ? undefined : createServer(accept)
  let copies: Server[] = []
  if (server !== undefined) {
    track(server)
    try {
      await listen(server, opts.port, opts.host)
    } catch (err) {
      await closeBroker()
      throw err
    }
    copies = await listenCopies(server, opts.acceptsPerTurn - 1, accept).catch((err: Error) => { opts.onCopiesFailed?.(err); return [] })
    for (const c of copies) track(c)
  }

  let tls: TlsListener | undefined
  if (opts.tls !== undefined && material !== undefined) {
    const files: TlsFiles = { cert: opts.tls.cert, key: opts.tls.key }
    const tlsServer = createTlsServer({ ...secureContextOptions(material), handshakeTimeout: CONNECT_TIMEOUT_MS }, accept)
    track(tlsServer)
    // Without a listener Node destroys the socket silently; with one the failure is counted, and still
    // never reaches the process as an exception.
    tlsServer.on('tlsClientError', (err, socket) => opts.onTlsError?.(err, socket))
    try {
      await listen(tlsServer, opts.tls.port, opts.host)
    } catch (err) {
      // The plain listener is up already; leaving it open would keep a failed process alive.
      for (const s of [server, ...copies]) if (s !== undefined) await new Promise<void>(resolve => s.close(() => resolve()))
      await closeBroker()
      throw new Error(`mqtt.tls.port: cannot listen on ${opts.host}:${opts.tls.port}: ${(err as Error).message}`)
    }
    const listener: TlsListener = {
      server: tlsServer,
      port: boundPort(tlsServer, opts.tls.port),
      certificate: material.certificate,
      reload: () => {
        const fresh = readTlsMaterial(files)
        tlsServer.setSecureContext(secureContextOptions(fresh))
        listener.certificate = fresh.certificate
        return fresh.certificate
      }
    }
    tls = listener
  }

  const listeners = [server, ...copies, tls?.server].filter((s): s is Server => s !== undefined)
  const stopListening = (): void => { for (const s of listeners) if (s.listening) s.close() }
  return {
    broker,
    server,
    port: server === undefined ? 0 : boundPort(server, opts.port),
    tls,
    accept,
    connecting: () => admission.count,
    acceptsPerTurn: server === undefined ? 0 : copies.length + 1,
    stopListening,
    close: async () => {
      // A server's 'close' comes only once every connection has ended, and closing the broker is what
      // ends them (it closes every client): stop accepting, close the broker, then wait for the servers.
      // Waiting first would hang for as long as one device stays connected.
      stopListening()
      await closeBroker()
      await Promise.all(listeners.map(async s => await ended.get(s)))
    }
  }
}

async function listen (server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
}

function boundPort (server: Server, asked: number): number {
  const address = server.address()
  return typeof address === 'object' && address !== null ? address.port : asked
}

export type { Client, PublishPacket, Subscription }
