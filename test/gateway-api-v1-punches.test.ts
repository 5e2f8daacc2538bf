/**
 * /api/v1/punches on a real gateway process with punches a real MQTT client stored: filters by badge,
 * device, time and flag; pages that follow a stable cursor and add up to the whole; roles.
 */
import t from 'tap'
import { startGatewayProcess } from './helpers/gateway-process.js'
import { connectDevice, batch } from './helpers/mqtt-device.js'
import { addOperator, asSession, login } from './helpers/api-v1.js'

interface Page { punches: Array<{ id: number, device: string, seq: number, emp: string, ts: number, flags: string[] }>, next?: number }

t.test('punches by badge, device, time and flag, in pages with a stable cursor; hr and admin only', async t => {
  const data = t.testdir()
  const gw = await startGatewayProcess({ dataDir: data, allowAnonymous: true })
  t.teardown(async () => await gw.stop())
  const now = Date.now()
  for (const id of ['PQ-A', 'PQ-B']) {
    const dev = await connectDevice(gw.mqttUrl, id)
    const body = batch(`${id}-1`, [1, 2, 3, 4, 5])
    // seq 5 synced 30 h late: the late-sync flag (rules.lateSyncMs, 24 h by default).
    ;(body.punches as Array<{ seq: number, ts: number }>)[4].ts = now - 30 * 3600_000
    await dev.publish(body)
    t.equal((await dev.ackFor(`${id}-1`)).id, `${id}-1`)
    await dev.close()
  }
  const hr = await login(gw, 'hana', await addOperator(data, 'hana', 'hr'))
  const viewer = await login(gw, 'vic', await addOperator(data, 'vic', 'viewer'))
  const get = async (query: string): Promise<Page> => await (await asSession(gw, hr, 'GET', `/api/v1/punches${query}`)).json() as Page

  const all = await get('')
  t.equal(all.punches.length, 10, 'every stored punch')
  t.same(all.punches.map(p => p.id), [...all.punches.map(p => p.id)].sort((a, b) => a - b), 'in id order')
  t.notOk('next' in all, 'one page holds them all')
  t.same((await get('?badge=E1002')).punches.map(p => `${p.device}:${p.seq}`), ['PQ-A:2', 'PQ-B:2'], 'by badge')
  t.same((await get('?device=PQ-B')).punches.map(p => p.seq), [1, 2, 3, 4, 5], 'by device')
  const late = await get('?flag=late-sync')
  t.same(late.punches.map(p => `${p.device}:${p.seq}`), ['PQ-A:5', 'PQ-B:5'], 'by flag')
  t.ok(late.punches.every(p => p.flags.includes('late-sync')), 'flags as a list')
  t.same((await get(`?to=${now - 3600_000}`)).punches.map(p => p.seq), [5, 5], 'by time (to)')
  t.equal((await get(`?from=${now - 3600_000}&device=PQ-A`)).punches.length, 4, 'by time (from) and device')

  const seen: number[] = []
  let page = await get('?limit=3')
  for (;;) {
    seen.push(...page.punches.map(p => p.id))
    if (page.next === undefined) break
    page = await get(`?limit=3&after=${page.next}`)
  }
  t.same(seen, all.punches.map(p => p.id), 'pages of 3 add up to the whole, each punch once')

  const bad = await asSession(gw, hr, 'GET', '/api/v1/punches?flag=sleepy')
  t.equal(bad.status, 400)
  t.match(await bad.json(), { field: 'querystring.flag', rule: 'enum' })
  t.equal((await asSession(gw, viewer, 'GET', '/api/v1/punches')).status, 403, 'a viewer may not read punches')
  t.equal((await gw.api('/api/v1/punches')).status, 200, 'the site token (admin) may')
})
