/**
 * Devices with their live state (GET /api/v1/devices, then `device` events): online, last seen, ring fill,
 * oldest unsent, clock offset, battery, firmware. An admin adds and removes devices, rotates a secret (shown
 * once, to give the terminal) and asks an online device to sync now.
 *
 * On a cluster's console the list is the shared store's (the registry and the statuses the nodes stored)
 * and read only: a change to the registry needs the brokers' password files written again, which the
 * command line does.
 */
import { useCallback, useState } from 'preact/hooks'
import { api } from '../api/client.js'
import { useLive, usePollWhenNotLive, useThrottled } from '../api/live.js'
import { readDevice, readDevices, type Device, type Who } from '../api/shapes.js'
import { may } from '../roles.js'
import { Failure } from '../ui/failure.js'
import { ago, dateTime, percent } from '../ui/format.js'
import { useAction, useLoad } from '../ui/use-load.js'

const POLL_MS = 5000
const RELOAD_MIN_MS = 1000

interface Secret { id: string, secret: string }

function SecretShown ({ secret, onClose }: { secret: Secret, onClose: () => void }) {
  return (
    <div class='secret' role='status'>
      Secret for <b>{secret.id}</b>, shown this once: give it to the terminal. <code data-secret={secret.id}>{secret.secret}</code>
      <button type='button' class='link' onClick={onClose}>Done</button>
    </div>
  )
}

function AddDevice ({ onAdded }: { onAdded: (s: Secret) => void }) {
  const [id, setId] = useState('')
  const [secret, setSecret] = useState('')
  const action = useAction()
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    let added: Secret | undefined
    if (await action.run(async () => { added = await api<Secret>('POST', '/devices', secret === '' ? { id } : { id, secret }) })) {
      setId(''); setSecret('')
      onAdded(added!)
    }
  }
  return (
    <form class='inline' onSubmit={e => { void submit(e) }} aria-label='add a device'>
      <label>Device id <input name='id' required value={id} onInput={e => setId(e.currentTarget.value)} /></label>
      <label>Secret <small>(empty: one is made)</small> <input name='secret' value={secret} onInput={e => setSecret(e.currentTarget.value)} /></label>
      <button type='submit' disabled={action.busy}>Add device</button>
      <Failure error={action.error} />
    </form>
  )
}

function DeviceActions ({ device, onSecret, reload }: { device: Device, onSecret: (s: Secret) => void, reload: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false)
  const [said, setSaid] = useState<string | undefined>(undefined)
  const action = useAction()
  const path = `/devices/${encodeURIComponent(device.id)}`
  const rotate = async (): Promise<void> => {
    let s: Secret | undefined
    if (await action.run(async () => { s = await api<Secret>('POST', path + '/secret') })) onSecret(s!)
  }
  const sync = async (): Promise<void> => {
    setSaid(undefined)
    if (await action.run(async () => await api('POST', path + '/sync'))) setSaid('sync asked')
  }
  const remove = async (): Promise<void> => {
    if (await action.run(async () => await api('DELETE', path))) await reload()
    setConfirming(false)
  }
  return (
    <td class='row-actions'>
      <button type='button' disabled={action.busy || !device.online} title={device.online ? 'send the device its sync command' : 'the device is offline'} onClick={() => { void sync() }}>Sync now</button>
      <button type='button' disabled={action.busy} onClick={() => { void rotate() }}>Rotate secret</button>
      {confirming
        ? <><button type='button' class='danger' disabled={action.busy} onClick={() => { void remove() }}>Really remove {device.id}</button><button type='button' class='link' onClick={() => setConfirming(false)}>Keep</button></>
        : <button type='button' class='danger' onClick={() => setConfirming(true)}>Remove</button>}
      {said !== undefined && <small role='status'> {said}</small>}
      <Failure error={action.error} />
    </td>
  )
}

export function DevicesPage ({ who }: { who: Who }) {
  const devices = useLoad(async () => readDevices(await api<Parameters<typeof readDevices>[0]>('GET', '/devices')))
  const [live, setLive] = useState<Map<string, Device>>(new Map())
  const [secret, setSecret] = useState<Secret | undefined>(undefined)
  const cluster = who.mode === 'cluster'
  const admin = may(who.role, 'manageDevices') && !cluster
  const refresh = useThrottled(() => { void devices.reload().then(() => setLive(new Map())) }, RELOAD_MIN_MS)
  const onDevice = useCallback((data: unknown) => {
    const change = (data as { change?: string }).change
    // One added or removed elsewhere changes the list itself: load it again.
    if (change === 'added' || change === 'removed') return refresh()
    const d = readDevice(data as Device)
    setLive(m => new Map(m).set(d.id, d))
  }, [refresh])
  useLive(['device'], onDevice)
  useLive(['reset'], refresh)
  usePollWhenNotLive(refresh, POLL_MS)

  const known = devices.data ?? []
  const rows = [...known.map(d => live.get(d.id) ?? d), ...[...live.values()].filter(d => !known.some(k => k.id === d.id))]
  const shown = async (s: Secret): Promise<void> => { setSecret(s); await devices.reload() }

  return (
    <section>
      <h1>Devices</h1>
      <Failure error={devices.error} />
      {admin && <AddDevice onAdded={s => { void shown(s) }} />}
      {cluster && <p class='hint' data-cluster-devices>The cluster's devices: the registry and the last status a node took from each. Online is what that status said (a device that drops off sends its last will). Adding, removing or rotating a device changes the brokers' password files too: use <code>punchline devices add|rotate|remove --cluster</code>, then <code>punchline broker-auth mosquitto|nats</code>.</p>}
      {secret !== undefined && <SecretShown secret={secret} onClose={() => setSecret(undefined)} />}
      {devices.data !== undefined && rows.length === 0 && <p class='hint'>No devices yet.</p>}
      {rows.length > 0 && (
        <div class='scroll'>
          <table class='grid' aria-label='devices'>
            <thead><tr><th>device</th><th>state</th><th>last seen</th><th>site</th><th>ring</th><th>oldest unsent</th><th>clock offset</th><th>battery</th><th>firmware</th>{admin && <th />}</tr></thead>
            <tbody>
              {rows.map(d => (
                <tr key={d.id} data-device={d.id} data-online={String(d.online)}>
                  <td>{d.id}</td>
                  <td><span class={d.online ? 'state on' : 'state off'}>{d.online ? 'online' : 'offline'}</span></td>
                  <td title={dateTime(d.lastSeen)}>{ago(d.lastSeen)}</td>
                  <td>{d.site ?? '—'}</td>
                  <td>{d.ring == null ? '—' : `${d.ring.pending}/${d.ring.capacity} (${percent(d.ring.fill)})`}</td>
                  <td>{d.ring?.oldestPendingTs == null ? '—' : dateTime(d.ring.oldestPendingTs)}</td>
                  <td>{d.clockOffsetMs == null ? '—' : `${d.clockOffsetMs} ms`}</td>
                  <td>{percent(d.battery)}</td>
                  <td>{d.firmware ?? '—'}</td>
                  {admin && <DeviceActions device={d} onSecret={s => { void shown(s) }} reload={devices.reload} />}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
