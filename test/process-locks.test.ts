/**
 * One process per data directory and per ring (issue 13, item 9), with real processes: a second gateway on
 * a data directory in use is refused and the first one keeps serving; `punchline restore` is refused while
 * a gateway holds the directory, whatever became of gateway.pid; after kill -9 the lock is gone at once, so
 * a restart and a restore go ahead. A ring file held by a writer process cannot be opened, not even to
 * reformat it, until that process dies. Before the fix the second gateway started beside the first, its
 * stop deleted the pid file, and restore then replaced the database under the running first gateway.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startGatewayProcess, cli, runGatewayOnce } from './helpers/gateway-process.js'
import { nodeCommand } from '../faults/cut-child.js'
import { openFileRing } from '../device/ring/index.js'

t.test('a second gateway and a restore are refused while a gateway runs; kill -9 leaves no stale lock', async t => {
  const dir = t.testdir()
  let gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  t.equal(cli(['backup', '--data', dir]).status, 0, 'an online backup is fine beside the gateway')

  const second = await runGatewayOnce(dir)
  const fatal = second.logs.filter(l => l.level >= 60).map(l => l.msg)
  t.equal(second.result, 75, `the second gateway is refused: ${second.stderr}`)
  t.equal(fatal.length, 1, 'with one line')
  t.match(fatal[0], new RegExp(`data directory .* is in use: punchline gateway \\(pid ${gw.child.pid!}, since .*\\) is running on it`))
  t.equal((await fetch(gw.httpUrl + '/healthz')).status, 200, 'the first one keeps serving')
  t.equal(readFileSync(join(dir, 'gateway.pid'), 'utf8'), String(gw.child.pid), 'and its pid file is its own')

  const refused = cli(['restore', '--latest', '--data', dir])
  t.not(refused.status, 0, 'restore is refused')
  t.match(refused.stderr, /is in use: punchline gateway .* is running on it: stop it first, then restore/)

  gw.kill('SIGKILL')
  await gw.exited
  const restored = cli(['restore', '--latest', '--data', dir])
  t.equal(restored.status, 0, `after kill -9 the lock is gone at once: ${restored.stderr}`)
  gw = await startGatewayProcess({ dataDir: dir, allowAnonymous: true })
  t.equal((await fetch(gw.httpUrl + '/healthz')).status, 200, 'and a gateway starts again')
})

const WRITER = fileURLToPath(new URL('./fixtures/ring-writer.ts', import.meta.url))

t.test('a ring file held by another process is refused, even for reformatting, until that process dies', async t => {
  const path = join(t.testdir(), 'ring.bin')
  const cmd = nodeCommand(WRITER, [path, '64', '8', '1'])
  const writer = spawn(process.execPath, cmd.args, { env: cmd.env, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise(resolve => writer.once('exit', resolve))
  t.teardown(async () => { writer.kill('SIGKILL'); await exited })
  const epoch = await new Promise<string>((resolve, reject) => {
    createInterface({ input: writer.stdout }).on('line', l => { if (l.startsWith('ready ')) resolve(l.slice(6)) })
    writer.once('exit', code => reject(new Error(`writer exited with ${String(code)}`)))
  })
  t.throws(() => openFileRing({ path, capacity: 64 }), /ring file .* is in use by another process: one process per ring/)
  t.throws(() => openFileRing({ path, capacity: 128, format: true }), /in use by another process/, 'not reformatted under its writer')
  writer.kill('SIGKILL')
  await exited
  const ring = openFileRing({ path, capacity: 64 })
  t.equal(ring.epoch, epoch, 'after kill -9 it opens at once, the same ring')
  t.throws(() => openFileRing({ path, capacity: 64 }), /in use/, 'one opener in this process too')
  ring.close()
  openFileRing({ path, capacity: 64 }).close()
})
