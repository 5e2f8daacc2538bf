/**
 * The named scenarios shipped with the package (sim/scenarios/*.yaml): `punchline sim --scenario NAME`.
 *
 * They are data, not TypeScript, so tsc does not copy them: they stay in the repo's sim/scenarios/ (listed
 * in package.json "files") and are found from this module's own location. Run from source (tsx, tap)
 * this file is sim/scenario/library.ts and they are at ../scenarios/; built, it is
 * dist/sim/scenario/library.js and they are at ../../../sim/scenarios/.
 */
import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Scenario } from './types.js'
import { loadScenario } from './parse.js'

const CANDIDATES = ['../scenarios/', '../../../sim/scenarios/']

export function scenariosDir (): string {
  for (const rel of CANDIDATES) {
    const dir = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(dir)) return dir
  }
  throw new Error(`the scenario library is missing: looked in ${CANDIDATES.map(c => fileURLToPath(new URL(c, import.meta.url))).join(' and ')}`)
}

export interface LibraryEntry {
  name: string
  path: string
  description: string
}

function files (): string[] {
  return readdirSync(scenariosDir()).filter(f => f.endsWith('.yaml')).sort()
}

/** Every named scenario with its description, by name. */
export function listScenarios (): LibraryEntry[] {
  return files().map(f => {
    const path = join(scenariosDir(), f)
    return { name: basename(f, '.yaml'), path, description: loadScenario(path).description }
  })
}

export function namedScenario (name: string): Scenario {
  const names = files().map(f => basename(f, '.yaml'))
  if (!names.includes(name)) throw new Error(`no scenario '${name}' (scenarios: ${names.join(', ')}); a file of your own goes in --file`)
  return loadScenario(join(scenariosDir(), `${name}.yaml`))
}
