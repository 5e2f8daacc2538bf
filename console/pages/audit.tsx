/** The audit log (GET /api/v1/audit): every change, who made it and when, newest first, a page at a time. */
import { useState } from 'preact/hooks'
import { api, query } from '../api/client.js'
import type { AuditEntry } from '../api/shapes.js'
import { Failure } from '../ui/failure.js'
import { dateTime } from '../ui/format.js'
import { useLoad } from '../ui/use-load.js'

const PAGE = 50

export function AuditPage () {
  /** the cursors of the pages shown before this one, to go back */
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined])
  const before = cursors[cursors.length - 1]
  const page = useLoad(async () => await api<{ entries: AuditEntry[], next?: number }>('GET', '/audit' + query({ limit: PAGE, before })), [before])
  const entries = page.data?.entries ?? []
  const next = page.data?.next
  return (
    <section>
      <h1>Audit log</h1>
      <Failure error={page.error} />
      <div class='scroll'>
        <table class='grid' aria-label='audit log'>
          <thead><tr><th>when</th><th>who</th><th>action</th><th>target</th><th>detail</th></tr></thead>
          <tbody>
            {entries.map(e => <tr key={e.id} data-audit={e.action}><td>{dateTime(e.at)}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.target ?? ''}</td><td>{e.detail ?? ''}</td></tr>)}
          </tbody>
        </table>
      </div>
      <div class='actions'>
        <button type='button' disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <button type='button' disabled={next === undefined} onClick={() => setCursors([...cursors, next])}>Older</button>
      </div>
    </section>
  )
}
