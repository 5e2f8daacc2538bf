/**
 * A simulated terminal: a real ring (the in-memory twin) and the real uplink, punched on a schedule,
 * reporting every punch's fate to the ledger.
 */
import type { Logger } from '../shared/log.js'
import type { PunchInput, PunchKind } from '../shared/punch.js'
import { createMemoryRing, type Ring } from '../device/ring/index.js'
import { Uplink } from '../device/uplink.js'
import type { Ledger } from './ledger.js'

export interface SimDeviceOptions {
  id: string
  url: string
  secret?: string
  capacity: number
  policy?: 'refuse' | 'overwrite-oldest'
  ledger: Ledger
  log: Logger
  random: () => number
  batchSize?: number
  window?: number
  tz?: number
}

export class SimDevice {
  readonly id: string
  readonly ring: Ring
  readonly uplink: Uplink
  readonly #ledger: Ledger
  readonly #random: () => number
  #n = 0

  constructor (o: SimDeviceOptions) {
    this.id = o.id
    this.#ledger = o.ledger
    this.#random = o.random
    this.ring = createMemoryRing({ capacity: o.capacity, policy: o.policy })
    this.uplink = new Uplink({
      url: o.url,
      deviceId: o.id,
      secret: o.secret,
      ring: this.ring,
      batchSize: o.batchSize,
      window: o.window,
      tz: o.tz,
      fw: 'sim',
      log: o.log,
      random: o.random,
      backoff: { baseMs: 200, capMs: 2000 },
      ackTimeoutMs: 10_000
    })
    this.uplink.on('acked', (acked: number[], rejected: number[]) => {
      for (const s of acked) this.#ledger.set(this.id, this.ring.epoch, s, 'acked')
      for (const s of rejected) this.#ledger.set(this.id, this.ring.epoch, s, 'rejected')
    })
    this.uplink.on('rejected', (list: Array<{ seq: number }>) => {
      for (const r of list) this.#ledger.set(this.id, this.ring.epoch, r.seq, 'rejected')
    })
  }

  start (): void { this.uplink.start() }

  async stop (): Promise<void> { await this.uplink.stop() }

  /** One person badges in or out now. */
  punch (now: number): void {
    const kinds: PunchKind[] = ['in', 'out']
    const input: PunchInput = {
      ts: now,
      emp: 'E' + String(1000 + Math.floor(this.#random() * 200)),
      kind: kinds[this.#n++ % 2],
      method: 'card',
      clock: 'synced'
    }
    const r = this.ring.append(input)
    if (!r.ok) { this.#ledger.refused++; return }
    this.#ledger.generated(this.id, this.ring.epoch, r.seq)
    if (r.overwrote !== undefined) this.#ledger.set(this.id, this.ring.epoch, r.overwrote.seq, 'overwritten')
    this.uplink.kick()
  }

  get pending (): number { return this.ring.stats().pending }
}
