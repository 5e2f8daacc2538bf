/**
 * `sites.<id>.makeup` in the gateway's settings file: the defaults fill what a site leaves out, and a bad
 * value is refused at load naming the setting and the rule.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { loadConfig } from '../gateway/config.js'
import { MAKEUP_DEFAULTS } from '../gateway/makeup/policy.js'

function load (t: Test, sites: unknown): ReturnType<typeof loadConfig> {
  const file = join(t.testdir(), 'gateway.json')
  writeFileSync(file, JSON.stringify({ sites }))
  return loadConfig({ file })
}

t.test('a site without makeup settings gets the defaults; one key given keeps the others', async t => {
  const c = load(t, { hq: { devices: ['T-*'] }, depot: { devices: ['D-*'], makeup: { monthlyLimit: 5, beyondWindow: 'refuse' } } })
  t.same(c.sites.hq.makeup, MAKEUP_DEFAULTS)
  t.same(c.sites.depot.makeup, { ...MAKEUP_DEFAULTS, monthlyLimit: 5, beyondWindow: 'refuse' })
  t.same(MAKEUP_DEFAULTS, { monthlyLimit: 3, windowHours: 24, maxWindowHours: 72, beyondLimit: 'refuse', beyondWindow: 'approval' })
})

t.test('a bad makeup setting is refused, naming it', async t => {
  for (const [makeup, problem] of [
    [{ monthlyLimit: -1 }, /sites\.hq\.makeup\.monthlyLimit: must be a whole number between 0 and 1000/],
    [{ monthlyLimit: 1.5 }, /sites\.hq\.makeup\.monthlyLimit: must be a whole number/],
    [{ windowHours: 0 }, /sites\.hq\.makeup\.windowHours: must be between 1 and 720/],
    [{ maxWindowHours: 1000 }, /sites\.hq\.makeup\.maxWindowHours: must be between 1 and 720/],
    [{ windowHours: 48, maxWindowHours: 24 }, /sites\.hq\.makeup\.maxWindowHours: must be at least sites\.hq\.makeup\.windowHours/],
    [{ beyondLimit: 'ask' }, /sites\.hq\.makeup\.beyondLimit: must be 'refuse' or 'approval'/],
    [{ beyondWindow: true }, /sites\.hq\.makeup\.beyondWindow: must be 'refuse' or 'approval'/],
    [{ limit: 3 }, /sites\.hq\.makeup\.limit: unknown setting/]
  ] as const) {
    t.throws(() => load(t, { hq: { devices: ['T-*'], makeup } }), problem, JSON.stringify(makeup))
  }
})
