/**
 * `punchline devices --cluster` and `punchline broker-auth` run in this process against a private
 * PostgreSQL: the answers and refusals an operator sees (the brokers themselves are in
 * test/cluster-broker-auth-mosquitto.test.ts and -nats.test.ts).
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectionString, startPostgres } from './helpers/postgres.js'
import { runDevices } from '../gateway/cli/devices.js'
import { runBrokerAuth } from '../gateway/cli/broker-auth.js'

t.test('the registry\'s verbs and broker-auth\'s refusals, in process', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-registry-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startPostgres(t)
  const db = await server.database()
  const config = join(dir, 'node.json')
  const write = (group: string, username = 'gw-nodes'): void => {
    writeFileSync(config, JSON.stringify({ cluster: { postgres: connectionString(db), group, broker: { username, password: 'nodes-secret-1' } } }))
  }
  write('punchline')
  const lines: string[] = []
  const out = (l: string): void => { lines.push(l) }
  const devices = async (...args: string[]): Promise<number> => await runDevices([...args, '--cluster', '--config', config], out)

  t.equal(await devices('add', 'T-1', '--secret', 'my-own-secret', '--json'), 0)
  t.same(JSON.parse(lines[0]), { id: 'T-1', secret: 'my-own-secret' }, 'the operator\'s own secret, printed once')
  await t.rejects(devices('add', 'T-2', '--secret', 'short'), /--secret must be at least 8 characters/)
  await t.rejects(devices('add', 'bad id'), /ID must match/)
  lines.length = 0
  t.equal(await devices('rotate', 'T-9'), 1, 'rotating an unknown device is refused')
  t.same(lines, ['no device T-9'])
  t.equal(await devices('remove', 'T-9'), 1)
  lines.length = 0
  t.equal(await devices('list', '--json'), 0)
  t.match(JSON.parse(lines[0]), [{ id: 'T-1' }])
  await t.rejects(devices('frobnicate'), /usage:/)

  const file = join(dir, 'auth.conf')
  await t.rejects(runBrokerAuth(['nats', '--out', file, '--config', config], out), /give --cluster --config FILE/)
  await t.rejects(runBrokerAuth(['nats', '--cluster', '--config', config], out), /--out is required \(a file\)/)
  await t.rejects(runBrokerAuth(['exim', '--out', file, '--cluster', '--config', config], out), /usage:/)
  lines.length = 0
  t.equal(await runBrokerAuth(['mosquitto', '--out', dir, '--cluster', '--config', config], out), 0)
  t.match(lines.join('\n'), /warning: cluster\.group is the default 'punchline'/, 'Mosquitto\'s files with the default group: a warning')
  t.match(readFileSync(join(dir, 'password_file'), 'utf8'), /^T-1:\$7\$101\$.*\ngw-nodes:\$7\$101\$/)

  write('g-4b1d', 'T-1')
  await t.rejects(runBrokerAuth(['nats', '--out', file, '--cluster', '--config', config], out), /cluster\.broker\.username: 'T-1' is also a registered device/)
  write('g-4b1d')
  lines.length = 0
  t.equal(await runBrokerAuth(['nats', '--out', file, '--cluster', '--config', config], out), 0)
  t.notMatch(lines.join('\n'), /warning/, 'no warning for NATS, which checks subscriptions')
  t.equal(await devices('remove', 'T-1'), 0)
  t.equal(await runBrokerAuth(['nats', '--out', file, '--cluster', '--config', config], out), 0)
  t.notMatch(readFileSync(file, 'utf8'), /"T-1"/, 'a removed device leaves the file at the next run')
})

t.test('rotate on the single box: a new secret for a registered device, none for an unknown one', async t => {
  const data = mkdtempSync(join(tmpdir(), 'punchline-rotate-'))
  t.teardown(() => rmSync(data, { recursive: true, force: true }))
  const lines: string[] = []
  const out = (l: string): void => { lines.push(l) }
  t.equal(await runDevices(['add', 'S-1', '--data', data], out), 0)
  t.equal(await runDevices(['rotate', 'S-1', '--data', data], out), 0)
  const [first, second] = lines.map(l => l.split(' ')[1])
  t.ok(first.length >= 32 && second.length >= 32 && first !== second, 'a new random secret')
  t.equal(await runDevices(['rotate', 'S-9', '--data', data], out), 1)
  t.equal(lines.at(-1), 'no device S-9')
})
