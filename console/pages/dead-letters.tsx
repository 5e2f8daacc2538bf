/**
 * Dead letters (GET /api/v1/dead-letters): punches the upstream refused, or that wait for the roster to
 * name their person. Once the cause is fixed they are sent again (POST /api/v1/dead-letters/replay): the
 * ones ticked, all, or those that waited for the roster.
 */
import { useCallback, useState } from 'preact/hooks'
import { api } from '../api/client.js'
import { useLive, usePollWhenNotLive } from '../api/live.js'
import { readDeadLetters, type DeadLetter, type Who } from '../api/shapes.js'
import { may } from '../roles.js'
import { Failure } from '../ui/failure.js'
import { dateTime } from '../ui/format.js'
import { useAction, useLoad } from '../ui/use-load.js'

const POLL_MS = 10_000

export function DeadLettersPage ({ who }: { who: Who }) {
  const letters = useLoad(async () => readDeadLetters(await api<Parameters<typeof readDeadLetters>[0]>('GET', '/dead-letters')))
  const [ticked, setTicked] = useState<Set<number>>(new Set())
  const [result, setResult] = useState<string | undefined>(undefined)
  const action = useAction()
  const refresh = useCallback(() => { void letters.reload() }, [letters.reload])
  useLive(['dead-letter', 'reset'], refresh)
  usePollWhenNotLive(refresh, POLL_MS)
  const canReplay = may(who.role, 'replayDeadLetters')

  const replay = async (which: { all: true } | { unmapped: true } | { ids: number[] }): Promise<void> => {
    let replayed = 0
    if (await action.run(async () => { replayed = (await api<{ replayed: number }>('POST', '/dead-letters/replay', which)).replayed })) {
      setResult(`${replayed} sent again; the forwarder takes them at its next round.`)
      setTicked(new Set())
      await letters.reload()
    }
  }
  const toggle = (id: number): void => {
    const s = new Set(ticked)
    if (s.has(id)) s.delete(id); else s.add(id)
    setTicked(s)
  }
  const list: DeadLetter[] = letters.data ?? []

  return (
    <section>
      <h1>Dead letters</h1>
      <Failure error={letters.error} />
      {canReplay && (
        <div class='actions'>
          <button type='button' disabled={action.busy || ticked.size === 0} onClick={() => { void replay({ ids: [...ticked] }) }}>Replay ticked ({ticked.size})</button>
          <button type='button' disabled={action.busy || list.length === 0} onClick={() => { void replay({ all: true }) }}>Replay all</button>
          <button type='button' disabled={action.busy || !list.some(d => d.kind === 'unmapped')} onClick={() => { void replay({ unmapped: true }) }}>Replay those waiting for the roster</button>
        </div>
      )}
      <Failure error={action.error} />
      {result !== undefined && <p class='done' role='status'>{result}</p>}
      {letters.data !== undefined && list.length === 0 && <p class='ok'>No dead letters.</p>}
      {list.length > 0 && (
        <div class='scroll'>
          <table class='grid' aria-label='dead letters'>
            <thead><tr>{canReplay && <th />}<th>punch</th><th>badge</th><th>time</th><th>kind</th><th>upstream said</th><th>parked</th></tr></thead>
            <tbody>
              {list.map(d => (
                <tr key={d.rowId} data-row={d.rowId}>
                  {canReplay && <td><input type='checkbox' aria-label={`tick ${d.punch}`} checked={ticked.has(d.rowId)} onChange={() => toggle(d.rowId)} /></td>}
                  <td>{d.punch}</td><td>{d.emp}</td><td>{dateTime(d.ts)}</td><td>{d.kind}</td>
                  <td>{d.status !== null && <b>{d.status} </b>}{d.reason}</td><td>{dateTime(d.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
