/**
 * The broker files `punchline broker-auth` writes, checked without a broker (the brokers themselves are
 * in test/cluster-broker-auth-mosquitto.test.ts and -nats.test.ts): the hash formats against Mosquitto's
 * own mosquitto_passwd and bcrypt, the rules, and the refusals of a nodes' login the files cannot carry.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { pbkdf2Sync } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { Topics } from '../shared/topics.js'
import { brokerHashes, MOSQUITTO_PBKDF2_ITERATIONS } from '../gateway/cluster/broker-auth/hashes.js'
import { mosquittoAclFile, mosquittoPasswordFile } from '../gateway/cluster/broker-auth/mosquitto-files.js'
import { natsAuthorization } from '../gateway/cluster/broker-auth/nats-authorization.js'
import { checkNodesLogin } from '../gateway/cluster/broker-auth/nodes-user.js'
import { writeFileAtomic } from '../gateway/cluster/broker-auth/write-atomic.js'
import type { ClusterDevice } from '../gateway/cluster/cluster-admin.js'

/** Mosquitto's check of a `$7$` hash: PBKDF2-HMAC-SHA512 over the salt with the hash's iterations */
function mosquittoMatches (secret: string, hash: string): boolean {
  const [, type, iterations, salt, key] = hash.split('$')
  return type === '7' && pbkdf2Sync(secret, Buffer.from(salt, 'base64'), Number(iterations), 64, 'sha512').equals(Buffer.from(key, 'base64'))
}

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd'

t.test('a secret\'s hashes: Mosquitto\'s $7$ as mosquitto_passwd writes it, and bcrypt $2a$ for NATS 2.9', async t => {
  const h = await brokerHashes('s3cret-of-the-device')
  t.match(h.mosquitto, new RegExp(`^\\$7\\$${MOSQUITTO_PBKDF2_ITERATIONS}\\$[A-Za-z0-9+/]{16}\\$[A-Za-z0-9+/]{86}==$`), '12-byte salt, 64-byte key, base64')
  t.ok(mosquittoMatches('s3cret-of-the-device', h.mosquitto))
  t.notOk(mosquittoMatches('another-secret', h.mosquitto))
  t.match(h.nats, /^\$2a\$06\$/, 'the prefix NATS 2.9 takes for a hash')
  t.ok(await bcrypt.compare('s3cret-of-the-device', h.nats))
  t.not((await brokerHashes('s3cret-of-the-device')).mosquitto, h.mosquitto, 'a fresh salt each time')
  if (!existsSync(MOSQUITTO_PASSWD)) return
  const dir = mkdtempSync(join(tmpdir(), 'punchline-passwd-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'pw')
  const r = spawnSync(MOSQUITTO_PASSWD, ['-c', '-b', file, 'D1', 'from-mosquitto-passwd'], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  const theirs = readFileSync(file, 'utf8').trim().slice('D1:'.length)
  t.equal(theirs.split('$').slice(0, 3).join('$'), h.mosquitto.split('$').slice(0, 3).join('$'), 'the same type and iterations as mosquitto_passwd')
  t.ok(mosquittoMatches('from-mosquitto-passwd', theirs), 'the check above reads mosquitto_passwd\'s own hash')
})

const DEVICES: ClusterDevice[] = [
  { id: 'D1', created: 1, updated: 1, hashes: { mosquitto: '$7$101$m1$k1', nats: '$2a$06$n1' } },
  { id: 'D2', created: 2, updated: 2, hashes: { mosquitto: '$7$101$m2$k2', nats: '$2a$06$n2' } }
]

t.test('Mosquitto: a line a device and the nodes\' last; four pattern rules for every device, a user block for the nodes', async t => {
  t.equal(mosquittoPasswordFile(DEVICES, { username: 'gw', hash: '$7$101$n$k' }), 'D1:$7$101$m1$k1\nD2:$7$101$m2$k2\ngw:$7$101$n$k\n')
  const acl = mosquittoAclFile(new Topics('site/a'), 'gw').split('\n').filter(l => l !== '' && !l.startsWith('#'))
  t.same(acl, [
    'pattern write site/a/%u/punches', 'pattern write site/a/%u/status', 'pattern read site/a/%u/acks', 'pattern read site/a/%u/cmd',
    'user gw', 'topic read site/a/+/punches', 'topic read site/a/+/status', 'topic write site/a/+/acks', 'topic write site/a/+/cmd'
  ])
})

t.test('NATS: each device its own subjects and MQTT only, the nodes every device\'s and NATS only', async t => {
  const text = natsAuthorization(new Topics('att/v1'), DEVICES, { username: 'gw', hash: '$2a$06$g' })
  t.match(text, '{ user: "D1", password: "$2a$06$n1", allowed_connection_types: ["MQTT"], permissions: { publish: { allow: ["att.v1.D1.punches", "att.v1.D1.status"] }, subscribe: { allow: ["att.v1.D1.acks", "att.v1.D1.cmd", "$MQTT.sub.>"] } } }')
  t.match(text, '{ user: "gw", password: "$2a$06$g", allowed_connection_types: ["STANDARD"], permissions: { publish: { allow: ["att.v1.*.acks", "att.v1.*.cmd"] }, subscribe: { allow: ["att.v1.*.punches", "att.v1.*.status"] } } }')
  t.throws(() => natsAuthorization(new Topics('att.v1'), DEVICES, { username: 'gw', hash: 'h' }), /topicPrefix: with NATS must have no '\.'/)
})

t.test('the nodes\' login: refused, naming the setting, when the files cannot carry it or a device has its name', async t => {
  t.throws(() => checkNodesLogin({ username: '', password: 'long-enough' }, DEVICES), /cluster\.broker\.username: required/)
  t.throws(() => checkNodesLogin({ username: 'gw:x', password: 'long-enough' }, DEVICES), /cluster\.broker\.username: must be 1 to 128/)
  t.throws(() => checkNodesLogin({ username: 'gw', password: 'short' }, DEVICES), /cluster\.broker\.password: must be at least 8/)
  t.throws(() => checkNodesLogin({ username: 'D2', password: 'long-enough' }, DEVICES), /'D2' is also a registered device/)
  t.doesNotThrow(() => checkNodesLogin({ username: 'gw-nodes', password: 'long-enough' }, DEVICES))
})

t.test('a broker file is replaced whole, group-readable, with no temporary file left', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-atomic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'acl_file')
  writeFileAtomic(file, 'one\n')
  writeFileAtomic(file, 'two\n')
  t.equal(readFileSync(file, 'utf8'), 'two\n')
  t.equal(statSync(file).mode & 0o777, 0o640)
  t.same(readdirSync(dir), ['acl_file'])
  t.throws(() => writeFileAtomic(join(dir, 'missing', 'f'), 'x'), { code: 'ENOENT' })
})
