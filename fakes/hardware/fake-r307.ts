/**
 * A fake R307 fingerprint module. `R307Module` answers command packets as the module does (GenImg,
 * Img2Tz, Search); `FakeR307` puts it on the device end of a PTY. A test or the simulator puts a finger
 * on it (one enrolled as a template id, or one it does not know), lifts it, or makes it misbehave.
 */
import {
  encodeR307Packet, R307Framer, R307_CMD, R307_CODE, R307_DEFAULT_ADDRESS, R307_TYPE, type R307Packet
} from '../../device/inputs/serial/r307.js'
import { DevicePort, type WriteOptions } from './device-port.js'

type Finger = { templateId: number, score: number } | { templateId: undefined }

export interface R307ModuleOptions {
  address?: number
  /** library size; a template id outside it is never found */
  capacity?: number
}

export class R307Module {
  readonly address: number
  readonly capacity: number
  /** commands received, by instruction code */
  readonly received = new Map<number, number>()
  /** stop answering, as a module that browned out */
  silent = false
  /** the next n answers go out with a wrong checksum */
  corruptReplies = 0
  /** instruction → confirmation code its next answer gives instead (a messy image, a library fault) */
  readonly failNext = new Map<number, number>()
  #finger?: Finger
  #imaged?: Finger
  #buffer1?: Finger

  constructor (o: R307ModuleOptions = {}) {
    this.address = o.address ?? R307_DEFAULT_ADDRESS
    this.capacity = o.capacity ?? 1000
  }

  /** A finger enrolled as `templateId` is on the sensor. */
  putFinger (templateId: number, score = 120): void { this.#finger = { templateId, score } }
  /** A finger that is in no template. */
  putUnknownFinger (): void { this.#finger = { templateId: undefined } }
  lift (): void { this.#finger = undefined }
  get fingerOn (): boolean { return this.#finger !== undefined }

  count (instruction: number): number { return this.received.get(instruction) ?? 0 }

  /** The answer to a packet, or undefined when the module would say nothing. */
  handle (p: R307Packet): Buffer | undefined {
    if (p.type !== R307_TYPE.command || p.address !== this.address || p.payload.length === 0 || this.silent) return undefined
    const op = p.payload[0]
    this.received.set(op, this.count(op) + 1)
    const fault = this.failNext.get(op)
    this.failNext.delete(op)
    const answer = fault === undefined ? this.#answer(op, p.payload) : [fault]
    const reply = encodeR307Packet({ address: this.address, type: R307_TYPE.ack, payload: Buffer.from(answer) })
    if (this.corruptReplies > 0) {
      this.corruptReplies--
      reply[reply.length - 1] ^= 0xff
    }
    return reply
  }

  #answer (op: number, payload: Buffer): number[] {
    switch (op) {
      case R307_CMD.genImg:
        this.#imaged = this.#finger
        return [this.#finger === undefined ? R307_CODE.noFinger : R307_CODE.ok]
      case R307_CMD.img2Tz:
        if (payload.length < 2 || this.#imaged === undefined) return [0x15]
        this.#buffer1 = this.#imaged
        return [R307_CODE.ok]
      case R307_CMD.search: {
        if (payload.length < 6 || this.#buffer1 === undefined) return [0x15]
        const start = payload.readUInt16BE(2)
        const count = payload.readUInt16BE(4)
        const f = this.#buffer1
        if (f.templateId === undefined || f.templateId < start || f.templateId >= Math.min(start + count, this.capacity)) {
          return [R307_CODE.notFound, 0, 0, 0, 0]
        }
        return [R307_CODE.ok, f.templateId >> 8, f.templateId & 0xff, f.score >> 8, f.score & 0xff]
      }
      default:
        return [R307_CODE.receiveError]
    }
  }
}

export class FakeR307 {
  readonly module: R307Module
  readonly port: DevicePort
  /** checksum failures and stray bytes in what the runtime sent */
  readonly lineFaults = { badChecksum: 0, noiseBytes: 0 }
  /** how answers go out: in small pieces to make them arrive split, as a slow USB adapter does */
  replyWrite: WriteOptions = {}

  private constructor (port: DevicePort, module: R307Module) {
    this.port = port
    this.module = module
    const framer = new R307Framer({
      frame: (p) => {
        const reply = p === undefined ? undefined : module.handle(p)
        if (reply !== undefined && port.isOpen) port.write(reply, this.replyWrite).catch(() => {})
      },
      badChecksum: () => { this.lineFaults.badChecksum++ },
      noise: (n) => { this.lineFaults.noiseBytes += n }
    })
    port.port.on('data', (chunk: Buffer) => framer.push(chunk))
  }

  /** R307 modules ship at 57600 baud. */
  static async open (path: string, o: R307ModuleOptions & { baudRate?: number } = {}): Promise<FakeR307> {
    return new FakeR307(await DevicePort.open(path, o.baudRate ?? 57600), new R307Module(o))
  }

  putFinger (templateId: number, score?: number): void { this.module.putFinger(templateId, score) }
  putUnknownFinger (): void { this.module.putUnknownFinger() }
  lift (): void { this.module.lift() }

  async close (): Promise<void> {
    await this.port.close()
  }
}
