/** A real webhook upstream that refuses (422) any batch holding the punch with seq `refused`, and takes the rest. */
import type { Test } from 'tap'
import { WebhookUpstream } from '../../fakes/upstream/webhook-upstream.js'

export async function sinkRefusingSeq (t: Test, refused: number): Promise<WebhookUpstream> {
  const sink = new WebhookUpstream()
  await sink.start()
  t.teardown(() => sink.close())
  sink.respond(req => req.body?.punches.some(p => p.seq === refused) === true ? { status: 422, body: '{"error":"bad employee"}' } : { status: 200 })
  return sink
}
