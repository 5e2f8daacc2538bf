/** Loading what a page shows, and running what an operator clicks, with the API's refusal kept to show. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  reload: () => Promise<void>
}

export function useLoad<T> (load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const latest = useRef(0)
  const reload = useCallback(async () => {
    const call = ++latest.current
    try {
      const d = await load()
      if (call !== latest.current) return
      setData(d)
      setError(undefined)
    } catch (err) {
      if (call === latest.current) setError(err)
    }
  }, deps)
  useEffect(() => { void reload() }, [reload])
  return { data, error, reload }
}

export interface Action {
  busy: boolean
  error: unknown
  /** runs `f`; resolves true when it succeeded */
  run: (f: () => Promise<unknown>) => Promise<boolean>
}

export function useAction (): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const run = useCallback(async (f: () => Promise<unknown>) => {
    setBusy(true)
    setError(undefined)
    try {
      await f()
      return true
    } catch (err) {
      setError(err)
      return false
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run }
}
