/**
 * The fleet at a glance: devices by state, what waits for the upstream, the backlog and the delivery rate
 * over the last 24 h (GET /api/v1/history) as charts, the alarms raised, and for hr and admin the punches
 * arriving now.
 */
import { useCallback, useState } from 'preact/hooks'
import { api, ApiFailure } from '../api/client.js'
import { useLive, usePollWhenNotLive, useThrottled } from '../api/live.js'
import { readAlarms, readDevices, type Alarm, type Backlog, type Device, type History, type Punch, type Who } from '../api/shapes.js'
import { may } from '../roles.js'
import { Failure } from '../ui/failure.js'
import { ago, dateTime } from '../ui/format.js'
import { TimeChart } from '../ui/time-chart.js'
import { useAction, useLoad } from '../ui/use-load.js'

/** A ring this full is close to refusing punches (the gateway's own alarm threshold, gateway/alarms.ts). */
const RING_FULLISH = 0.8
const POLL_MS = 5000
/** The page reloads at most this often however many events arrive. */
const RELOAD_MIN_MS = 1000
/** The live feed keeps this many punches on screen. */
const FEED_LENGTH = 20

interface Fleet {
  devices: Device[]
  backlog: Backlog
  alarms: Alarm[]
  /** undefined when the gateway keeps no history */
  history?: History
}

async function loadHistory (): Promise<History | undefined> {
  try {
    return await api<History>('GET', '/history?hours=24')
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return undefined
    throw err
  }
}

async function loadFleet (): Promise<Fleet> {
  const [devices, backlog, alarms, history] = await Promise.all([
    api<Parameters<typeof readDevices>[0]>('GET', '/devices').then(readDevices),
    api<Backlog>('GET', '/backlog'),
    api<Parameters<typeof readAlarms>[0]>('GET', '/alarms').then(readAlarms),
    loadHistory()
  ])
  return { devices, backlog, alarms, history }
}

function DeviceStates ({ devices }: { devices: Device[] }) {
  const online = devices.filter(d => d.online).length
  const neverSeen = devices.filter(d => d.lastSeen === null).length
  const filling = devices.filter(d => (d.ring?.fill ?? 0) >= RING_FULLISH).length
  return (
    <div class='tiles' aria-label='devices by state'>
      <div class='tile' data-tile='online'><b>{online}</b> online</div>
      <div class='tile' data-tile='offline'><b>{devices.length - online - neverSeen}</b> offline</div>
      <div class='tile' data-tile='never'><b>{neverSeen}</b> never seen</div>
      <div class={filling > 0 ? 'tile warn' : 'tile'} data-tile='filling'><b>{filling}</b> ring over {RING_FULLISH * 100} %</div>
    </div>
  )
}

/** Also a cluster's Nodes page's, over the shared outbox. */
export function BacklogTiles ({ backlog }: { backlog: Backlog }) {
  return (
    <div class='tiles' aria-label='backlog'>
      <div class='tile' data-tile='pending'><b>{backlog.pendingPunches}{backlog.capped === true ? '+' : ''}</b> punches waiting for the upstream</div>
      <div class='tile'><b>{ago(backlog.oldestReceived)}</b> oldest waiting</div>
      <div class={backlog.deadLetters > 0 ? 'tile warn' : 'tile'} data-tile='dead-letters'><b>{backlog.deadLetters}</b> dead letters</div>
    </div>
  )
}

function perInterval (seconds: number | undefined): string {
  if (seconds === undefined) return 'per interval'
  if (seconds === 1) return 'per second'
  if (seconds === 60) return 'per minute'
  return seconds % 60 === 0 ? `per ${seconds / 60} min` : `per ${seconds} s`
}

