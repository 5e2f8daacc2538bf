/**
 * `punchline gateway --cluster`: runs one cluster node (cluster-node.ts) until SIGTERM/SIGINT, then lets
 * the batches it took get their answer and exits 0. A node that dies instead loses nothing: what it did
 * not ack the devices send again, and the batches it was delivering go to another node after their lease.
 */
import type { Logger } from '../../../shared/log.js'
import type { GatewayConfig } from '../../config.js'
import { stopOnSignals } from '../../cli/stop-on-signal.js'
import { ClusterNode } from './cluster-node.js'

export async function runClusterNode (config: GatewayConfig, log: Logger): Promise<number> {
  const node = new ClusterNode(config, log)
  stopOnSignals(async () => await node.stop(), log, 'stopping the cluster node')
  try {
    await node.start()
  } catch (err) {
    log.fatal({ err }, 'cluster node failed to start; exiting')
    log.flush()
    process.stderr.write(`punchline: ${(err as Error).message}\n`)
    process.exit(1)
  }
  log.info({ node: node.nodeId }, 'cluster node running')
  return -1
}
