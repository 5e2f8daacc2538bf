/**
 * The single box stays free of cluster mode (docs/DESIGN-NOTES.md, "Cluster nodes"): `punchline gateway`
 * without --cluster, started for real until it is ready, loads neither the PostgreSQL client nor anything
 * in gateway/cluster/. The lint rule forbids the static imports; this sees what the process really loaded.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { CLI } from './helpers/gateway-process.js'

const HOOKS = pathToFileURL(join(import.meta.dirname, 'fixtures', 'module-trace-hooks.mjs')).href

t.test('punchline gateway (single box) loads no pg and no gateway/cluster/', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-single-box-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const trace = join(dir, 'modules.txt')
  const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(HOOKS)})`
  const child = spawn(process.execPath, ['--import', register, CLI, 'gateway', '--data', join(dir, 'data'), '--mqtt-port', '0', '--http-port', '0', '--allow-anonymous'],
    { env: { ...process.env, PUNCHLINE_MODULE_TRACE: trace, PUNCHLINE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  await new Promise<void>(resolve => {
    createInterface({ input: child.stdout }).on('line', line => { if (line.includes('"gateway ready"')) resolve() })
    void exited.then(() => resolve())
  })
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'the gateway started and stopped')
  clearTimeout(timer)
  const loaded = readFileSync(trace, 'utf8').split('\n')
  t.ok(loaded.some(u => u.endsWith('/gateway/gateway.js')), 'the trace sees the gateway itself')
  t.same(loaded.filter(u => /\/node_modules\/pg(-[a-z-]+)?\//.test(u)), [], 'no PostgreSQL client module')
  t.same(loaded.filter(u => u.includes('/gateway/cluster/')), [], 'nothing from gateway/cluster/')
})