function Charts ({ history }: { history: History | undefined }) {
  if (history === undefined) return <p class='hint'>This gateway keeps no history yet: the charts appear once it does.</p>
  const points = history.points
  const times = points.map(p => p.t)
  return (
    <div class='charts'>
      <TimeChart title='Backlog (punches waiting)' times={times} series={[{ label: 'backlog', stroke: '#c0392b', values: points.map(p => p.backlog) }]} />
      <TimeChart
        title={`Punches received and delivered, ${perInterval(history.sampleSeconds)}`}
        times={times}
        series={[
          { label: 'received', stroke: '#2c7be5', values: points.map(p => p.received) },
          { label: 'delivered', stroke: '#27ae60', values: points.map(p => p.delivered) }
        ]}
      />
    </div>
  )
}

/** hr acknowledges major and minor alarms; a critical one takes an admin (the API's rule). */
function mayAck (who: Who, a: Alarm): boolean {
  return may(who.role, 'ackAlarms') && (a.severity !== 'critical' || who.role === 'admin')
}

export function Alarms ({ alarms, who, reload }: { alarms: Alarm[], who: Who, reload: () => Promise<void> }) {
  const action = useAction()
  if (alarms.length === 0) return <p class='ok' data-alarms='none'>No alarms.</p>
  const ack = async (a: Alarm): Promise<void> => {
    const path = `/alarms/${encodeURIComponent(a.name)}/ack${a.device === undefined ? '' : '?device=' + encodeURIComponent(a.device)}`
    if (await action.run(async () => await api('POST', path))) await reload()
  }
  return (
    <>
      <ul class='alarms'>
        {alarms.map(a => (
          <li key={a.name + (a.device ?? '')} class={`alarm sev-${a.severity}`} data-alarm={a.name}>
            <b>{a.severity}</b> {a.name}{a.device !== undefined && ` (${a.device})`}: {a.message}
            {a.raisedAt !== undefined && <small> since {dateTime(a.raisedAt)}</small>}
            {a.acked === null && mayAck(who, a) && <button type='button' onClick={() => { void ack(a) }} disabled={action.busy}>Acknowledge</button>}
            {a.acked != null && <small> acknowledged by {a.acked.by}, {dateTime(a.acked.at)}</small>}
          </li>
        ))}
      </ul>
      <Failure error={action.error} />
    </>
  )
}

function LiveFeed () {
  const [punches, setPunches] = useState<Punch[]>([])
  const onPunch = useCallback((p: unknown) => setPunches(list => [p as Punch, ...list].slice(0, FEED_LENGTH)), [])
  useLive(['punch'], onPunch)
  return (
    <section>
      <h2>Punches arriving</h2>
      {punches.length === 0
        ? <p class='hint'>Punches appear here as the gateway stores them.</p>
        : (
          <table class='grid' aria-label='punches arriving'>
            <thead><tr><th>time</th><th>device</th><th>badge</th><th>kind</th><th>flags</th></tr></thead>
            <tbody>{punches.map(p => <tr key={p.id} data-punch={p.id}><td>{dateTime(p.ts)}</td><td>{p.device}</td><td>{p.emp}</td><td>{p.kind}</td><td>{p.flags.join(', ')}</td></tr>)}</tbody>
          </table>)}
    </section>
  )
}

export function FleetPage ({ who }: { who: Who }) {
  const fleet = useLoad(loadFleet)
  const refresh = useThrottled(() => { void fleet.reload() }, RELOAD_MIN_MS)
  useLive(['device', 'alarm', 'dead-letter', 'reset'], refresh)
  usePollWhenNotLive(refresh, POLL_MS)
  const f = fleet.data
  return (
    <section>
      <h1>Fleet</h1>
      <Failure error={fleet.error} />
      {f !== undefined && (
        <>
          <DeviceStates devices={f.devices} />
          <BacklogTiles backlog={f.backlog} />
          <h2>Last 24 hours</h2>
          <Charts history={f.history} />
          <h2>Alarms</h2>
          <Alarms alarms={f.alarms} who={who} reload={fleet.reload} />
        </>
      )}
      {may(who.role, 'readPunches') && <LiveFeed />}
    </section>
  )
}
