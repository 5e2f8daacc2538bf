/**
 * A cluster node as a child process: faults/cluster-node-process.ts, where the fault suite can use it too
 * (faults/ may not import test/, docs/ARCHITECTURE.md "Folders").
 */
export { ClusterNodeProcess, startClusterNode, type NodeCountsLine } from '../../faults/cluster-node-process.js'
