/**
 * Sites for tests: a real gateway process with anonymous devices allowed, forwarding to a real HTTP
 * upstream; or one that knows its devices by their secrets, with no upstream. Stopped when the test ends.
 */
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { cli, startGatewayProcess, type GatewayProcess } from './gateway-process.js'
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

export interface RegisteredSite {
  gw: GatewayProcess
  /** the test's directory, the gateway's data dir inside it, and the secrets file (`--secrets`) */
  dir: string
  data: string
  secretsFile: string
}

/** A gateway that knows `ids` by their secrets (`secret-of-{id}`, added with `punchline devices add`). */
export async function registeredSite (t: { testdir: () => string, teardown: (fn: () => Promise<void>) => void }, ids: readonly string[]): Promise<RegisteredSite> {
  const dir = t.testdir()
  const data = join(dir, 'gw')
  const secrets: Record<string, string> = {}
  for (const id of ids) {
    secrets[id] = `secret-of-${id}`
    const added = cli(['devices', 'add', id, '--secret', secrets[id], '--data', data])
    if (added.status !== 0) throw new Error(`devices add ${id}: ${added.stderr}`)
  }
  const secretsFile = join(dir, 'secrets.json')
  writeFileSync(secretsFile, JSON.stringify(secrets))
  const gw = await startGatewayProcess({ dataDir: data })
  t.teardown(async () => await gw.stop())
  return { gw, dir, data, secretsFile }
}
