/**
 * A private 3-node NATS cluster (nats-server 2.9, MQTT and JetStream on each): faults/nats-cluster.ts, where
 * the fault suite can use it too (faults/ may not import test/, docs/ARCHITECTURE.md "Folders").
 */
export { NATS_SERVER, NatsCluster, NatsServerProcess, startNatsCluster, type NatsServerPorts, type Teardown } from '../../faults/nats-cluster.js'
