/**
 * One server-sent event stream (the text/event-stream format of the HTML standard, "Server-sent events"):
 * what it writes goes to the socket while the socket takes it, then into a queue of its own bounded in
 * bytes (a burst of events, a group commit's worth of punches, must fit; a client that reads no more must
 * not hold the gateway's memory). A client that lets the queue fill (a phone asleep on a slow link, a script that stopped reading) is
 * dropped rather than let the gateway hold its backlog: EventSource reconnects by itself and resumes
 * from its Last-Event-ID, or reloads after a gap.
 */
import type { ServerResponse } from 'node:http'

export class EventStream {
  readonly #res: ServerResponse
  readonly #queueBytes: number
  readonly #dropped: () => void
  /** texts waiting for the socket to drain, #queued bytes of them, at most #queueBytes */
  #queue: string[] = []
  #queued = 0
  #blocked = false
  #closed = false

  constructor (res: ServerResponse, queueBytes: number, dropped: () => void) {
    this.#res = res
    this.#queueBytes = queueBytes
    this.#dropped = dropped
    res.on('drain', () => this.#drain())
  }

  get closed (): boolean {
    return this.#closed || this.#res.destroyed
  }

  /** Writes an event (`event:`, `id:` and `data:` lines) or a comment; drops the client when its queue is full. */
  send (text: string): void {
    if (this.closed) return
    if (!this.#blocked) {
      if (!this.#res.write(text)) this.#blocked = true
      return
    }
    const bytes = Buffer.byteLength(text)
    if (this.#queued + bytes > this.#queueBytes) {
      this.#closed = true
      this.#queue = []
      this.#res.destroy()
      this.#dropped()
      return
    }
    this.#queue.push(text)
    this.#queued += bytes
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#queue = []
    this.#queued = 0
    this.#res.end()
  }

  #drain (): void {
    this.#blocked = false
    while (this.#queue.length > 0 && !this.closed) {
      const text = this.#queue.shift()!
      this.#queued -= Buffer.byteLength(text)
      if (!this.#res.write(text)) {
        this.#blocked = true
        return
      }
    }
  }
}

/** An event in the stream's text form; `data` is one line of JSON (JSON.stringify escapes newlines). */
export function eventText (id: string, type: string, data: unknown): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`
}
