/**
 * punchline's version, from the package.json above this module: a node writes it in its heartbeat so an
 * operator sees a rolling upgrade's progress. The module sits at a different depth in the sources and in
 * dist/, hence the walk up; '' when no punchline package.json is found.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

export function punchlineVersion (): string {
  if (cached !== undefined) return cached
  cached = ''
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'punchline' && typeof pkg.version === 'string') return (cached = pkg.version)
    } catch {}
    dir = dirname(dir)
  }
  return cached
}
