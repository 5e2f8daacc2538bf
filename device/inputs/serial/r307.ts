/**
 * R307-class fingerprint modules (R30x, ZFM-20, AS608 share the protocol): packets are EF 01, a 4-byte
 * address, a type, a big-endian length (payload + 2), the payload and a big-endian 16-bit sum of type,
 * length and payload. Framed here because serialport's PacketLengthParser reads lengths little-endian.
 *
 * The driver asks, the module answers: GenImg until a finger is there, Img2Tz into buffer 1, Search the
 * library. A match is a read of the template id (the page) as a decimal string; then it waits for the
 * finger to lift, so one touch is one read however long the finger stays.
 */
import type { DecodeSink, ProtocolEvents, SerialProtocol } from './protocol.js'
import { withDefaults } from '../../../shared/options.js'

export const R307_TYPE = { command: 0x01, data: 0x02, ack: 0x07, end: 0x08 } as const
export const R307_CMD = { genImg: 0x01, img2Tz: 0x02, search: 0x04 } as const
export const R307_CODE = { ok: 0x00, receiveError: 0x01, noFinger: 0x02, imageFailed: 0x03, messyImage: 0x06, fewFeatures: 0x07, notFound: 0x09 } as const
export const R307_DEFAULT_ADDRESS = 0xffffffff

const CODE_NAMES: Record<number, string> = {
  0x01: 'packet receive error',
  0x02: 'no finger',
  0x03: 'image capture failed',
  0x06: 'image too messy',
  0x07: 'too few feature points',
  0x09: 'no match',
  0x0b: 'page out of range',
  0x15: 'no valid image in buffer'
}
const codeText = (code: number): string => `0x${code.toString(16).padStart(2, '0')} (${CODE_NAMES[code] ?? 'module error'})`

/** Packets above this are a corrupt length, not data: the module sends at most 256-byte data packets. */
const MAX_LENGTH = 258
const HEADER_BYTES = 9

export interface R307Packet {
  address: number
  type: number
  payload: Buffer
}

function sumOf (buf: Buffer, from: number, to: number): number {
  let sum = 0
  for (let i = from; i < to; i++) sum += buf[i]
  return sum & 0xffff
}

export function encodeR307Packet (p: R307Packet): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + p.payload.length + 2)
  out[0] = 0xef
  out[1] = 0x01
  out.writeUInt32BE(p.address >>> 0, 2)
  out[6] = p.type
  out.writeUInt16BE(p.payload.length + 2, 7)
  p.payload.copy(out, HEADER_BYTES)
  out.writeUInt16BE(sumOf(out, 6, out.length - 2), out.length - 2)
  return out
}

/**
 * Resync: a byte that cannot start a packet (no EF 01, an impossible type or length) is noise; a packet
 * whose checksum fails is dropped whole, as its length says. A packet cut short holds back what follows
 * until its length has arrived or `reset()` is called, which R307Driver does when a command goes
 * unanswered.
 */
export class R307Framer {
  readonly #sink: DecodeSink<R307Packet>
  #pending: Buffer = Buffer.alloc(0)

  constructor (sink: DecodeSink<R307Packet>) {
    this.#sink = sink
  }

  push (chunk: Buffer): void {
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    let i = 0
    let skipped = 0
    while (i < buf.length) {
      if (buf[i] !== 0xef || (i + 1 < buf.length && buf[i + 1] !== 0x01)) { skipped++; i++; continue }
      if (buf.length - i < HEADER_BYTES) break
      const type = buf[i + 6]
      const length = buf.readUInt16BE(i + 7)
      if (length < 2 || length > MAX_LENGTH || !(type === 0x01 || type === 0x02 || type === 0x07 || type === 0x08)) {
        skipped++; i++; continue
      }
      const end = i + HEADER_BYTES + length
      if (end > buf.length) break
      if (sumOf(buf, i + 6, end - 2) !== buf.readUInt16BE(end - 2)) {
        this.#sink.badChecksum(buf.toString('hex', i, end))
      } else {
        this.#sink.frame({ address: buf.readUInt32BE(i + 2), type, payload: Buffer.from(buf.subarray(i + HEADER_BYTES, end - 2)) })
      }
      i = end
    }
    if (skipped > 0) this.#sink.noise(skipped, 'bytes outside a packet')
    this.#pending = Buffer.from(buf.subarray(i))
  }

  reset (): void {
    if (this.#pending.length > 0) this.#sink.noise(this.#pending.length, 'partial packet dropped')
    this.#pending = Buffer.alloc(0)
  }
}

export interface R307DriverOptions {
  /** the module's address, 0xFFFFFFFF unless it was changed */
  address?: number
  /** pause between GenImg polls */
  pollMs?: number
  /** a command not answered in this time counts as an error and is asked again */
  commandTimeoutMs?: number
  /** the library pages searched */
  startPage?: number
  pageCount?: number
}

export class R307Driver implements SerialProtocol {
  readonly #o: Required<R307DriverOptions>
  readonly #events: ProtocolEvents
  readonly #framer: R307Framer
  #write?: (bytes: Buffer) => void
  /** bumped on every open and close, so a loop from an old connection stops at its next step */
  #generation = 0
  #ackWaiter?: (payload: Buffer | undefined) => void
  #sleeper?: () => void
  #timer?: NodeJS.Timeout
  /** encoded once: GenImg goes out several times a second for as long as the device runs */
  readonly #packets: { genImg: Buffer, img2Tz: Buffer, search: Buffer }

