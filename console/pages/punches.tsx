/**
 * Punch search (GET /api/v1/punches): by person, badge, device, time range and flag, a page at a time
 * following the API's cursor, with the same filters as a CSV or XLSX download for payroll
 * (GET /api/v1/punches.csv, .xlsx). Punches stored while the page is open and matching the filters join the
 * top of the list as they arrive.
 */
import { useCallback, useState } from 'preact/hooks'
import { api, query } from '../api/client.js'
import { useLive } from '../api/live.js'
import type { Punch } from '../api/shapes.js'
import type { Flag } from '../../shared/flags.js'
import { Failure } from '../ui/failure.js'
import { dateTime, fromLocalInput } from '../ui/format.js'
import { useAction } from '../ui/use-load.js'

/** Every flag the gateway sets: the type makes this list follow shared/flags.ts. */
const FLAG_CHOICES: Record<Flag, true> = {
  'late-sync': true,
  expired: true,
  'clock-unsynced': true,
  future: true,
  'clock-skew': true,
  double: true,
  'gps-jump': true,
  'outside-geofence': true,
  manual: true,
  'over-limit': true,
  'unknown-badge': true
}

const PAGE = 100

interface Filters { person: string, badge: string, device: string, site: string, from: string, to: string, flag: string }
const NO_FILTERS: Filters = { person: '', badge: '', device: '', site: '', from: '', to: '', flag: '' }

function params (f: Filters): Record<string, string | number | undefined> {
  return { person: f.person, badge: f.badge, device: f.device, site: f.site, from: fromLocalInput(f.from), to: fromLocalInput(f.to), flag: f.flag }
}

/** The browser's zone, so an export's local_time column reads as the times on this page. */
function browserZone (): string | undefined {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone } catch { return undefined }
}

function matches (p: Punch, f: Filters): boolean {
  const from = fromLocalInput(f.from)
  const to = fromLocalInput(f.to)
  return (f.person === '' || p.person === f.person) &&
    (f.badge === '' || p.emp === f.badge) &&
    (f.device === '' || p.device === f.device) &&
    (f.site === '' || p.site === f.site) &&
    (from === undefined || p.ts >= from) &&
    (to === undefined || p.ts < to) &&
    (f.flag === '' || (p.flags as string[]).includes(f.flag))
}

export function PunchesPage () {
  const [form, setForm] = useState<Filters>(NO_FILTERS)
  const [shown, setShown] = useState<Filters | undefined>(undefined)
  const [rows, setRows] = useState<Punch[]>([])
  const [next, setNext] = useState<number | undefined>(undefined)
  const action = useAction()

  const fetchPage = async (f: Filters, after: number | undefined): Promise<void> => {
    const page = await api<{ punches: Punch[], next?: number }>('GET', '/punches' + query({ ...params(f), limit: PAGE, after }))
    setRows(r => after === undefined ? page.punches : [...r, ...page.punches])
    setNext(page.next)
  }
  const search = async (e?: Event): Promise<void> => {
    e?.preventDefault()
    const f = { ...form }
    if (await action.run(async () => await fetchPage(f, undefined))) setShown(f)
  }
  const more = async (): Promise<void> => {
    if (shown !== undefined) await action.run(async () => await fetchPage(shown, next))
  }
  const onPunch = useCallback((data: unknown) => {
    const p = data as Punch
    if (shown !== undefined && matches(p, shown)) setRows(r => r.some(x => x.id === p.id) ? r : [p, ...r])
  }, [shown])
  useLive(['punch'], onPunch)

  const field = (k: keyof Filters) => ({ value: form[k], onInput: (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value }) })
  const exportQuery = query({ ...params(shown ?? form), tz: browserZone() })

  return (
    <section>
      <h1>Punches</h1>
      <form class='filters' onSubmit={e => { void search(e) }}>
        <label>Person <input name='person' {...field('person')} /></label>
        <label>Badge <input name='badge' {...field('badge')} /></label>
        <label>Device <input name='device' {...field('device')} /></label>
        <label>Site <input name='site' {...field('site')} /></label>
        <label>From <input name='from' type='datetime-local' {...field('from')} /></label>
        <label>To <input name='to' type='datetime-local' {...field('to')} /></label>
        <label>Flag
          <select name='flag' {...field('flag')}>
            <option value=''>any</option>
            {Object.keys(FLAG_CHOICES).map(f => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        <button type='submit' disabled={action.busy}>Search</button>
      </form>
      <p class='exports'>
        Export these filters: <a href={`/api/v1/punches.csv${exportQuery}`} download>CSV</a> · <a href={`/api/v1/punches.xlsx${exportQuery}`} download>XLSX</a>
      </p>
      <Failure error={action.error} />
      {shown !== undefined && (
        <>
          <p role='status' data-count={rows.length}>{rows.length} punch{rows.length === 1 ? '' : 'es'}{next !== undefined ? ' so far' : ''}</p>
          <div class='scroll'>
            <table class='grid' aria-label='punches'>
              <thead><tr><th>time</th><th>person</th><th>badge</th><th>device</th><th>site</th><th>kind</th><th>method</th><th>flags</th><th>stored</th><th>upstream</th></tr></thead>
              <tbody>
                {rows.map(p => (
                  <tr key={p.id} data-punch={p.id}>
                    <td>{dateTime(p.ts)}</td><td>{p.person ?? '—'}</td><td>{p.emp}</td><td>{p.device}</td><td>{p.site ?? ''}</td><td>{p.kind}</td><td>{p.method ?? ''}</td>
                    <td>{p.flags.join(', ')}</td><td>{dateTime(p.received)}</td><td>{p.delivered === undefined ? '' : p.delivered ? 'delivered' : 'waiting'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {next !== undefined && <button type='button' onClick={() => { void more() }} disabled={action.busy}>More</button>}
        </>
      )}
    </section>
  )
}
