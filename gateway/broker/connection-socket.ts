/**
 * What the broker's connection code needs of a socket, in a file of its own: the packet guard, the read
 * budget, admission and auth all name it, and the guard and the budget also name each other.
 */
import type { Duplex } from 'node:stream'

/** What a connection needs of its socket: a TCP or TLS socket, or an in-process stream (the simulator's). */
export type ConnectionSocket = Duplex & { readonly remoteAddress?: string, readonly remotePort?: number }
