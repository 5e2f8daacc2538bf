/**
 * ZKTeco terminals pushing over ADMS to a real gateway process, through its ADMS listener on a real port,
 * with a fake terminal written from what real terminals send (fakes/zkteco/terminal.ts) and a real webhook
 * upstream: registration and refusal, the clock set in the registered zone, lines stored with their own
 * identity and resends known, bad lines counted by line, a body cut off mid-way, a terminal whose clock
 * shows another zone.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli, startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js'
import { freePort } from './helpers/ports.js'
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'
import { FakeZkTerminal, wallOf } from '../fakes/zkteco/terminal.js'

const ZONE = 'Asia/Ho_Chi_Minh'

interface ListedPunch { id: number, device: string, emp: string, ts: number, tz: number | null, kind: string, method: string, clock: string, flags: string[], sourceId: string | null, source: Record<string, unknown> | null }

async function storedPunches (gw: GatewayProcess, device: string): Promise<ListedPunch[]> {
  const res = await gw.api(`/api/v1/punches?device=${device}&limit=1000`)
  if (res.status !== 200) throw new Error(`/api/v1/punches answered ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { punches: ListedPunch[] }).punches
}

async function metric (gw: GatewayProcess, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text()
  const line = text.split('\n').find(l => l.startsWith(`${name}{${labels}}`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

async function until (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

t.test('terminals over ADMS', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'punchline-adms-'))
  const upstream = new WebhookUpstream()
  await upstream.start()
  t.equal(cli(['terminals', 'add', 'CJDE001', '--zone', ZONE, '--data', dir]).status, 0)
  t.equal(cli(['terminals', 'add', 'CJDE002', '--zone', ZONE, '--device', 'gate-2', '--data', dir]).status, 0)
  const refusedZone = cli(['terminals', 'add', 'CJDE003', '--zone', '+07:00', '--data', dir])
  t.equal(refusedZone.status, 1, 'an offset is refused as a zone')
  t.match(refusedZone.stderr, /IANA time zone name/)

  const admsPort = await freePort()
  const gw = await startGatewayProcess({ dataDir: dir, upstream: upstream.url, args: ['--adms-port', String(admsPort)] })
  const server = `http://127.0.0.1:${admsPort}`
  t.teardown(async () => {
    await gw.stop()
    await upstream.close()
    rmSync(dir, { recursive: true, force: true })
  })
  t.equal(gw.logs.find(l => l.msg === 'gateway ready')?.admsPort, admsPort, 'the ready line names the ADMS port')

  await t.test('a serial number nobody registered is refused, said and counted', async t => {
    const stranger = new FakeZkTerminal({ sn: 'NOPE42', server, zone: ZONE })
    t.teardown(() => stranger.close())
    const answer = await stranger.handshake()
    t.equal(answer.status, 403)
    t.match(answer.text, /unknown terminal NOPE42.*punchline terminals add NOPE42/)
    stranger.punch('1001')
    t.equal((await stranger.upload()).status, 403)
    t.equal(stranger.mark, 0, 'the terminal keeps its record')
    t.equal(await metric(gw, 'punchline_adms_refused_total', 'reason="unknown_serial"'), 2)
  })

  const terminal = new FakeZkTerminal({ sn: 'CJDE001', server, zone: ZONE })
  t.teardown(() => terminal.close())

  await t.test('handshake, clock set in the zone, punches stored with the line as identity and delivered', async t => {
    const hello = await terminal.handshake()
    t.equal(hello.status, 200)
    t.equal(terminal.options.ATTLOGStamp, '0', 'a terminal never heard from is asked for everything it holds')
    const commands = await terminal.heartbeat()
    t.equal(commands.length, 1)
    t.match(commands[0].command, /^SET OPTIONS DateTime=\d+$/)
    t.equal(commands[0].result, 0)
    const clockSkew = Math.abs(Date.parse(terminal.clock().replace(' ', 'T') + '+07:00') - Date.now())
    t.ok(clockSkew < 5000, `the terminal's clock shows the gateway's time in ${ZONE} (off by ${clockSkew} ms)`)

    const a = terminal.punch('1001', { state: 0, verify: 1 })
    terminal.punch('1002', { state: 1, verify: 15, workcode: 'WC7' })
    terminal.punch('1003', { state: 2, verify: 4 })
    const answer = await terminal.upload()
    t.same([answer.status, answer.text.trim()], [200, 'OK: 3'])
    t.equal(terminal.mark, 3)

    const stored = await storedPunches(gw, 'zk-CJDE001')
    t.equal(stored.length, 3)
    const first = stored.find(p => p.emp === '1001')!
    t.equal(first.ts, Date.parse(a.wall.replace(' ', 'T') + '+07:00'), 'the wall time is read in the registered zone')
    t.equal(first.tz, 420)
    t.same([first.kind, first.method, first.clock, first.flags], ['in', 'fingerprint', 'synced', []])
    t.equal(first.sourceId, `zk:CJDE001:1001:${a.wall.replaceAll('-', '').replaceAll(':', '').replace(' ', 'T')}:0:1`)
    t.same(stored.map(p => [p.kind, p.method]).sort(), [['break-out', 'card'], ['in', 'fingerprint'], ['out', 'face']])

    await upstream.waitFor(() => upstream.punches.size >= 3)
    const up = upstream.punches.get(first.sourceId!)
    t.ok(up, 'the upstream id is the line\'s identity')
    t.equal(up?.local?.endsWith('+07:00'), true, 'local time carries the zone\'s offset')
    t.same(upstream.punches.get(stored.find(p => p.emp === '1002')!.sourceId!)?.source,
      { vendor: 'zkteco', sn: 'CJDE001', wall: stored.find(p => p.emp === '1002')!.source!.wall, state: 1, verify: 15, workcode: 'WC7' },
      'the raw codes travel beside their mapping')
  })

  await t.test('a terminal told Stamp=0 sends everything again: acknowledged, known, nothing doubled', async t => {
    terminal.mark = 0
    const answer = await terminal.uploadAll()
    t.same([answer.status, answer.text.trim()], [200, 'OK: 3'])
    t.equal((await storedPunches(gw, 'zk-CJDE001')).length, 3)
    t.equal(await metric(gw, 'punchline_adms_lines_total', 'result="known"'), 3)
    await new Promise(resolve => setTimeout(resolve, 300))
    t.equal(upstream.punches.size, 3)
    t.equal(upstream.duplicates, 0)
  })

  await t.test('bad lines are counted and reported by line; the good ones in the same body are taken', async t => {
    const wall = wallOf(Date.now(), ZONE)
    const body = `2001\t${wall}\t0\t1\t0\n2002\t2026-02-30 08:00:00\t0\t1\t0\n\t${wall}\t0\t1\n`
    const res = await fetch(`${server}/iclock/cdata?SN=CJDE001&table=ATTLOG&Stamp=99`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } })
    t.same([res.status, (await res.text()).trim()], [200, 'OK: 3'])
    const stored = await storedPunches(gw, 'zk-CJDE001')
    t.same(stored.filter(p => p.emp.startsWith('200')).map(p => p.emp), ['2001'])
    t.equal(await metric(gw, 'punchline_adms_lines_total', 'result="bad"'), 2)
    const latin1 = Buffer.concat([Buffer.from('2003'), Buffer.from([0xe9]), Buffer.from(`\t${wall}\t0\t1\n2004\t${wall}\t0\t1\n`)])
    const mixed = await fetch(`${server}/iclock/cdata?SN=CJDE001&table=ATTLOG&Stamp=100`, { method: 'POST', body: latin1 })
    t.same([mixed.status, (await mixed.text()).trim()], [200, 'OK: 2'])
    t.same((await storedPunches(gw, 'zk-CJDE001')).filter(p => p.emp.startsWith('200')).map(p => p.emp), ['2001', '2004'],
      'a byte that is not UTF-8 makes its line a problem; the PIN is never stored with a replacement character')
    t.equal(await metric(gw, 'punchline_adms_lines_total', 'result="bad"'), 3)
    const odd = await fetch(`${server}/iclock/getrequest?SN=${'x'.repeat(70)}%0D%0A`)
    t.equal(odd.status, 400)
    t.notMatch(await odd.text(), /xxxx/, 'a serial number that cannot be one is not echoed')
    const warned = gw.logs.find(l => l.msg.startsWith('ATTLOG lines that cannot be read'))
    t.match(warned, { sn: 'CJDE001', lines: 2, first: { line: 2, field: 'time' } })
  })

  await t.test('a body cut off mid-upload stores nothing; the terminal sends it again whole', async t => {
    const before = (await storedPunches(gw, 'zk-CJDE001')).length
    terminal.mark = terminal.records.length
    terminal.punch('3001')
    terminal.punch('3002')
    await terminal.uploadCutOff(0.5)
    await new Promise(resolve => setTimeout(resolve, 300))
    t.equal((await storedPunches(gw, 'zk-CJDE001')).length, before, 'nothing of the cut body is stored')
    t.equal(terminal.mark, terminal.records.length - 2, 'the terminal did not move its mark')
    const answer = await terminal.upload()
    t.same([answer.status, answer.text.trim()], [200, 'OK: 2'])
    t.equal((await storedPunches(gw, 'zk-CJDE001')).length, before + 2)
  })

  await t.test('a terminal whose clock shows another zone: flagged until the gateway sets it, right after', async t => {
    // Its clock runs in UTC, seven hours behind the zone it is registered with.
    const wrong = new FakeZkTerminal({ sn: 'CJDE002', server, zone: 'UTC' })
    t.teardown(() => wrong.close())
    await wrong.handshake()
    wrong.punch('4001')
    t.equal((await wrong.upload()).status, 200)
    const early = (await storedPunches(gw, 'gate-2'))[0]
    t.ok(Math.abs(early.ts - (Date.now() - 7 * 3600_000)) < 60_000, 'read in the registered zone, it lands seven hours early')
    t.equal(early.clock, 'unsynced')
    t.ok(early.flags.includes('clock-unsynced'), 'and is flagged: the gateway never set that clock')

    const commands = await wrong.heartbeat()
    t.match(commands.map(c => c.command), [/^SET OPTIONS DateTime=/])
    wrong.punch('4002')
    t.equal((await wrong.upload()).status, 200)
    const later = (await storedPunches(gw, 'gate-2')).find(p => p.emp === '4002')!
    t.ok(Math.abs(later.ts - Date.now()) < 60_000, 'after the clock command its punches are on time')
    t.same([later.clock, later.flags], ['synced', []])
  })

  await t.test('a late line is open for review, and the decision goes upstream under the line\'s identity', async t => {
    terminal.mark = terminal.records.length
    const late = terminal.punch('5001', { wall: wallOf(Date.now() - 30 * 3600_000, ZONE) })
    t.equal((await terminal.upload()).status, 200)
    const stored = (await storedPunches(gw, 'zk-CJDE001')).find(p => p.emp === '5001')!
    t.ok(stored.flags.includes('late-sync'))
    const decided = await gw.api(`/api/v1/punches/${stored.id}/review`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ decision: 'confirm', comment: 'terminal was offline' })
    })
    t.equal(decided.status, 200, await decided.clone().text())
    await upstream.waitFor(() => upstream.requests.some(r => JSON.stringify(r.body).includes('"reviews"')))
    const reviews = upstream.requests.flatMap(r => (r.body as { reviews?: Array<{ punch: string }> }).reviews ?? [])
    t.same(reviews.map(r => r.punch), [stored.sourceId], `the review names ${late.pin}'s line as it went upstream`)
  })

  await t.test('the handshake resumes where the stored uploads end', async t => {
    const again = new FakeZkTerminal({ sn: 'CJDE001', server, zone: ZONE })
    t.teardown(() => again.close())
    await again.handshake()
    t.equal(again.options.ATTLOGStamp, String(terminal.records.length), 'the Stamp of the last stored upload')
  })

  await until('the upstream to hold every stored punch', async () => {
    const ids = [...(await storedPunches(gw, 'zk-CJDE001')), ...(await storedPunches(gw, 'gate-2'))].map(p => p.sourceId!)
    return ids.every(id => upstream.punches.has(id))
  })
})
