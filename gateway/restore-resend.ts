/**
 * After a restore the gateway's file holds less than the devices were told: punches acked after the backup
 * are freed on the devices, though most are still physically in their rings. On a marked file (meta
 * `restored_at`, set by `punchline restore`, or here when a corrupt file was moved aside) each device is
 * asked once per restore to resend what it may hold and the file lacks (store/resend-plan.ts); it sends
 * what it still has, and INSERT OR IGNORE keeps one copy. What was asked is kept in restore_resends.
 *
 * A device is asked when it comes online (subscribes to its commands), from what the file knows of it: the
 * saved status (epoch, ring capacity) and the punches stored. A device the file knows nothing of needs
 * nothing at that point (it sends its pending punches anyway), but once some of its punches are stored its
 * next status gets it asked too: that is the whole of the corrupt-file case, whose new file starts empty.
 */
import type { Db } from './store/db.js'
import type { Logger } from '../shared/log.js'
import type { Command } from '../shared/codec/command.js'
import type { DeviceStatus } from '../shared/codec/status.js'
import { markRestored, readRestoreMark, type RestoreMark } from './store/backup.js'
import { planEpoch, recordAsked, storedEpochs, wasAsked } from './store/resend-plan.js'

/** Ring slots assumed for a device whose status never said; a terminal profile's default. */
export const DEFAULT_CAPACITY = 100_000
/** The device ring's own bound (device/ring/ring.ts MAX_CAPACITY); a larger claim is not believed. */
const MAX_CAPACITY = 1 << 24

export interface RestoreResendOptions {
  db: Db
  log: Logger
  send: (device: string, command: Command) => void
  now: () => number
  /** set when the gateway moved a corrupt file here and starts on an empty one: marks the new file */
  corruptKeptAs?: string
  /**
   * a device's last status as the gateway knows it, written or not yet (the device store writes once a
   * second); read from the file when not given
   */
  statusOf?: (device: string) => DeviceStatus | null | undefined
}

export class RestoreResend {
  readonly mark: RestoreMark | undefined
  readonly #o: RestoreResendOptions
  /** devices already asked for this restore, so a status costs no query once a device is done */
  readonly #asked = new Set<string>()

  constructor (o: RestoreResendOptions) {
    this.#o = o
    if (o.corruptKeptAs !== undefined) markRestored(o.db, { at: o.now(), reason: 'corrupt', from: o.corruptKeptAs })
    this.mark = readRestoreMark(o.db)
    if (this.mark !== undefined) {
      o.log.info({ restore: this.mark }, 'this database was restored: each device is asked once to resend the punches it may hold and the database lacks')
    }
  }

  /** The device subscribed to its commands: ask from what the file knows, saved status included. */
  onConnect (device: string): void {
    if (!this.#pending(device)) return
    const status = this.#statusOf(device)
    this.#ask(device, status, status?.epoch)
  }

  /**
   * A fresh status: asks a device not asked yet once punches of it are stored. Its epoch alone is not
   * enough: with nothing stored the highest seq is unknown, and asking from seq 1 misses a ring past C.
   */
  onStatus (device: string, status: DeviceStatus): void {
    // An offline status comes as the device leaves: a command now would reach no one.
    if (!status.online || !this.#pending(device)) return
    this.#ask(device, status, undefined)
  }

  #pending (device: string): boolean {
    const mark = this.mark
    if (mark === undefined || this.#asked.has(device)) return false
    if (!wasAsked(this.#o.db, mark.at, device)) return true
    this.#asked.add(device)
    return false
  }

  #ask (device: string, status: DeviceStatus | undefined, statusEpoch: string | undefined): void {
    const { db, log, now, send } = this.#o
    const epochs = new Set(storedEpochs(db, device).map(e => e.epoch))
    if (statusEpoch !== undefined) epochs.add(statusEpoch)
    if (epochs.size === 0) return
    let capacity = status?.ring?.capacity
    if (capacity === undefined || capacity < 2 || capacity > MAX_CAPACITY) {
      log.info({ device, said: capacity, assumed: DEFAULT_CAPACITY }, 'no usable ring capacity known for this device; asking for a resend as if its ring had the default size')
      capacity = DEFAULT_CAPACITY
    }
    const plans = [...epochs].map(epoch => planEpoch(db, device, epoch, capacity))
    // Recorded before sending: a crash in between loses one ask, never repeats a storm of them.
    recordAsked(db, this.mark!.at, device, now(), plans)
    this.#asked.add(device)
    for (const p of plans) {
      for (const [from, to] of p.ranges) send(device, { v: 1, op: 'resend', epoch: p.epoch, from, to })
    }
    log.info({
      device,
      restoredAt: this.mark!.at,
      asked: plans.map(p => ({ epoch: p.epoch, highest: p.highest, capacity: p.capacity, ranges: p.ranges, collapsed: p.collapsed }))
    }, 'asked device to resend what the restored database may lack')
  }

  #statusOf (device: string): DeviceStatus | undefined {
    if (this.#o.statusOf !== undefined) return this.#o.statusOf(device) ?? undefined
    const row = this.#o.db.prepare('SELECT status FROM devices WHERE id = ?').get(device) as { status: string | null } | undefined
    return row?.status == null ? undefined : JSON.parse(row.status) as DeviceStatus
  }
}
