/**
 * One person's days (GET /api/v1/people/{emp}/days): first in, last out, how many punches and their flags
 * per calendar day in the browser's zone, for payroll questions ("was I here on Tuesday").
 */
import { useState } from 'preact/hooks'
import { api, query } from '../api/client.js'
import { Failure } from '../ui/failure.js'
import { calendarDate, dateTime } from '../ui/format.js'
import { useAction } from '../ui/use-load.js'

interface Day { date: string, firstIn: number | null, lastOut: number | null, count: number, flags: string[] }

/** A week back to today: what a payroll question usually spans. */
const WEEK_DAYS = 6

export function DaysPage () {
  const today = new Date()
  const [emp, setEmp] = useState('')
  const [from, setFrom] = useState(calendarDate(today.getTime() - WEEK_DAYS * 86400_000))
  const [to, setTo] = useState(calendarDate(today.getTime()))
  const [days, setDays] = useState<Day[] | undefined>(undefined)
  const action = useAction()
  const show = async (e: Event): Promise<void> => {
    e.preventDefault()
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone
    await action.run(async () => {
      setDays((await api<{ days: Day[] }>('GET', `/people/${encodeURIComponent(emp)}/days` + query({ from, to, tz }))).days)
    })
  }
  return (
    <section>
      <h1>Days</h1>
      <form class='filters' onSubmit={e => { void show(e) }} aria-label='a person and dates'>
        <label>Person or badge <input name='emp' required value={emp} onInput={e => setEmp(e.currentTarget.value)} /></label>
        <label>From <input name='from' type='date' required value={from} onInput={e => setFrom(e.currentTarget.value)} /></label>
        <label>To <input name='to' type='date' required value={to} onInput={e => setTo(e.currentTarget.value)} /></label>
        <button type='submit' disabled={action.busy}>Show days</button>
      </form>
      <Failure error={action.error} />
      {days !== undefined && (
        <div class='scroll'>
          <table class='grid' aria-label='days'>
            <thead><tr><th>day</th><th>first in</th><th>last out</th><th>punches</th><th>flags</th></tr></thead>
            <tbody>
              {days.map(d => (
                <tr key={d.date} data-day={d.date}>
                  <td>{d.date}</td><td>{d.firstIn === null ? '—' : dateTime(d.firstIn).slice(11)}</td><td>{d.lastOut === null ? '—' : dateTime(d.lastOut).slice(11)}</td>
                  <td>{d.count}</td><td>{d.flags.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
