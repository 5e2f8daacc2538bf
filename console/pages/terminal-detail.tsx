/**
 * One terminal opened on the Terminals page. Admins change its zone (the gateway sends it a clock command
 * in the new zone), queue a command for its next heartbeat and see its last commands with its answers,
 * and remove it (its stored punches stay). HR and admins see the lines it sent that could not be read:
 * line, field, rule and the line as sent.
 */
import { useState } from 'preact/hooks'
import { api, query } from '../api/client.js'
import type { Who } from '../api/shapes.js'
import type { Terminal, TerminalCommand, TerminalCommandKind, TerminalProblemBody } from '../api/terminal-shapes.js'
import { may } from '../roles.js'
import { Failure } from '../ui/failure.js'
import { dateTime } from '../ui/format.js'
import { useAction, useLoad } from '../ui/use-load.js'
import { usePolling } from '../ui/use-polling.js'
import { ZoneInput } from '../ui/zone-input.js'

/** An answer comes at the terminal's next heartbeat; the lists follow it at this pace while open. */
const POLL_MS = 3000
const PROBLEM_BODIES = 50

const COMMANDS: ReadonlyArray<{ kind: TerminalCommandKind, text: string }> = [
  { kind: 'info', text: 'INFO: ask what it holds' },
  { kind: 'set-time', text: 'set its clock (in its zone)' },
  { kind: 'reload-options', text: 'reload its options (CHECK)' }
]

interface Props {
  terminal: Terminal
  who: Who
  onChanged: () => Promise<void>
  onRemoved: () => Promise<void>
}

function ChangeZone ({ terminal, onChanged }: Pick<Props, 'terminal' | 'onChanged'>) {
  const [zone, setZone] = useState(terminal.zone)
  const action = useAction()
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    if (await action.run(async () => await api('PUT', `/terminals/${encodeURIComponent(terminal.sn)}/zone`, { zone }))) await onChanged()
  }
  return (
    <form class='inline' onSubmit={e => { void submit(e) }} aria-label='change its zone'>
      <ZoneInput value={zone} onInput={setZone} />
      <button type='submit' disabled={action.busy || zone === terminal.zone}>Change zone</button>
      <Failure error={action.error} withRule />
    </form>
  )
}

function commandState (c: TerminalCommand): string {
  if (c.done !== null) return c.code === 0 ? `done ${dateTime(c.done)}` : `failed (${String(c.code)}) ${dateTime(c.done)}`
  return c.sent !== null ? `sent ${dateTime(c.sent)}, no answer yet` : 'waiting for its heartbeat'
}

function Commands ({ sn }: { sn: string }) {
  const path = `/terminals/${encodeURIComponent(sn)}/commands`
  const list = useLoad(async () => (await api<{ items: TerminalCommand[] }>('GET', path)).items, [path])
  const [kind, setKind] = useState<TerminalCommandKind>('info')
  const action = useAction()
  usePolling(list.reload, POLL_MS)
  const queue = async (e: Event): Promise<void> => {
    e.preventDefault()
    if (await action.run(async () => await api('POST', path, { command: kind }))) await list.reload()
  }
  const items = list.data ?? []
  return (
    <section aria-label='commands'>
      <h2>Commands</h2>
      <form class='inline' onSubmit={e => { void queue(e) }} aria-label='queue a command'>
        <label>Command
          <select name='command' value={kind} onChange={e => setKind(e.currentTarget.value as TerminalCommandKind)}>
            {COMMANDS.map(c => <option key={c.kind} value={c.kind}>{c.text}</option>)}
          </select>
        </label>
        <button type='submit' disabled={action.busy}>Queue command</button>
        <Failure error={action.error ?? list.error} withRule />
      </form>
      {list.data !== undefined && items.length === 0 && <p class='hint'>No commands sent yet.</p>}
      {items.length > 0 && (
        <div class='scroll'>
          <table class='grid' aria-label='commands sent'>
            <thead><tr><th>queued</th><th>command</th><th>state</th><th>answer</th></tr></thead>
            <tbody>
              {items.map(c => (
                <tr key={c.id} data-command={c.id} data-done={String(c.done !== null)}>
                  <td>{dateTime(c.queued)}</td>
                  <td><code>{c.text}</code></td>
                  <td>{commandState(c)}</td>
                  <td>{c.result === null ? '—' : <pre class='answer'>{c.result}</pre>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function Problems ({ sn }: { sn: string }) {
  const path = `/terminals/${encodeURIComponent(sn)}/problems` + query({ limit: PROBLEM_BODIES })
  const list = useLoad(async () => (await api<{ items: TerminalProblemBody[] }>('GET', path)).items, [path])
  usePolling(list.reload, POLL_MS)
  const rows = (list.data ?? []).flatMap(b => b.problems.map((p, i) => ({ ...p, body: b.body, received: b.received, key: `${b.body}:${i}` })))
  return (
    <section aria-label='lines that could not be read'>
      <h2>Lines that could not be read</h2>
      <Failure error={list.error} />
      {list.data !== undefined && rows.length === 0 && <p class='hint'>None: every line it sent was read.</p>}
      {rows.length > 0 && (
        <div class='scroll'>
          <table class='grid' aria-label='unreadable lines'>
            <thead><tr><th>received</th><th>body</th><th>line</th><th>field</th><th>rule</th><th>as sent</th></tr></thead>
            <tbody>
              {rows.map(p => (
                <tr key={p.key} data-problem-field={p.field}>
                  <td>{dateTime(p.received)}</td><td>{p.body}</td><td>{p.line}</td><td>{p.field}</td><td>{p.rule}</td>
                  <td><code class='raw'>{p.raw}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function Remove ({ terminal, onRemoved }: Pick<Props, 'terminal' | 'onRemoved'>) {
  const [confirming, setConfirming] = useState(false)
  const action = useAction()
  const remove = async (): Promise<void> => {
    if (await action.run(async () => await api('DELETE', `/terminals/${encodeURIComponent(terminal.sn)}`))) await onRemoved()
    else setConfirming(false)
  }
  if (!confirming) return <div class='actions'><button type='button' class='danger' onClick={() => setConfirming(true)}>Remove terminal</button><Failure error={action.error} /></div>
  return (
    <div class='secret' role='alertdialog' aria-label={`remove ${terminal.sn}`}>
      <p>Remove <b>{terminal.sn}</b>? The gateway refuses its requests from then on. <b>Its stored punches stay</b> and still go upstream.</p>
      <button type='button' class='danger' disabled={action.busy} onClick={() => { void remove() }}>Really remove {terminal.sn}</button>
      <button type='button' class='link' onClick={() => setConfirming(false)}>Keep</button>
    </div>
  )
}

export function TerminalDetail ({ terminal, who, onChanged, onRemoved }: Props) {
  const admin = may(who.role, 'manageTerminals')
  return (
    <section class='detail' aria-label={`terminal ${terminal.sn}`}>
      <h2>Terminal {terminal.sn}</h2>
      {admin && <ChangeZone terminal={terminal} onChanged={onChanged} />}
      {admin && <Commands sn={terminal.sn} />}
      <Problems sn={terminal.sn} />
      {admin && <Remove terminal={terminal} onRemoved={onRemoved} />}
    </section>
  )
}