  constructor (opts: R307DriverOptions, events: ProtocolEvents) {
    const o = this.#o = withDefaults({ address: R307_DEFAULT_ADDRESS, pollMs: 200, commandTimeoutMs: 1000, startPage: 0, pageCount: 1000 }, opts)
    const packet = (payload: number[]): Buffer => encodeR307Packet({ address: o.address, type: R307_TYPE.command, payload: Buffer.from(payload) })
    this.#packets = {
      genImg: packet([R307_CMD.genImg]),
      img2Tz: packet([R307_CMD.img2Tz, 1]),
      search: packet([R307_CMD.search, 1, o.startPage >> 8, o.startPage & 0xff, o.pageCount >> 8, o.pageCount & 0xff])
    }
    this.#events = events
    this.#framer = new R307Framer({
      frame: (p) => this.#onPacket(p),
      badChecksum: (raw) => events.badChecksum(raw),
      noise: (n, why) => events.noise(n, why)
    })
  }

  push (chunk: Buffer): void {
    this.#framer.push(chunk)
  }

  opened (write: (bytes: Buffer) => void): void {
    this.#write = write
    const generation = ++this.#generation
    this.#run(generation).catch(err => this.#events.error(`fingerprint loop failed: ${(err as Error).message}`))
  }

  closed (): void {
    this.#generation++
    this.#write = undefined
    this.#settle(undefined)
    this.#framer.reset()
  }

  #onPacket (p: R307Packet | undefined): void {
    if (p === undefined) return
    this.#events.frame()
    if (p.type !== R307_TYPE.ack || p.address !== (this.#o.address >>> 0) || p.payload.length === 0) {
      this.#events.error(`unexpected packet type 0x${p.type.toString(16)} from address ${p.address.toString(16)}`)
      return
    }
    if (this.#ackWaiter === undefined) {
      // An answer that came after its command timed out: acks carry no command, so taking it as the
      // answer to the next one could turn a GenImg code into a Search result.
      this.#events.error('late acknowledgement ignored')
      return
    }
    this.#settle(p.payload)
  }

  /** Ends whatever the loop waits for: an ack (with its payload), a timeout or sleep (undefined). */
  #settle (payload: Buffer | undefined): void {
    clearTimeout(this.#timer)
    const ack = this.#ackWaiter
    const sleeper = this.#sleeper
    this.#ackWaiter = undefined
    this.#sleeper = undefined
    ack?.(payload)
    sleeper?.()
  }

  /** Resolves after `ms`, or at once when the port closes. */
  #sleep (ms: number): Promise<void> {
    return new Promise(resolve => {
      this.#sleeper = resolve
      this.#timer = setTimeout(() => this.#settle(undefined), ms)
    })
  }

  /** The ack's payload (confirmation code first), or undefined on timeout or close. */
  #command (packet: Buffer): Promise<Buffer | undefined> {
    return new Promise(resolve => {
      this.#ackWaiter = resolve
      this.#timer = setTimeout(() => this.#settle(undefined), this.#o.commandTimeoutMs)
      this.#write?.(packet)
    })
  }

  async #ask (generation: number, name: string, packet: Buffer): Promise<Buffer | undefined> {
    const ack = await this.#command(packet)
    if (generation !== this.#generation) return undefined
    if (ack === undefined) {
      this.#events.error(`${name}: no answer within ${this.#o.commandTimeoutMs} ms`)
      // The module answers each command with one packet, so a partial packet still held now is a broken
      // answer. Found by fuzzing (test/fuzz-serial.test.ts): an answer cut short (a byte lost on the line)
      // or with a damaged length kept the framer waiting for up to 258 bytes, and it took the next
      // answers with it: up to some 20 commands, each a timeout, before the reader heard a finger again.
      this.#framer.reset()
    }
    return ack
  }

  async #run (generation: number): Promise<void> {
    let waitForLift = false
    while (generation === this.#generation) {
      const img = await this.#ask(generation, 'GenImg', this.#packets.genImg)
      if (img !== undefined) {
        const code = img[0]
        if (code === R307_CODE.noFinger) {
          waitForLift = false
        } else if (code !== R307_CODE.ok) {
          this.#events.error(`GenImg: ${codeText(code)}`)
        } else if (!waitForLift) {
          waitForLift = await this.#identify(generation)
        }
      }
      if (generation !== this.#generation) return
      await this.#sleep(this.#o.pollMs)
    }
  }

  /** Img2Tz then Search on the finger just imaged; true when the touch had an outcome (match or not). */
  async #identify (generation: number): Promise<boolean> {
    const tz = await this.#ask(generation, 'Img2Tz', this.#packets.img2Tz)
    if (tz === undefined) return false
    if (tz[0] !== R307_CODE.ok) {
      // A smudged or partial image: the finger is probably still there, so the next poll tries again.
      this.#events.error(`Img2Tz: ${codeText(tz[0])}`)
      return false
    }
    const found = await this.#ask(generation, 'Search', this.#packets.search)
    if (found === undefined) return false
    if (found[0] === R307_CODE.ok && found.length >= 5) {
      this.#events.credential(String(found.readUInt16BE(1)))
      return true
    }
    if (found[0] === R307_CODE.notFound) {
      this.#events.noMatch()
      return true
    }
    this.#events.error(`Search: ${codeText(found[0])}`)
    return false
  }
}
