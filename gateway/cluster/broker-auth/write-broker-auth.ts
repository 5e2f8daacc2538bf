/**
 * `punchline broker-auth`: the cluster broker's login and topic rules, written from the device registry
 * in the shared store and the nodes' login of the config. Each file is replaced whole (write-atomic.ts);
 * the broker reads it when told to reload (docs/OPERATIONS.md, "Device secrets and ACLs on the cluster's
 * broker").
 */
import { join } from 'node:path'
import { Topics } from '../../../shared/topics.js'
import type { ClusterAdmin } from '../cluster-admin.js'
import { mosquittoHash, natsHash } from './hashes.js'
import { checkNodesLogin, type NodesLogin } from './nodes-user.js'
import { mosquittoAclFile, mosquittoPasswordFile } from './mosquitto-files.js'
import { natsAuthorization } from './nats-authorization.js'
import { writeFileAtomic } from './write-atomic.js'

export type BrokerKind = 'mosquitto' | 'nats'

export interface WriteOptions {
  kind: BrokerKind
  /** mosquitto: the directory that gets `password_file` and `acl_file`; nats: the file to write */
  out: string
  topicPrefix: string
  nodes: NodesLogin
}

/** the files written, and how many devices they let in */
export interface Written { files: string[], devices: number }

export const MOSQUITTO_PASSWORD_FILE = 'password_file'
export const MOSQUITTO_ACL_FILE = 'acl_file'

export async function writeBrokerAuth (admin: ClusterAdmin, o: WriteOptions): Promise<Written> {
  const topics = new Topics(o.topicPrefix)
  const devices = await admin.listDevices()
  checkNodesLogin(o.nodes, devices)
  if (o.kind === 'nats') {
    const text = natsAuthorization(topics, devices, { username: o.nodes.username, hash: await natsHash(o.nodes.password) })
    writeFileAtomic(o.out, text)
    return { files: [o.out], devices: devices.length }
  }
  const passwords = join(o.out, MOSQUITTO_PASSWORD_FILE)
  const acl = join(o.out, MOSQUITTO_ACL_FILE)
  // The ACL first: a broker reloading between the two writes then has the new rules with the old logins,
  // which are the same rules (the ACL does not name devices).
  writeFileAtomic(acl, mosquittoAclFile(topics, o.nodes.username))
  writeFileAtomic(passwords, mosquittoPasswordFile(devices, { username: o.nodes.username, hash: await mosquittoHash(o.nodes.password) }))
  return { files: [passwords, acl], devices: devices.length }
}
