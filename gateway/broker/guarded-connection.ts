/**
 * The packet bounds applied to what a connection sends (packet-guard.ts says why aedes needs them).
 *
 * The bound wraps the read() of the socket aedes reads, rather than sitting between the two as a stream
 * of its own. It used to be a Duplex wrapping the socket: its stream states, event table and listener
 * closures were heap held by every idle connection, and while aedes waited on a group commit each
 * connection could hold a second stream buffer (Node's default highWaterMark) of unread bytes in it.
 * docs/DESIGN-NOTES.md ("Packet size bound in front of aedes") has what the change saved.
 */
import { FrameMeter, type FrameBounds, type FrameProblem } from './packet-guard.js'
import type { ReadBudget } from './read-budget.js'
import type { ConnectionSocket } from './connection-socket.js'

/**
 * Meters every byte aedes reads from `socket` and, when a packet's fixed header breaks a bound (or the
 * unfinished packets of all connections pass their budget), destroys the socket (aedes sees the error and
 * closes the client) before its body arrives. aedes reads in paused mode ('readable', then read()); the
 * bound wraps this socket's read(), so the chunk in which an oversized header arrives never reaches
 * aedes's parser, however small the bound. (A 'data' listener would see the chunk only as read() returns
 * it to aedes, which then parses it anyway: a packet over a small bound but within one chunk would still
 * reach ingest.) Returns the meter, to admit() the connection once its CONNECT is accepted. Once it is, its
 * reads also share the loop's `budget` of bytes per turn (read-budget.ts).
 */
export function guardConnection (socket: ConnectionSocket, bounds: FrameBounds, budget: ReadBudget, onRefused: (problem: FrameProblem) => void): FrameMeter {
  const meter = new FrameMeter(bounds)
  const read = socket.read
  let refused = false
  let releasing = false
  /** bytes of the last chunk handed to aedes, in flight until it reads again */
  let outstanding = 0
  // An arrow function: its shape is shared by every connection's (under tsx a named function expression
  // gets its name redefined, and with it a shape and property table of its own for each connection).
  socket.read = (size?: number): unknown => {
    // Once refused, nothing more of this connection is handed on (the socket is closing).
    if (refused) return null
    if (meter.admitted) {
      // aedes reads again once the packets of its last chunk are done: that chunk is no longer in flight.
      if (outstanding > 0) { budget.done(outstanding); outstanding = 0 }
      if (!budget.mayRead(socket)) return null
    }
    const chunk: unknown = read.call(socket, size)
    if (chunk === null) return null
    if (meter.admitted) {
      outstanding = (chunk as Buffer).length
      budget.spent(outstanding)
    }
    const problem = meter.feed(chunk as Buffer)
    if (problem === undefined) {
      // Only a connection that ever holds part of a packet, or a chunk in flight, needs to give it back when it goes.
      if (!releasing && (meter.held > 0 || outstanding > 0)) {
        releasing = true
        socket.once('close', () => { meter.release(); budget.done(outstanding); outstanding = 0 })
      }
      return chunk
    }
    refused = true
    budget.done(outstanding)
    outstanding = 0
    meter.release()
    onRefused(problem)
    socket.destroy(new Error(problem.message))
    return null
  }
  return meter
}
