/**
 * Devices' last statuses in a cluster's shared store (docs/DESIGN-NOTES.md, "Cluster nodes: device
 * statuses in the shared store"): the node that takes a status (through the shared subscription, so one
 * node) writes it, batched by status-writer.ts; a cluster's console reads them, joined with the device
 * registry, into the single box's device items (GET /api/v1/devices).
 *
 * What a row keeps is what the single box keeps for its device list (gateway/device-live.ts): the last
 * status as sent (a last will included), and the last one that described the device (ring, firmware,
 * clock), so an offline device still shows the backlog it left with.
 */
import type { DeviceStatus } from '../../shared/codec/status.js'
import { statusFields, type DeviceItem } from '../device-live.js'

/** a status a node took */
export interface StatusTaken {
  device: string
  status: DeviceStatus
  /**
   * when the node received it (ms, the node's clock): a device's statuses may reach different nodes and
   * are written in batches, so the write order is not the receipt order; a stored status is replaced only
   * by one received later
   */
  receivedAt: number
  node: string
}

/** a device's row: its last status, and the last one that described it */
export interface StoredStatus {
  device: string
  /** what its last status said: a last will says false */
  online: boolean
  /** the receipt time of its last status */
  lastSeen: number
  /** the receipt time of the first status stored */
  firstSeen: number
  status: DeviceStatus
  described: DeviceStatus | null
  /** the node that took its last status */
  node: string
}

/** a status that says something of the device beyond online: the single box's rule (device-live.ts) */
export function describes (s: DeviceStatus): boolean {
  return s.ring !== undefined || s.fw !== undefined || s.clock !== undefined
}

/** longest node name kept in a row */
export const MAX_STATUS_NODE_CHARS = 64

/** Refuses a row a store should not keep, naming the field and the rule. */
export function checkStatusTaken (r: StatusTaken): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(r.device)) throw new RangeError(`device: must be 1 to 64 letters, digits, _ or - (got '${r.device}')`)
  if (!Number.isSafeInteger(r.receivedAt) || r.receivedAt < 0) throw new RangeError(`receivedAt: must be ms since the epoch (got ${r.receivedAt})`)
}

/**
 * One row per device, the latest received, each checked: a store writes a device once per statement
 * (PostgreSQL refuses an upsert touching a row twice). The described status carries over from an earlier
 * row of the same call when the latest does not describe the device.
 */
export function latestPerDevice (rows: readonly StatusTaken[]): Array<StatusTaken & { described: DeviceStatus | null }> {
  const out = new Map<string, StatusTaken & { described: DeviceStatus | null }>()
  for (const r of rows) {
    checkStatusTaken(r)
    const had = out.get(r.device)
    if (had !== undefined && had.receivedAt > r.receivedAt) {
      if (had.described === null && describes(r.status)) had.described = r.status
      continue
    }
    out.set(r.device, { ...r, node: r.node.slice(0, MAX_STATUS_NODE_CHARS), described: describes(r.status) ? r.status : (had?.described ?? null) })
  }
  return [...out.values()].sort((a, b) => a.device < b.device ? -1 : a.device > b.device ? 1 : 0)
}

/** The statuses a store with one writer keeps in memory (sqlite-cluster-store.ts), as NodeBook keeps heartbeats. */
export class StatusBook {
  readonly #rows = new Map<string, StoredStatus>()

  save (rows: readonly StatusTaken[]): number {
    let written = 0
    for (const r of latestPerDevice(rows)) {
      const had = this.#rows.get(r.device)
      if (had !== undefined && had.lastSeen > r.receivedAt) continue
      this.#rows.set(r.device, {
        device: r.device,
        online: r.status.online,
        lastSeen: r.receivedAt,
        firstSeen: had?.firstSeen ?? r.receivedAt,
        status: r.status,
        described: r.described ?? had?.described ?? null,
        node: r.node
      })
      written++
    }
    return written
  }

  list (limit: number): StoredStatus[] {
    return [...this.#rows.values()].sort((a, b) => a.device < b.device ? -1 : 1).slice(0, limit)
  }
}

/** a registered device of the cluster (device_credentials), without its hashes */
export interface RegisteredDevice { id: string, created: number }

/**
 * The single box's device item for a cluster's device: registered, seen (a stored status), or both. A
 * registered device never seen is offline with nothing known; a device seen but not registered (a broker
 * that lets anyone in) has no secret. `online` is what its last status said: the cluster's broker tells the
 * nodes of a device's end only by its last will.
 */
export function clusterDeviceItem (registered: RegisteredDevice | undefined, seen: StoredStatus | undefined, site: string | null): DeviceItem {
  const id = registered?.id ?? seen?.device ?? ''
  return {
    id,
    created: registered?.created ?? seen?.firstSeen ?? 0,
    lastSeen: seen?.lastSeen ?? null,
    status: seen?.status ?? null,
    hasSecret: registered !== undefined,
    online: seen?.online ?? false,
    site,
    ...statusFields(seen?.status, seen?.described)
  }
}

/** most devices one evaluation of a cluster's alarms reads (docs/DESIGN-NOTES.md, "Device alarms for a cluster") */
export const MAX_DEVICE_ALARM_ROWS = 1000

/**
 * Which devices a cluster's console reads for its device alarms: those past any of the single box's
 * device thresholds (alarms.ts deviceAlarms), at most `limit`.
 */
export interface DeviceAlarmQuery {
  /** a device last seen (or, never seen, registered) at or before this (ms) is silent; null: the alarm is off */
  silentSince: number | null
  /** ring fill (pending / capacity) from which a ring is nearly full (alarms.ts RING_WARN_FILL) */
  ringFill: number
  /** rules.clockSkewMs: a clock correction larger than this is raised */
  clockSkewMs: number
  limit: number
}
