/**
 * The fake BlueZ seen by a plain D-Bus client (dbus-next, no node-ble): the ObjectManager tree and its
 * signals, discovery sessions that end with their client, GATT objects only while connected, and the
 * errors BlueZ gives. The simulator relies on these behaving like BlueZ, not only on node-ble passing.
 */
import t from 'tap'
import dbus from 'dbus-next'
import { startPrivateDbus } from './helpers/private-dbus.js'
import { FakeBluez } from '../fakes/hardware/fake-bluez.js'
import { ACK_CHARACTERISTIC_UUID, PUNCH_CHARACTERISTIC_UUID, PUNCH_SERVICE_UUID } from '../device/inputs/ble/index.js'
import { until } from './helpers/wait.js'

type Tree = Record<string, Record<string, Record<string, dbus.Variant>>>

/** The D-Bus error name a call fails with, or undefined when it succeeds. */
async function errorOf (p: Promise<unknown>): Promise<string | undefined> {
  return await p.then(() => undefined, (err: { type?: string }) => err.type ?? 'no type')
}

t.test('object tree, discovery sessions, GATT objects and errors', async t => {
  const daemon = await startPrivateDbus()
  const bluez = await FakeBluez.start({ busAddress: daemon.address })
  const client = dbus.sessionBus({ busAddress: daemon.address })
  t.teardown(async () => { client.disconnect(); await bluez.stop(); await daemon.stop() })

  const root = (await client.getProxyObject('org.bluez', '/')).getInterface('org.freedesktop.DBus.ObjectManager')
  const added: string[] = []
  const removed: string[] = []
  root.on('InterfacesAdded', (path: string) => added.push(path))
  root.on('InterfacesRemoved', (path: string) => removed.push(path))
  const tree = async (): Promise<Tree> => await root.GetManagedObjects() as Tree

  const first = await tree()
  t.same(Object.keys(first), ['/org/bluez/hci0'], 'only the adapter before any discovery')
  t.equal(first['/org/bluez/hci0']['org.bluez.Adapter1'].Powered.value, true)

  const watch = bluez.addWatch({ address: 'aa:bb:cc:dd:ee:01' })
  const dev = '/org/bluez/hci0/dev_AA_BB_CC_DD_EE_01'
  t.equal(watch.path, dev)
  t.equal(watch.visible, false, 'a watch is not seen until someone discovers')

  const hciObj = await client.getProxyObject('org.bluez', '/org/bluez/hci0')
  const adapter = hciObj.getInterface('org.bluez.Adapter1')
  const props = hciObj.getInterface('org.freedesktop.DBus.Properties')
  t.equal(await errorOf(adapter.StopDiscovery()), 'org.bluez.Error.Failed', 'no session to stop')
  await adapter.StartDiscovery()
  t.equal(await errorOf(adapter.StartDiscovery()), 'org.bluez.Error.InProgress', 'one session per client')
  t.equal((await props.Get('org.bluez.Adapter1', 'Discovering')).value, true)
  await until(() => added.includes(dev), 'InterfacesAdded for the device')
  const seen = (await tree())[dev]['org.bluez.Device1']
  t.equal(seen.Address.value, 'AA:BB:CC:DD:EE:01')
  t.same(seen.UUIDs.value, [PUNCH_SERVICE_UUID])
  t.equal(seen.Connected.value, false)

  const device = (await client.getProxyObject('org.bluez', dev)).getInterface('org.bluez.Device1')
  t.equal(await errorOf(device.Disconnect()), 'org.bluez.Error.NotConnected')
  await device.Connect()
  const connected = await tree()
  const chars = Object.entries(connected).filter(([, ifaces]) => 'org.bluez.GattCharacteristic1' in ifaces)
  t.same(chars.map(([, i]) => [i['org.bluez.GattCharacteristic1'].UUID.value, i['org.bluez.GattCharacteristic1'].Flags.value]).sort(),
    [[PUNCH_CHARACTERISTIC_UUID, ['notify']], [ACK_CHARACTERISTIC_UUID, ['write']]].sort(), 'the two characteristics with their flags')
  t.equal(connected[dev]['org.bluez.Device1'].ServicesResolved.value, true)
  const ackPath = chars.find(([, i]) => i['org.bluez.GattCharacteristic1'].UUID.value === ACK_CHARACTERISTIC_UUID)![0]
  const ack = (await client.getProxyObject('org.bluez', ackPath)).getInterface('org.bluez.GattCharacteristic1')
  await ack.WriteValue(Buffer.from([1, 2, 3]), {})
  t.equal(watch.badAcks.length, 1, 'the watch got the write and could not read it as an ack')
  t.equal(await errorOf(ack.StartNotify()), 'org.bluez.Error.NotSupported')

  await device.Disconnect()
  await until(() => removed.includes(ackPath), 'the GATT objects removed on disconnect')
  t.equal(Object.keys(await tree()).length, 2, 'adapter and device remain')

  watch.disappear()
  await until(() => removed.includes(dev), 'the device removed when out of range')
  t.match(await errorOf(device.Connect()), /^org\.freedesktop\.DBus\.Error\.Unknown/, 'nothing to connect to')

  // A discovery session ends when its client leaves the bus, as in BlueZ.
  client.disconnect()
  await until(() => !bluez.discovering, 'discovery ended with its client')
  watch.appear()
  t.equal(watch.visible, false, 'back in range, but nobody is looking')
})
