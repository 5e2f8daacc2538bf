/**
 * The socket as aedes sees it, with the packet-size bound applied to what comes in. Bytes pass through
 * unchanged; backpressure from aedes pauses the socket.
 */
import { Duplex } from 'node:stream'
import { FrameMeter } from './packet-guard.js'

/** What a connection needs of its socket: a TCP or TLS socket, or an in-process stream (the simulator's). */
export type ConnectionSocket = Duplex & { readonly remoteAddress?: string, readonly remotePort?: number }

export class GuardedConnection extends Duplex {
  readonly socket: ConnectionSocket
  readonly #meter: FrameMeter

  constructor (socket: ConnectionSocket, maxPacketBytes: number, onOversize: (message: string) => void) {
    super({ allowHalfOpen: false })
    this.socket = socket
    this.#meter = new FrameMeter(maxPacketBytes)
    socket.on('data', (chunk: Buffer) => {
      const problem = this.#meter.feed(chunk)
      if (problem !== undefined) {
        onOversize(problem)
        this.destroy(new Error(problem))
        return
      }
      if (!this.push(chunk)) socket.pause()
    })
    socket.on('end', () => this.push(null))
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
  }

  get remoteAddress (): string | undefined { return this.socket.remoteAddress }
  get remotePort (): number | undefined { return this.socket.remotePort }

  override _read (): void {
    this.socket.resume()
  }

  override _write (chunk: Buffer, enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.socket.write(chunk, enc, done)
  }

  override _final (done: (err?: Error | null) => void): void {
    this.socket.end(done)
  }

  override _destroy (err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy()
    done(err)
  }
}
