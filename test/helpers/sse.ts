/**
 * A server-sent event client for tests (Node 20 has no EventSource): a real HTTP request to the gateway
 * with fetch, its text/event-stream parsed as the HTML standard says (blank line ends an event; `id:`,
 * `event:`, `data:` fields; lines starting with `:` are comments), events collected for the test to wait on.
 */
export interface SseEvent {
  id?: string
  event: string
  data: string
  /** when it arrived (Date.now()) */
  at: number
}

export class SseClient {
  readonly events: SseEvent[] = []
  readonly comments: string[] = []
  readonly status: number
  readonly headers: Headers
  readonly #controller: AbortController
  readonly #done: Promise<void>
  #ended = false

  private constructor (res: Response, controller: AbortController) {
    this.status = res.status
    this.headers = res.headers
    this.#controller = controller
    this.#done = this.#read(res)
  }

  static async open (url: string, headers: Record<string, string>): Promise<SseClient> {
    const controller = new AbortController()
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: controller.signal })
    return new SseClient(res, controller)
  }

  /** Whether the server ended the stream. */
  get ended (): boolean { return this.#ended }

  async #read (res: Response): Promise<void> {
    if (res.body === null) { this.#ended = true; return }
    const decoder = new TextDecoder()
    let buffer = ''
    let current: Partial<SseEvent> & { data?: string } = {}
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let nl: number
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl)
          buffer = buffer.slice(nl + 1)
          if (line === '') {
            if (current.data !== undefined) this.events.push({ id: current.id, event: current.event ?? 'message', data: current.data, at: Date.now() })
            current = {}
          } else if (line.startsWith(':')) {
            this.comments.push(line.slice(1).trim())
          } else {
            const colon = line.indexOf(':')
            const field = colon < 0 ? line : line.slice(0, colon)
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
            if (field === 'data') current.data = current.data === undefined ? value : current.data + '\n' + value
            else if (field === 'id') current.id = value
            else if (field === 'event') current.event = value
          }
        }
      }
    } catch {
      // aborted by close(), or the connection was cut
    }
    this.#ended = true
  }

  /** The parsed data of the events of a type, in order. */
  of<T = Record<string, unknown>> (event: string): T[] {
    return this.events.filter(e => e.event === event).map(e => JSON.parse(e.data) as T)
  }

  async close (): Promise<void> {
    this.#controller.abort()
    await this.#done
  }
}
