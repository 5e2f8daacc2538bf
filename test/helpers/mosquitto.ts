/**
 * A private Mosquitto 2 broker for one test file (fakes/servers/mosquitto-broker.ts: one listener on
 * 127.0.0.1 on a free port, anonymous clients allowed, persistence off), stopped and removed at teardown.
 * The stand-in for "any broker with shared subscriptions" in cluster tests.
 */
import type { ChildProcess } from 'node:child_process'
import type { Test } from 'tap'
import { startMosquittoBroker, type MosquittoAuthFiles } from '../../fakes/servers/mosquitto-broker.js'

export { MOSQUITTO } from '../../fakes/servers/mosquitto-broker.js'

export interface PrivateMosquitto {
  url: string
  port: number
  /** the nodes' listener: `url` unless started with the cluster's broker files */
  nodesUrl: string
  process: ChildProcess
  /** SIGHUP: the password and ACL files read again */
  reload: () => void
}

export async function startMosquitto (t: Test, o: { auth?: MosquittoAuthFiles } = {}): Promise<PrivateMosquitto> {
  const broker = await startMosquittoBroker(o)
  t.teardown(broker.stop)
  return { url: broker.url, port: broker.port, nodesUrl: broker.nodesUrl, process: broker.process, reload: broker.reload }
}
