/**
 * An in-process stand-in for BlueZ on a D-Bus bus (a private dbus-daemon in tests), serving what node-ble
 * 1.13 uses: introspection child nodes under /org/bluez (adapters), /org/bluez/hci0 (devices), a device
 * (GATT services) and a service (characteristics); Properties Get/GetAll/PropertiesChanged; Adapter1
 * SetDiscoveryFilter/StartDiscovery/StopDiscovery; Device1 Connect/Disconnect; GattCharacteristic1
 * ReadValue/WriteValue/StartNotify/StopNotify with notifications as PropertiesChanged on `Value`.
 * Plus what BlueZ does and node-ble does not read: ObjectManager at / with InterfacesAdded/Removed, and
 * AgentManager1 on /org/bluez (node-ble's Bluetooth object requires that interface to exist).
 *
 * Like BlueZ, discovery is a session per D-Bus client, ended when that client leaves the bus; a watch in
 * range shows up only while someone discovers; GATT objects exist only while the watch is connected.
 * Each watch is a peripheral speaking the BLE GATT layout of docs/PROTOCOL.md: it notifies its unacked
 * punches when subscribed, and deletes one only when an ack frees it.
 */
import dbus from 'dbus-next'
import { decodeAckFrame, encodePunchFrame, ackFreesPunch, describeFrameError, type AckFrame, type PunchFrame } from '../../device/inputs/ble/frames.js'
import { fragmentFrame } from '../../device/inputs/ble/fragments.js'
import { ACK_CHARACTERISTIC_UUID, PUNCH_CHARACTERISTIC_UUID } from '../../device/inputs/ble/gatt.js'
import { Adapter1, AgentManager1, Device1, GattCharacteristic1, GattService1, ObjectManager, changed, failed, nameOf, propsOf, type Iface, type Peripheral } from './fake-bluez-objects.js'

export interface FakeWatchOptions {
  /** "AA:BB:CC:DD:EE:FF" */
  address: string
  name?: string
  /** the ATT MTU the watch negotiates; notifications carry MTU - 3 bytes (default 23) */
  mtu?: number
  /** punches stored on the watch, sent once something subscribes */
  punches?: PunchFrame[]
  /** in range from the start (default true) */
  present?: boolean
  /**
   * notify the stored punches inside StartNotify, before its reply goes out, all but the last notification,
   * which follows 50 ms later: a frame then straddles the reply (BlueZ promises no order between them)
   */
  eager?: boolean
}

/** A watch or badge: its punch store, the acks it got, and its radio (in range, connected). */
export class FakeWatch implements Peripheral {
  readonly address: string
  readonly name: string
  readonly mtu: number
  readonly eager: boolean
  /** every ack the device wrote, in order */
  readonly acks: AckFrame[] = []
  /** ack writes the watch could not read */
  readonly badAcks: string[] = []
  /** successful Connect calls */
  connects = 0
  readonly #bluez: FakeBluez
  readonly #pending = new Map<number, Buffer>()
  readonly #sent = new Map<number, Buffer>()
  readonly #device: Device1
  readonly #path: string
  #present: boolean
  #exported = false
  #gatt?: { punch: GattCharacteristic1, ack: GattCharacteristic1 }

  constructor (bluez: FakeBluez, o: FakeWatchOptions) {
    this.address = o.address.toUpperCase()
    this.name = o.name ?? `watch-${this.address.slice(-5).replace(':', '')}`
    this.mtu = o.mtu ?? 23
    this.eager = o.eager ?? false
    this.#bluez = bluez
    this.#present = o.present ?? true
    this.#path = `${bluez.adapterPath}/dev_${this.address.replace(/:/g, '_')}`
    this.#device = new Device1(this, bluez.adapterPath)
    for (const p of o.punches ?? []) this.store(p)
  }

