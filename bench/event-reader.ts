/**
 * A reader of the gateway's live events (GET /api/v1/events, text/event-stream) for the bench: what the web
 * console's pages listen to. It calls `onPunch` with each punch event's id (`device:epoch:seq`) as its
 * `data:` line arrives, so a bench can time punch → event the way the fleet page sees it.
 */
import { StringDecoder } from 'node:string_decoder'

export interface EventReader {
  /** resolves once the stream answered 200 and its first bytes arrived (the gateway sends a comment at once) */
  opened: Promise<void>
  close: () => void
}

export function readPunchEvents (url: string, authorization: string, onPunch: (id: string, at: number) => void): EventReader {
  const abort = new AbortController()
  let open: () => void = () => {}
  let fail: (err: unknown) => void = () => {}
  const opened = new Promise<void>((resolve, reject) => { open = resolve; fail = reject })
  void (async () => {
    const res = await fetch(url, { headers: { Authorization: authorization, Accept: 'text/event-stream' }, signal: abort.signal })
    if (res.status !== 200 || res.body === null) throw new Error(`GET /api/v1/events: ${res.status}`)
    const decoder = new StringDecoder('utf8')
    let pending = ''
    let type = ''
    let first = true
    for await (const chunk of res.body) {
      if (first) { first = false; open() }
      const at = performance.now()
      pending += decoder.write(chunk as Uint8Array)
      let nl: number
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        if (line === '') type = ''
        else if (line.startsWith('event: ')) type = line.slice(7)
        else if (line.startsWith('data: ') && type === 'punch') {
          const e = JSON.parse(line.slice(6)) as { device: string, epoch: string, seq: number }
          onPunch(`${e.device}:${e.epoch}:${e.seq}`, at)
        }
      }
    }
  })().catch((err: unknown) => { if (!abort.signal.aborted) fail(err) })
  return { opened, close: () => abort.abort() }
}
