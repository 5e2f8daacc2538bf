/**
 * kill -9 of the gateway while a ZKTeco terminal uploads: whatever moment the kill lands on (before the
 * body is kept, between keeping it and committing, between the commit and the answer), the terminal
 * keeps every record it was not answered OK for and sends it again after the restart; every line ends
 * up stored exactly once and delivered upstream under its own identity.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli, startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { freePort } from './helpers/ports.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { FakeZkTerminal } from '../fakes/zkteco/terminal.js'

const ZONE = 'Europe/Berlin'
const ROUNDS = 6
const PER_ROUND = 6
const KILL_AFTER_MS = [0, 10, 30, 60, 120, 200]

t.test('kill -9 mid-upload loses nothing and doubles nothing', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-adms-kill-'))
  const upstream = new WebhookUpstream()
  await upstream.start()
  t.equal(cli(['terminals', 'add', 'KILL001', '--zone', ZONE, '--data', dir]).status, 0)
  const [mqttPort, httpPort, admsPort] = [await freePort(), await freePort(), await freePort()]
  const start = async (): Promise<GatewayProcess> => await startGatewayProcess({ dataDir: dir, upstream: upstream.url, mqttPort, httpPort, args: ['--adms-port', String(admsPort)] })
  let gw = await start()
  const terminal = new FakeZkTerminal({ sn: 'KILL001', server: `http://127.0.0.1:${admsPort}`, zone: ZONE })
  t.teardown(async () => {
    terminal.close()
    await gw.stop()
    await upstream.close()
    rmSync(dir, { recursive: true, force: true })
  })
  await terminal.handshake()
  await terminal.heartbeat()

  let answeredNot = 0
  let storedNotAnswered = 0
  const storedCount = async (): Promise<number> => {
    const res = await gw.api('/api/v1/punches?device=zk-KILL001&limit=1000')
    return ((await res.json()) as { punches: unknown[] }).punches.length
  }
  let before = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) terminal.punch(String(1000 + round * PER_ROUND + i), { state: i % 2 })
    const markBefore = terminal.mark
    const upload = terminal.upload()
    // Spread over the life of one upload: before it arrives, while it is kept and committed, after.
    await new Promise(resolve => setTimeout(resolve, KILL_AFTER_MS[round]))
    gw.kill('SIGKILL')
    await gw.exited
    const answer = await upload
    if (terminal.mark === markBefore) answeredNot++
    t.comment(`round ${round}: answer ${answer.status} ${answer.text.trim()}`)
    gw = await start()
    const now = await storedCount()
    if (terminal.mark === markBefore && now > before) storedNotAnswered++
    await terminal.handshake()
    const resent = await terminal.uploadAll()
    t.equal(terminal.mark, terminal.records.length, `round ${round}: everything sent after the restart (${resent.status} ${resent.text.trim()})`)
    before = await storedCount()
  }
  t.comment(`${storedNotAnswered} of ${ROUNDS} kills fell between the commit and the answer`)
  t.ok(answeredNot > 0, `${answeredNot} of ${ROUNDS} uploads got no answer and were sent again`)

  const res = await gw.api('/api/v1/punches?device=zk-KILL001&limit=1000')
  const stored = ((await res.json()) as { punches: Array<{ emp: string, sourceId: string }> }).punches
  t.equal(stored.length, ROUNDS * PER_ROUND, 'every line stored once')
  t.same(new Set(stored.map(p => p.emp)).size, ROUNDS * PER_ROUND)
  await upstream.waitFor(() => upstream.punches.size >= ROUNDS * PER_ROUND, 20_000)
  t.equal(upstream.punches.size, ROUNDS * PER_ROUND, 'every line delivered')
  t.ok(stored.every(p => upstream.punches.has(p.sourceId)), 'under its own identity')
  const extra = [...upstream.received.values()].reduce((a, n) => a + n - 1, 0)
  t.equal(extra, [...upstream.retried.values()].reduce((a, n) => a + n, 0), 'copies upstream only under the same Idempotency-Key')
})
