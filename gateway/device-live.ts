/**
 * Devices as the console shows them (GET /api/v1/devices, `device` events): the registry row, whether the
 * device is connected to this gateway's broker now, its site, and what its last status said (ring fill,
 * oldest unsent punch, clock offset, battery, firmware). Publishes a `device` event when a device comes
 * online, goes offline, sends a status, or is added, removed or given a new secret.
 *
 * A device's last will (`{"v":1,"online":false}`) replaces its saved status, so the last status that
 * described the device is kept here too: an offline device still shows the backlog it left with. It is
 * held for the devices seen since the gateway started, one entry each.
 */
import type { Aedes, Client } from 'aedes'
import type { DeviceStatus } from '../shared/codec/status.js'
import type { DeviceRow, DeviceStore } from './store/device-store.js'
import type { SiteMap } from './rules/sites.js'
import type { DeviceChange, LiveEvents } from './events/live-events.js'

export interface DeviceItem extends DeviceRow {
  /** connected to this gateway's broker now */
  online: boolean
  /** the config's site the device belongs to (`sites`), null when none */
  site: string | null
  ring: { pending: number, capacity: number, fill: number, oldestPendingTs: number | null } | null
  /** the correction the device applied over its own clock at the gateway's last time command */
  clockOffsetMs: number | null
  clockSynced: boolean | null
  /** 0..1 */
  battery: number | null
  firmware: string | null
  /** the device's storage epoch (docs/PROTOCOL.md, "Punch batch") */
  epoch: string | null
}

export class DeviceLive {
  readonly #devices: DeviceStore
  readonly #sites: SiteMap
  readonly #events: LiveEvents
  readonly #described = new Map<string, DeviceStatus>()
  #broker?: Aedes

  constructor (devices: DeviceStore, sites: SiteMap, events: LiveEvents) {
    this.#devices = devices
    this.#sites = sites
    this.#events = events
  }

  /** Follows the broker's connections from now on (before this, every device is offline). */
  attach (broker: Aedes): void {
    this.#broker = broker
    broker.on('client', (client: Client) => this.changed(client.id, 'online'))
    broker.on('clientDisconnect', (client: Client) => this.changed(client.id, 'offline'))
  }

  /** The device's connection on this gateway's broker, if it has one. */
  client (id: string): Client | undefined {
    const clients = (this.#broker as unknown as { clients?: Record<string, Client> } | undefined)?.clients
    return clients?.[id]
  }

  /** Ends the device's connection, if it has one (its secret changed, or it was removed); true when it had one. */
  disconnect (id: string): boolean {
    const client = this.client(id)
    if (client === undefined) return false
    client.close()
    return true
  }

  isOnline (id: string): boolean {
    return this.client(id) !== undefined
  }

  /** How many devices are connected now (the broker's clients are the devices: client id = device id). */
  onlineCount (): number {
    return this.#broker?.connectedClients ?? 0
  }

  /** A status the device sent (device-sessions.ts). */
  status (id: string, status: DeviceStatus): void {
    if (status.ring !== undefined || status.fw !== undefined || status.clock !== undefined) this.#described.set(id, status)
    this.changed(id, 'status')
  }

  /** Tells the streams; builds the item only when one listens. */
  changed (id: string, change: DeviceChange): void {
    if (change === 'removed') this.#described.delete(id)
    if (!this.#events.listening) return
    const item = this.get(id)
    this.#events.publish('device', { ...(item ?? { id }), change })
  }

  get (id: string): DeviceItem | undefined {
    const row = this.#devices.get(id)
    return row === undefined ? undefined : this.#item(row)
  }

  list (): DeviceItem[] {
    return this.#devices.list().map(r => this.#item(r))
  }

  #item (row: DeviceRow): DeviceItem {
    const site = this.#sites.of(row.id).site
    return {
      ...row,
      online: this.isOnline(row.id),
      site: site === '' ? null : site,
      ...statusFields(row.status, this.#described.get(row.id))
    }
  }
}

export type StatusFields = Pick<DeviceItem, 'ring' | 'clockOffsetMs' | 'clockSynced' | 'battery' | 'firmware' | 'epoch'>

/**
 * What a device's item shows of its statuses: the last one, or when it says nothing of the ring (a last
 * will), the last one that described the device. Also a cluster's console's (gateway/cluster/device-statuses.ts).
 */
export function statusFields (saved: DeviceStatus | null | undefined, described: DeviceStatus | null | undefined): StatusFields {
  const s = saved?.ring !== undefined ? saved : (described ?? saved)
  const ring = s?.ring
  return {
    ring: ring === undefined ? null : { pending: ring.pending, capacity: ring.capacity, fill: ring.capacity > 0 ? ring.pending / ring.capacity : 0, oldestPendingTs: ring.oldestPendingTs },
    clockOffsetMs: s?.clock?.offsetMs ?? null,
    clockSynced: s?.clock?.synced ?? null,
    battery: s?.battery ?? null,
    firmware: s?.fw ?? null,
    epoch: s?.epoch ?? null
  }
}
