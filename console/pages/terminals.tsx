/**
 * ZKTeco terminals that push over ADMS (GET /api/v1/terminals, docs/ADMS.md), for every role: serial
 * number, device id, zone, online, last seen, address, firmware, whether the gateway set its clock, where
 * its next handshake resumes. An admin registers one by serial number and zone; hr and admins open one to
 * see what it sent that could not be read, admins also to change its zone, queue a command, or remove it
 * (terminal-detail.tsx). The gateway sends no events for terminals: the list is polled.
 */
import { useState } from 'preact/hooks'
import { api } from '../api/client.js'
import type { Terminal } from '../api/terminal-shapes.js'
import type { Who } from '../api/shapes.js'
import { may } from '../roles.js'
import { Failure } from '../ui/failure.js'
import { ago, dateTime } from '../ui/format.js'
import { useAction, useLoad } from '../ui/use-load.js'
import { usePolling } from '../ui/use-polling.js'
import { ZoneInput, ZoneList } from '../ui/zone-input.js'
import { TerminalDetail } from './terminal-detail.js'

/** A terminal calls every adms.delaySeconds (10 by default): polling faster would show nothing new. */
const POLL_MS = 5000

function RegisterTerminal ({ onAdded }: { onAdded: (sn: string) => Promise<void> }) {
  const [sn, setSn] = useState('')
  const [zone, setZone] = useState('')
  const [device, setDevice] = useState('')
  const action = useAction()
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const body = device === '' ? { sn, zone } : { sn, zone, device }
    if (await action.run(async () => await api('POST', '/terminals', body))) {
      setSn(''); setZone(''); setDevice('')
      await onAdded(body.sn)
    }
  }
  return (
    <form class='inline' onSubmit={e => { void submit(e) }} aria-label='register a terminal'>
      <label>Serial number <input name='sn' required value={sn} onInput={e => setSn(e.currentTarget.value)} /></label>
      <ZoneInput value={zone} onInput={setZone} />
      <label>Device id <small>(empty: zk-&lt;serial&gt;)</small> <input name='device' value={device} onInput={e => setDevice(e.currentTarget.value)} /></label>
      <button type='submit' disabled={action.busy}>Register terminal</button>
      <Failure error={action.error} withRule />
    </form>
  )
}

function clockText (t: Terminal): string {
  return t.clockSet == null ? 'not set' : `set ${dateTime(t.clockSet)}`
}

export function TerminalsPage ({ who }: { who: Who }) {
  const terminals = useLoad(async () => (await api<{ items: Terminal[] }>('GET', '/terminals')).items)
  const [open, setOpen] = useState<string | undefined>(undefined)
  const admin = may(who.role, 'manageTerminals')
  const opens = may(who.role, 'readTerminalProblems')
  usePolling(terminals.reload, POLL_MS)

  const rows = terminals.data ?? []
  const shown = rows.find(t => t.sn === open)
  const added = async (sn: string): Promise<void> => { await terminals.reload(); setOpen(sn) }
  const removed = async (): Promise<void> => { setOpen(undefined); await terminals.reload() }

  return (
    <section>
      <h1>Terminals</h1>
      <p class='hint'>ZKTeco terminals that push to the gateway's ADMS listener (docs/ADMS.md). Each is registered by its serial number with the time zone its clock shows.</p>
      <ZoneList />
      <Failure error={terminals.error} />
      {admin && <RegisterTerminal onAdded={added} />}
      {terminals.data !== undefined && rows.length === 0 && <p class='hint'>No terminals yet.</p>}
      {rows.length > 0 && (
        <div class='scroll'>
          <table class='grid' aria-label='terminals'>
            <thead><tr><th>serial number</th><th>device</th><th>zone</th><th>state</th><th>last seen</th><th>address</th><th>firmware</th><th>clock</th><th>next handshake resumes</th>{opens && <th />}</tr></thead>
            <tbody>
              {rows.map(t => (
                <tr key={t.sn} data-terminal={t.sn} data-online={String(t.online)} data-clock={t.clockSet == null ? 'unset' : 'set'}>
                  <td>{t.sn}</td>
                  <td>{t.device}</td>
                  <td>{t.zone}</td>
                  <td><span class={t.online ? 'state on' : 'state off'}>{t.online ? 'online' : 'offline'}</span></td>
                  <td title={dateTime(t.lastSeen)}>{ago(t.lastSeen)}</td>
                  <td>{t.address ?? '—'}</td>
                  <td>{t.firmware ?? '—'}</td>
                  <td title={t.clockSet == null ? 'its punches are flagged clock-unsynced until it confirms a clock the gateway set' : undefined}>{clockText(t)}</td>
                  <td>{t.resumesAt == null ? 'from the start' : `after stamp ${t.resumesAt}`}</td>
                  {opens && (
                    <td class='row-actions'>
                      <button type='button' aria-pressed={open === t.sn} onClick={() => setOpen(open === t.sn ? undefined : t.sn)}>{open === t.sn ? 'Close' : 'Open'}</button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown !== undefined && <TerminalDetail key={shown.sn} terminal={shown} who={who} onChanged={async () => await terminals.reload()} onRemoved={removed} />}
    </section>
  )
}
