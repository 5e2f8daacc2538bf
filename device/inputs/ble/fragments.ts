/**
 * A notification carries at most ATT_MTU - 3 bytes, 20 with the default MTU of 23, and a punch frame may
 * be up to 300. So every notification is one fragment: a header byte (bit 7 set on the last fragment of a
 * frame, bits 0-6 the fragment's index from 0) and then the next slice of the frame. A frame that fits
 * goes as one notification with header 0x80. Notifications on one link arrive in order, so reassembly
 * only has to notice a gap (a lost notification, a peer that restarted mid-frame) and start again; the
 * CRC at the end of the frame catches what the indices cannot.
 */
import { ATT_DEFAULT_MTU } from './gatt.js'
import { MAX_FRAME_BYTES } from './frames.js'

export const FRAGMENT_LAST = 0x80
const INDEX_MASK = 0x7f

/** Splits a frame into notifications for a link with this ATT MTU (at least the default 23 is assumed). */
export function fragmentFrame (frame: Uint8Array, mtu: number = ATT_DEFAULT_MTU): Buffer[] {
  const usable = Number.isFinite(mtu) ? Math.min(Math.max(Math.floor(mtu), ATT_DEFAULT_MTU), 515) : ATT_DEFAULT_MTU
  const slice = usable - 3 - 1
  const out: Buffer[] = []
  for (let at = 0, index = 0; at < frame.length || index === 0; at += slice, index++) {
    const part = frame.subarray(at, at + slice)
    const last = at + slice >= frame.length
    out.push(Buffer.concat([Buffer.from([(last ? FRAGMENT_LAST : 0) | (index & INDEX_MASK)]), part]))
  }
  return out
}

export interface ReassemblySink {
  frame (bytes: Buffer): void
  /** notification bytes (headers included) thrown away, and why */
  noise (bytes: number, why: string): void
}

export class Reassembler {
  readonly #maxFrameBytes: number
  #parts: Buffer[] = []
  #size = 0
  #rawBytes = 0
  #next = 0

  constructor (maxFrameBytes = MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes
  }

  push (notification: Uint8Array, sink: ReassemblySink): void {
    if (notification.length === 0) {
      sink.noise(0, 'empty notification')
      return
    }
    const index = notification[0] & INDEX_MASK
    if (index === 0) {
      if (this.#rawBytes > 0) this.#drop(sink, 0, 'frame cut short: the next one began')
    } else if (index !== this.#next) {
      this.#drop(sink, notification.length, `fragment ${index} out of order (expected ${this.#next})`)
      return
    }
    this.#parts.push(Buffer.from(notification.subarray(1)))
    this.#size += notification.length - 1
    this.#rawBytes += notification.length
    if (this.#size > this.#maxFrameBytes) {
      this.#drop(sink, 0, `frame longer than ${this.#maxFrameBytes} bytes`)
      return
    }
    if ((notification[0] & FRAGMENT_LAST) !== 0) {
      const frame = Buffer.concat(this.#parts, this.#size)
      this.#clear()
      sink.frame(frame)
    } else {
      this.#next = index + 1
    }
  }

  /** The link went away: a partial frame is noise (the peer sends it again whole). */
  reset (sink: ReassemblySink): void {
    if (this.#rawBytes > 0) this.#drop(sink, 0, 'link lost mid-frame')
  }

  #drop (sink: ReassemblySink, extra: number, why: string): void {
    const bytes = this.#rawBytes + extra
    this.#clear()
    sink.noise(bytes, why)
  }

  #clear (): void {
    this.#parts = []
    this.#size = 0
    this.#rawBytes = 0
    this.#next = 0
  }
}
