/**
 * The cluster's device registry driven as an operator does, through the real command line
 * (`punchline devices --cluster`, `punchline broker-auth`), for the broker-auth tests.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cliAsync } from './gateway-process.js'
import { connectDevice } from './mqtt-device.js'

export const NODES_LOGIN = { username: 'gw-nodes', password: 'nodes-secret-0042' }

export class ClusterRegistry {
  readonly configFile: string

  /** writes the config the commands read (cluster.postgres and the nodes' login) into `dir` */
  constructor (dir: string, readonly config: Record<string, unknown>) {
    this.configFile = join(dir, 'registry.json')
    writeFileSync(this.configFile, JSON.stringify(config))
  }

  /** runs `punchline ARGS --cluster --config FILE`; its output, or an error with it */
  async run (...args: string[]): Promise<string> {
    const r = await this.attempt(...args)
    if (r.status !== 0) throw new Error(`punchline ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`)
    return r.stdout
  }

  async attempt (...args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> {
    return await cliAsync([...args, '--cluster', '--config', this.configFile])
  }

  /** `devices add ID` or `devices rotate ID`: the secret printed */
  async secret (verb: 'add' | 'rotate', id: string): Promise<string> {
    const stdout = await this.run('devices', verb, id)
    const line = stdout.split('\n').find(l => l.startsWith(id + ' '))
    if (line === undefined) throw new Error(`no secret printed for ${id}: ${stdout}`)
    return line.slice(id.length + 1)
  }
}

/** the broker's refusal of a device's login (its CONNACK return code), or undefined when it let it in */
export async function refusal (url: string, id: string, secret: string): Promise<number | undefined> {
  try {
    const d = await connectDevice(url, id, { secret, subscribe: false })
    await d.close()
    return undefined
  } catch (err) {
    return (err as { code?: number }).code ?? -1
  }
}
