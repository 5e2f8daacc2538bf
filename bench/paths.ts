/** Where the bench's compiled child scripts are; no side effects, so tests may import the modules that use it. */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The compiled script of a bench child (`aedes-child.js`...): beside this file when the bench runs from
 * dist/, in dist/ when it runs from source (tsx), since node runs children without a TypeScript loader.
 */
export function benchScript (name: string): string {
  const here = fileURLToPath(import.meta.url)
  return here.endsWith('.ts') ? join(dirname(here), '..', 'dist', 'bench', name) : join(dirname(here), name)
}
