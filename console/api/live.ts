/**
 * Live updates from GET /api/v1/events (server-sent events): one EventSource for the whole console, pages
 * subscribe to the event types they show. The browser reconnects by itself after a drop; a gateway without
 * the stream (an older one) answers 404, the source closes, and pages fall back to polling.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export type LiveState = 'connecting' | 'live' | 'off'
/**
 * `reset`: the gateway no longer keeps the events since the last one this page saw (after a long drop):
 * the pages that follow the stream load afresh.
 */
export const LIVE_EVENTS = ['punch', 'device', 'alarm', 'dead-letter', 'makeup', 'review', 'reset'] as const
export type LiveEvent = typeof LIVE_EVENTS[number]

type Handler = (data: unknown) => void

let source: EventSource | undefined
let state: LiveState = 'off'
const handlers = new Map<LiveEvent, Set<Handler>>()
const stateWatchers = new Set<(s: LiveState) => void>()

function setState (s: LiveState): void {
  state = s
  for (const w of stateWatchers) w(s)
}

export function startLive (): void {
  if (source !== undefined) return
  const s = source = new EventSource('/api/v1/events', { withCredentials: true })
  setState('connecting')
  s.onopen = () => setState('live')
  s.onerror = () => setState(s.readyState === EventSource.CLOSED ? 'off' : 'connecting')
  for (const type of LIVE_EVENTS) {
    s.addEventListener(type, (e: MessageEvent<string>) => {
      let data: unknown
      try { data = JSON.parse(e.data) } catch { data = undefined }
      for (const h of handlers.get(type) ?? []) h(data)
    })
  }
}

export function stopLive (): void {
  source?.close()
  source = undefined
  setState('off')
}

export function useLiveState (): LiveState {
  const [s, set] = useState(state)
  useEffect(() => {
    stateWatchers.add(set)
    set(state)
    return () => { stateWatchers.delete(set) }
  }, [])
  return s
}

/** Calls `handler` for each event of these types while the component is shown. */
export function useLive (types: readonly LiveEvent[], handler: Handler): void {
  useEffect(() => {
    for (const t of types) {
      if (!handlers.has(t)) handlers.set(t, new Set())
      handlers.get(t)!.add(handler)
    }
    return () => { for (const t of types) handlers.get(t)?.delete(handler) }
  }, [handler])
}

/** Re-runs `refresh` every `everyMs` while the live stream is not connected, so a page stays current without it. */
export function usePollWhenNotLive (refresh: () => void, everyMs: number): void {
  const live = useLiveState()
  useEffect(() => {
    if (live === 'live') return
    const timer = setInterval(refresh, everyMs)
    return () => clearInterval(timer)
  }, [live, refresh, everyMs])
}

/**
 * `f` at most once per `ms`: the first call runs at once, calls meanwhile make one more at the end. A
 * fleet whose devices all reconnect at once sends an event each; the page reloads a few times, not
 * thousands.
 */
export function useThrottled (f: () => void, ms: number): () => void {
  const last = useRef(0)
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const latest = useRef(f)
  latest.current = f
  useEffect(() => () => clearTimeout(pending.current), [])
  return useCallback(() => {
    if (pending.current !== undefined) return
    const wait = last.current + ms - Date.now()
    const run = (): void => { pending.current = undefined; last.current = Date.now(); latest.current() }
    if (wait <= 0) run()
    else pending.current = setTimeout(run, wait)
  }, [ms])
}