  get path (): string { return this.#path }
  get present (): boolean { return this.#present }
  get visible (): boolean { return this.#exported }
  get connected (): boolean { return this.#device.Connected }
  get subscribed (): boolean { return this.#gatt?.punch.Notifying === true }
  /** frame numbers still stored on the watch, waiting for an ack that frees them */
  get pending (): number[] { return [...this.#pending.keys()] }

  /** Stores a punch and, when subscribed, notifies it at once. */
  punch (frame: PunchFrame): void {
    this.store(frame)
    if (this.subscribed) this.#send(this.#pending.get(frame.n)!)
  }

  /** Sends every pending punch again, as a watch does when an ack is overdue. */
  resend (): void { for (const f of this.#pending.values()) this.#send(f) }

  /** Sends the frame numbered `n` again even if it was acked (an ack lost on the air). */
  sendAgain (n: number): void {
    const f = this.#sent.get(n)
    if (f === undefined) throw new Error(`watch ${this.address}: no frame ${n}`)
    this.#send(f)
  }

  /** Sends a frame's bytes as they are (fragmented to the MTU); for frames no encoder would make. */
  sendFrameBytes (bytes: Buffer): void { this.#send(bytes) }

  /** Sends one notification as it is, no fragment header added. */
  sendRaw (notification: Buffer): void {
    if (!this.subscribed) throw new Error(`watch ${this.address}: not subscribed`)
    this.#gatt!.punch.Value = notification
    changed(this.#gatt!.punch, { Value: notification })
  }

  /** The link drops (supervision timeout): Connected false, GATT objects gone, the watch still in range. */
  disconnect (): void { if (this.connected) this.linkDown() }

  /** Out of range: the link drops and BlueZ removes the device object. */
  disappear (): void {
    this.disconnect()
    this.#present = false
    if (this.#exported) this.#bluez.remove(this.#path)
    this.#exported = false
  }

  /** Back in range: found again by the next (or the running) discovery. */
  appear (): void {
    this.#present = true
    if (this.#bluez.discovering) this.advertise()
  }

  store (frame: PunchFrame): void {
    const e = encodePunchFrame(frame)
    if (!e.ok) throw new Error(`watch ${this.address}: ${describeFrameError(e.error)}`)
    this.#pending.set(frame.n, e.bytes)
    this.#sent.set(frame.n, e.bytes)
  }

  /** @internal a discovery session sees the watch's advertisements */
  advertise (): void {
    if (!this.#present || this.#exported) return
    this.#exported = true
    this.#bluez.add(this.#path, [this.#device])
  }

  /** @internal Device1.Connect */
  linkUp (): void {
    if (!this.#present || !this.#exported) throw failed('le-connection-abort-by-local')
    if (this.connected) return
    this.connects++
    const sPath = `${this.#path}/service0010`
    const service = new GattService1(this.#path)
    const punch = new GattCharacteristic1(PUNCH_CHARACTERISTIC_UUID, sPath, ['notify'], () => {}, (on) => { if (on) this.#sendStored() })
    const ack = new GattCharacteristic1(ACK_CHARACTERISTIC_UUID, sPath, ['write'], (value) => this.#onAck(value), () => {})
    this.#gatt = { punch, ack }
    this.#device.Connected = true
    changed(this.#device, { Connected: true })
    this.#bluez.add(sPath, [service])
    this.#bluez.add(`${sPath}/char0011`, [punch])
    this.#bluez.add(`${sPath}/char0014`, [ack])
    this.#device.ServicesResolved = true
    changed(this.#device, { ServicesResolved: true })
  }

  /** @internal Device1.Disconnect or a link loss */
  linkDown (): void {
    const sPath = `${this.#path}/service0010`
    this.#gatt = undefined
    this.#device.ServicesResolved = false
    changed(this.#device, { ServicesResolved: false })
    this.#device.Connected = false
    changed(this.#device, { Connected: false })
    for (const p of [`${sPath}/char0014`, `${sPath}/char0011`, sPath]) this.#bluez.remove(p)
  }

  #sendStored (): void {
    const parts = [...this.#pending.values()].flatMap(f => fragmentFrame(f, this.mtu))
    const early = this.eager ? parts.splice(0, parts.length - 1) : []
    for (const p of early) this.sendRaw(p)
    setTimeout(() => { for (const p of parts) if (this.subscribed) this.sendRaw(p) }, this.eager ? 50 : 0)
  }

  #send (frame: Buffer): void {
    for (const part of fragmentFrame(frame, this.mtu)) this.sendRaw(part)
  }

  #onAck (value: Buffer): void {
    const d = decodeAckFrame(value)
    if (!d.ok) {
      this.badAcks.push(describeFrameError(d.error))
      return
    }
    this.acks.push(d.ack)
    if (ackFreesPunch(d.ack.outcome)) this.#pending.delete(d.ack.n)
  }
}

export interface FakeBluezOptions {
  /** the bus to serve on, e.g. a private dbus-daemon's address */
  busAddress: string
  adapter?: string
  adapterAddress?: string
}

/** org.bluez on a bus: one adapter and the watches a test adds. */
export class FakeBluez {
  readonly adapterPath: string
  readonly watches = new Map<string, FakeWatch>()
  /** StartDiscovery calls that opened a session */
  discoveryStarts = 0
  readonly #bus: dbus.MessageBus
  readonly #adapter: Adapter1
  readonly #objects = new Map<string, Iface[]>()
  readonly #root: ObjectManager
  readonly #discoverers = new Set<string>()

  private constructor (bus: dbus.MessageBus, o: FakeBluezOptions) {
    this.#bus = bus
    this.adapterPath = `/org/bluez/${o.adapter ?? 'hci0'}`
    this.#adapter = new Adapter1(o.adapterAddress ?? '00:1A:7D:DA:71:13')
    this.#root = new ObjectManager(() => this.#tree())
    bus.on('error', () => {})
  }

  static async start (o: FakeBluezOptions): Promise<FakeBluez> {
    const bus = dbus.sessionBus({ busAddress: o.busAddress })
    const bluez = new FakeBluez(bus, o)
    bus.export('/', bluez.#root)
    bus.export('/org/bluez', new AgentManager1())
    bluez.add(bluez.adapterPath, [bluez.#adapter])
    bus.addMethodHandler((msg: dbus.Message) => bluez.#discoveryCall(msg))
    const daemon = (await bus.getProxyObject('org.freedesktop.DBus', '/org/freedesktop/DBus')).getInterface('org.freedesktop.DBus')
    daemon.on('NameOwnerChanged', (name: string, _old: string, owner: string) => { if (owner === '' && bluez.#discoverers.delete(name)) bluez.#setDiscovering() })
    // A fake stopped a moment ago may still hold the name until the daemon notices its socket closed.
    for (let tries = 0; ; tries++) {
      const reply = await bus.requestName('org.bluez', dbus.NameFlag.DO_NOT_QUEUE)
      if (reply === dbus.RequestNameReply.PRIMARY_OWNER) break
      if (tries >= 100) {
        bus.disconnect()
        throw new Error('fake bluez: org.bluez is owned by someone else on this bus')
      }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return bluez
  }

  get discovering (): boolean { return this.#adapter.Discovering }

  addWatch (o: FakeWatchOptions): FakeWatch {
    const w = new FakeWatch(this, o)
    this.watches.set(w.address, w)
    if (this.discovering) w.advertise()
    return w
  }

  /** Leaves the bus without a word, as a crashing bluetoothd does: no Connected=false, no InterfacesRemoved. */
  async stop (): Promise<void> {
    this.#bus.disconnect()
  }

  /** @internal */
  add (path: string, ifaces: Iface[]): void {
    for (const i of ifaces) this.#bus.export(path, i)
    this.#objects.set(path, ifaces)
    this.#root.InterfacesAdded(path, Object.fromEntries(ifaces.map(i => [nameOf(i), propsOf(i)])))
  }

  /** @internal */
  remove (path: string): void {
    const ifaces = this.#objects.get(path)
    if (ifaces === undefined) return
    // Without an interface dbus-next removes the whole object (its documented form; the typings miss it).
    this.#bus.unexport(path, undefined as unknown as Iface)
    this.#objects.delete(path)
    this.#root.InterfacesRemoved(path, ifaces.map(i => nameOf(i)))
  }

  #tree (): Record<string, Record<string, Record<string, dbus.Variant>>> {
    const out: Record<string, Record<string, Record<string, dbus.Variant>>> = {}
    for (const [path, ifaces] of this.#objects) out[path] = Object.fromEntries(ifaces.map(i => [nameOf(i), propsOf(i)]))
    return out
  }

  /** Discovery sessions belong to the calling client, which only a raw method handler can see. */
  #discoveryCall (msg: dbus.Message): boolean {
    if (msg.interface !== 'org.bluez.Adapter1' || msg.path !== this.adapterPath) return false
    if (msg.member === 'StartDiscovery') {
      if (this.#discoverers.has(msg.sender)) return this.#reply(msg, 'org.bluez.Error.InProgress', 'Operation already in progress')
      this.#discoverers.add(msg.sender)
      this.discoveryStarts++
    } else if (msg.member === 'StopDiscovery') {
      if (!this.#discoverers.delete(msg.sender)) return this.#reply(msg, 'org.bluez.Error.Failed', 'No discovery started')
    } else {
      return false
    }
    this.#setDiscovering()
    return this.#reply(msg)
  }

  #reply (msg: dbus.Message, error?: string, text?: string): true {
    this.#bus.send(error === undefined ? dbus.Message.newMethodReturn(msg, '', []) : dbus.Message.newError(msg as unknown as string, error, text))
    return true
  }

  #setDiscovering (): void {
    const on = this.#discoverers.size > 0
    if (on === this.#adapter.Discovering) return
    this.#adapter.Discovering = on
    changed(this.#adapter, { Discovering: on })
    if (on) for (const w of this.watches.values()) w.advertise()
  }
}
