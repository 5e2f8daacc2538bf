/**
 * The D-Bus objects of the fake BlueZ (fake-bluez.ts), one class per BlueZ interface, with exactly the
 * properties, methods and signals node-ble 1.13 reads or calls (and the ObjectManager signals BlueZ sends).
 * Values follow BlueZ's types: addresses 's', object paths 'o', characteristic values 'ay'.
 */
import dbus from 'dbus-next'
import { PUNCH_SERVICE_UUID } from '../../device/inputs/ble/gatt.js'

export const { Interface } = dbus.interface
export type Iface = InstanceType<typeof Interface>
export const failed = (text: string): Error => new dbus.DBusError('org.bluez.Error.Failed', text)
export const changed = (iface: Iface, props: Record<string, unknown>): void => Interface.emitPropertiesChanged(iface, props, [])

export class ObjectManager extends Interface {
  constructor (readonly tree: () => Record<string, Record<string, Record<string, dbus.Variant>>>) { super('org.freedesktop.DBus.ObjectManager') }
  GetManagedObjects (): unknown { return this.tree() }
  InterfacesAdded (path: string, ifaces: unknown): unknown { return [path, ifaces] }
  InterfacesRemoved (path: string, names: string[]): unknown { return [path, names] }
}
ObjectManager.configureMembers({
  methods: { GetManagedObjects: { outSignature: 'a{oa{sa{sv}}}' } },
  signals: { InterfacesAdded: { signature: 'oa{sa{sv}}' }, InterfacesRemoved: { signature: 'oas' } }
})

export class AgentManager1 extends Interface {
  constructor () { super('org.bluez.AgentManager1') }
  RegisterAgent (): void {}
  UnregisterAgent (): void {}
  RequestDefaultAgent (): void {}
}
AgentManager1.configureMembers({ methods: { RegisterAgent: { inSignature: 'os' }, UnregisterAgent: { inSignature: 'o' }, RequestDefaultAgent: { inSignature: 'o' } } })

export class Adapter1 extends Interface {
  Address: string
  AddressType = 'public'
  Name = 'punchline-fake'
  Alias = 'punchline-fake'
  Powered = true
  Discovering = false
  constructor (address: string) { super('org.bluez.Adapter1'); this.Address = address }
  // Start/StopDiscovery are answered by FakeBluez's method handler, which sees the caller; these declare them.
  StartDiscovery (): void {}
  StopDiscovery (): void {}
  SetDiscoveryFilter (): void {}
}
Adapter1.configureMembers({
  properties: { Address: { signature: 's', access: 'read' }, AddressType: { signature: 's', access: 'read' }, Name: { signature: 's', access: 'read' }, Alias: { signature: 's' }, Powered: { signature: 'b' }, Discovering: { signature: 'b', access: 'read' } },
  methods: { StartDiscovery: {}, StopDiscovery: {}, SetDiscoveryFilter: { inSignature: 'a{sv}' } }
})

/** what Device1 asks of the peripheral behind it */
export interface Peripheral {
  readonly address: string
  readonly name: string
  linkUp (): void
  linkDown (): void
}

export class Device1 extends Interface {
  Address: string
  AddressType = 'random'
  Name: string
  Alias: string
  Adapter: string
  Paired = false
  Connected = false
  ServicesResolved = false
  UUIDs = [PUNCH_SERVICE_UUID]
  RSSI = -60
  constructor (readonly watch: Peripheral, adapterPath: string) {
    super('org.bluez.Device1')
    this.Address = watch.address
    this.Name = this.Alias = watch.name
    this.Adapter = adapterPath
  }

  async Connect (): Promise<void> { this.watch.linkUp() }
  async Disconnect (): Promise<void> {
    if (!this.Connected) throw new dbus.DBusError('org.bluez.Error.NotConnected', 'Not Connected')
    this.watch.linkDown()
  }
}
Device1.configureMembers({
  properties: Object.fromEntries([['Address', 's'], ['AddressType', 's'], ['Name', 's'], ['Alias', 's'], ['Adapter', 'o'], ['Paired', 'b'], ['Connected', 'b'], ['ServicesResolved', 'b'], ['UUIDs', 'as'], ['RSSI', 'n']].map(([k, s]) => [k, { signature: s, access: 'read' as const }])),
  methods: { Connect: {}, Disconnect: {} }
})

export class GattService1 extends Interface {
  UUID = PUNCH_SERVICE_UUID
  Primary = true
  constructor (readonly Device: string) { super('org.bluez.GattService1') }
}
GattService1.configureMembers({ properties: { UUID: { signature: 's', access: 'read' }, Primary: { signature: 'b', access: 'read' }, Device: { signature: 'o', access: 'read' } } })

export class GattCharacteristic1 extends Interface {
  Value: Buffer = Buffer.alloc(0)
  Notifying = false
  constructor (readonly UUID: string, readonly Service: string, readonly Flags: string[], readonly onWrite: (value: Buffer) => void, readonly onNotify: (on: boolean) => void) {
    super('org.bluez.GattCharacteristic1')
  }

  ReadValue (): Buffer { return this.Value }
  WriteValue (value: Buffer): void {
    if (!this.Flags.includes('write')) throw new dbus.DBusError('org.bluez.Error.NotPermitted', 'Write not permitted')
    this.onWrite(Buffer.from(value))
  }

  StartNotify (): void {
    if (!this.Flags.includes('notify')) throw new dbus.DBusError('org.bluez.Error.NotSupported', 'Notify not supported')
    this.Notifying = true
    changed(this, { Notifying: true })
    this.onNotify(true)
  }

  StopNotify (): void { this.Notifying = false; this.onNotify(false) }
}
GattCharacteristic1.configureMembers({
  properties: { UUID: { signature: 's', access: 'read' }, Service: { signature: 'o', access: 'read' }, Value: { signature: 'ay', access: 'read' }, Notifying: { signature: 'b', access: 'read' }, Flags: { signature: 'as', access: 'read' } },
  methods: { ReadValue: { inSignature: 'a{sv}', outSignature: 'ay' }, WriteValue: { inSignature: 'aya{sv}' }, StartNotify: {}, StopNotify: {} }
})

export function nameOf (iface: Iface): string {
  return (iface as unknown as { $name: string }).$name
}

/** An interface's properties as BlueZ's GetManagedObjects and InterfacesAdded give them. */
export function propsOf (iface: Iface): Record<string, dbus.Variant> {
  const table = (iface as unknown as { $properties?: Record<string, { signature: string }> }).$properties ?? {}
  const values = iface as unknown as Record<string, unknown>
  return Object.fromEntries(Object.entries(table).map(([name, p]) => [name, new dbus.Variant(p.signature, values[name])]))
}
