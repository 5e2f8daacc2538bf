/** Runs `refresh` every `everyMs` while the component is shown: for what the gateway sends no events about. */
import { useEffect } from 'preact/hooks'

export function usePolling (refresh: () => Promise<void>, everyMs: number): void {
  useEffect(() => {
    const timer = setInterval(() => { void refresh() }, everyMs)
    return () => clearInterval(timer)
  }, [refresh, everyMs])
}
