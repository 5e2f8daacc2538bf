/** A real webhook upstream that refuses (422) any batch holding the punch with seq `refused`, and takes the rest. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { WebhookUpstream } from '../../fakes/upstream/webhook-upstream.js'
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js'

export async function sinkRefusingSeq (t: Test, refused: number): Promise<WebhookUpstream> {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  sink.respond(req => req.body?.punches.some(p => p.seq === refused) === true ? { status: 422, body: '{"error":"bad employee"}' } : { status: 200 })
  return sink
}

/**
 * A real gateway process forwarding to `sink` with a short linger (a refusal is parked within moments) and
 * no backup timer, and `settings` besides; its data dir is `data` in the test's own dir. Any device id
 * may connect unless `allowAnonymous` is false.
 */
export async function gatewayForwardingTo (t: Test, sink: WebhookUpstream, o: { allowAnonymous?: boolean, settings?: Record<string, unknown> } = {}): Promise<{ gw: GatewayProcess, data: string }> {
  const dir = t.testdir()
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({ forward: { lingerMs: 10 }, backup: { intervalHours: 0 }, ...o.settings }))
  const data = join(dir, 'data')
  const gw = await startGatewayProcess({ dataDir: data, upstream: sink.url, allowAnonymous: o.allowAnonymous ?? true, args: ['--config', config] })
  t.teardown(() => gw.stop())
  return { gw, data }
}
