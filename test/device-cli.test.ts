/**
 * `punchline device --config FILE` as a field engineer runs it: a keypad on standard input, feedback on
 * standard output for every read, the punch at the gateway, a clean exit on SIGTERM.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { startGatewayProcess, CLI } from './helpers/gateway-process.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { until as waitFor } from './helpers/wait.js'

t.test('keypad punches through the device CLI reach the upstream, with feedback per read', async t => {
  const dir = t.testdir()
  const sink = new WebhookUpstream()
  await sink.start()
  const gw = await startGatewayProcess({ dataDir: join(dir, 'gw'), upstream: sink.url, allowAnonymous: true })
  t.teardown(async () => { await gw.stop(); await sink.close() })
  const file = join(dir, 'device.json')
  writeFileSync(file, JSON.stringify({
    id: 'K-1',
    broker: { url: gw.mqttUrl },
    ring: { path: 'ring.bin', capacity: 1000 },
    clock: { trustSystemClock: true },
    inputs: [{ kind: 'keypad', name: 'pad' }]
  }))
  const child = spawn(process.execPath, [CLI, 'device', '--config', file], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  const until = async (cond: () => boolean, what: string): Promise<void> =>
    await waitFor(cond, () => `${what}; stdout: ${stdout}`, 15_000)

  await until(() => stdout.includes('device K-1 (terminal) running'), 'the device to start')
  child.stdin.write('4711 in\n4711 in\n4712 out\n')
  await until(() => stdout.includes('4712'), 'feedback for three reads')
  t.match(stdout, /ACCEPTED\s+4711 \(pin, pad\) stored as #1/)
  t.match(stdout, /DUPLICATE READ\s+4711 .*#1/)
  t.match(stdout, /ACCEPTED\s+4712 \(pin, pad\) stored as #2/)
  await sink.waitFor(() => sink.received.size === 2, 15_000)
  t.match([...sink.punches.values()].map(p => [p.emp, p.kind, p.method]).sort(), [['4711', 'in', 'pin'], ['4712', 'out', 'pin']])
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM: clean exit')
})
