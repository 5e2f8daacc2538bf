/** Scenario files as tests write them: the smallest one that parses, and the problems a bad one is refused with. */
import { parseScenario } from '../../sim/scenario/parse.js'
import { SettingsError } from '../../shared/settings-check.js'

export const MINIMAL = `
sites:
  - id: hq
    tz: '+08:00'
    staff: 10
    devices: [{ kind: terminal, count: 2 }]
    shifts: [{ start: '08:00', end: '17:00' }]
`

/** The problems a text is refused with, as `path: message` lines (fails the test when it parses). */
export function problemsOf (text: string, name = 'bad.yaml'): string[] {
  try {
    parseScenario(text, name)
  } catch (err) {
    if (err instanceof SettingsError) return err.problems.map(p => `${p.path}: ${p.message}`)
    throw err
  }
  throw new Error('the scenario parsed; a problem was expected')
}
