/**
 * Pages are addressed by the URL's fragment (`#/punches`): the gateway serves one index.html, and a reload
 * or a bookmark needs nothing from the server but that file.
 */
import { useEffect, useState } from 'preact/hooks'

export function currentRoute (): string {
  return location.hash.replace(/^#\/?/, '').split('?')[0]
}

export function useRoute (): string {
  const [route, setRoute] = useState(currentRoute())
  useEffect(() => {
    const changed = (): void => setRoute(currentRoute())
    addEventListener('hashchange', changed)
    return () => removeEventListener('hashchange', changed)
  }, [])
  return route
}

export function go (route: string): void {
  location.hash = '#/' + route
}
