/**
 * A site for tests that need no credentials: a real gateway process with anonymous devices allowed,
 * forwarding to a real HTTP upstream, both stopped when the test ends.
 */
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js'
import { WebhookUpstream } from '../../fakes/upstream/webhook-upstream.js'

export interface TestSite { gw: GatewayProcess, sink: WebhookUpstream }

export async function anonymousSite (t: { testdir: () => string, teardown: (fn: () => Promise<void>) => void }): Promise<TestSite> {
  const sink = new WebhookUpstream()
  await sink.start()
  const gw = await startGatewayProcess({ dataDir: t.testdir(), allowAnonymous: true, upstream: sink.url })
  t.teardown(async () => {
    await gw.stop()
    await sink.close()
  })
  return { gw, sink }
}
