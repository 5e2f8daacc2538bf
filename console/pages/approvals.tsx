/**
 * The approvals queue (hr, admin): make-up punch requests waiting for a decision (GET /api/v1/makeups,
 * approve or reject with a comment; approved ones go upstream flagged `manual`), a form to file one, and
 * punches flagged for review (GET /api/v1/reviews: confirm or dispute, the decision travels upstream).
 */
import { useCallback, useState } from 'preact/hooks'
import { api, ApiFailure, upload } from '../api/client.js'
import { useLive, usePollWhenNotLive } from '../api/live.js'
import type { Makeup, Review, Who } from '../api/shapes.js'
import { may } from '../roles.js'
import { Failure, failureText } from '../ui/failure.js'
import { dateTime, toOffsetTime } from '../ui/format.js'
import { useAction, useLoad } from '../ui/use-load.js'

const POLL_MS = 10_000
const KINDS = ['in', 'out'] as const
/** What the gateway keeps as evidence (gateway/http/v1/makeup-attachment-routes.ts). */
const EVIDENCE_TYPES = 'image/png,image/jpeg,application/pdf'

/** The items of a queue, or null when this gateway has no such route (an older one: 404). */
async function queue<T> (path: string): Promise<T[] | null> {
  try {
    return (await api<{ items: T[] }>('GET', path)).items
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404 && err.code === 'not_found') return null
    throw err
  }
}

function Decide ({ label, choices, act }: { label: string, choices: Array<{ text: string, go: (comment: string) => Promise<unknown> }>, act: () => Promise<void> }) {
  const [comment, setComment] = useState('')
  const action = useAction()
  return (
    <td class='row-actions'>
      <input aria-label={`comment on ${label}`} placeholder='comment' value={comment} onInput={e => setComment(e.currentTarget.value)} />
      {choices.map(c => (
        <button key={c.text} type='button' disabled={action.busy} onClick={() => { void action.run(async () => { await c.go(comment); await act() }) }}>{c.text}</button>
      ))}
      <Failure error={action.error} />
    </td>
  )
}

function NewMakeup ({ onFiled }: { onFiled: () => Promise<void> }) {
  const [emp, setEmp] = useState('')
  const [when, setWhen] = useState('')
  const [kind, setKind] = useState<string>('in')
  const [reason, setReason] = useState('')
  const [evidence, setEvidence] = useState('')
  const [device, setDevice] = useState('')
  const [file, setFile] = useState<File | undefined>(undefined)
  const action = useAction()
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const body = { emp, ts: toOffsetTime(when), kind, reason, ...(evidence === '' ? {} : { evidence }), ...(device === '' ? {} : { device }) }
    let made: Makeup | undefined
    const filed = await action.run(async () => { made = await api<Makeup>('POST', '/makeups', body) })
    if (filed && file !== undefined) {
      // The request stands without its file: say so, rather than have it filed twice by a second try.
      await action.run(async () => {
        try {
          await upload('PUT', `/makeups/${made!.id}/attachment`, file)
        } catch (err) {
          throw new Error(`request ${made!.id} filed, but its file was refused: ${failureText(err)}`)
        }
      })
    }
    if (filed) {
      setEmp(''); setWhen(''); setReason(''); setEvidence(''); setDevice(''); setFile(undefined)
      ;(e.target as HTMLFormElement).reset()
      await onFiled()
    }
  }
  return (
    <details>
      <summary>File a make-up request</summary>
      <form class='inline' onSubmit={e => { void submit(e) }} aria-label='file a make-up request'>
        <label>Badge <input name='emp' required value={emp} onInput={e => setEmp(e.currentTarget.value)} /></label>
        <label>Time <input name='ts' type='datetime-local' required value={when} onInput={e => setWhen(e.currentTarget.value)} /></label>
        <label>Kind <select name='kind' value={kind} onChange={e => setKind(e.currentTarget.value)}>{KINDS.map(k => <option key={k} value={k}>{k}</option>)}</select></label>
        <label>Reason <input name='reason' required value={reason} onInput={e => setReason(e.currentTarget.value)} /></label>
        <label>Evidence <input name='evidence' value={evidence} onInput={e => setEvidence(e.currentTarget.value)} /></label>
        <label>Terminal <small>(its site's rules apply)</small> <input name='device' value={device} onInput={e => setDevice(e.currentTarget.value)} /></label>
        <label>Evidence file <small>(PNG, JPEG or PDF)</small> <input name='file' type='file' accept={EVIDENCE_TYPES} onChange={e => setFile(e.currentTarget.files?.[0])} /></label>
        <button type='submit' disabled={action.busy}>File request</button>
        <Failure error={action.error} />
      </form>
    </details>
  )
}

export function ApprovalsPage ({ who }: { who: Who }) {
  const makeups = useLoad(async () => await queue<Makeup>('/makeups?status=pending'))
  const reviews = useLoad(async () => await queue<Review>('/reviews?status=open'))
  const refresh = useCallback(() => { void makeups.reload(); void reviews.reload() }, [makeups.reload, reviews.reload])
  useLive(['makeup', 'review', 'reset'], refresh)
  usePollWhenNotLive(refresh, POLL_MS)
  const canDecide = may(who.role, 'decideApprovals')
  const m = makeups.data
  const r = reviews.data

  return (
    <section>
      <h1>Approvals</h1>
      <h2>Make-up requests waiting</h2>
      <Failure error={makeups.error} />
      {m === null && <p class='hint'>This gateway takes no make-up requests.</p>}
      {m != null && canDecide && <NewMakeup onFiled={async () => await makeups.reload()} />}
      {m != null && m.length === 0 && <p class='ok' data-queue='makeups-empty'>Nothing waiting.</p>}
      {m != null && m.length > 0 && (
        <div class='scroll'>
          <table class='grid' aria-label='make-up requests'>
            <thead><tr><th>badge</th><th>time</th><th>kind</th><th>reason</th><th>evidence</th><th>beyond the rules</th><th>asked by</th>{canDecide && <th />}</tr></thead>
            <tbody>
              {m.map(x => (
                <tr key={x.id} data-makeup={x.id}>
                  <td>{x.emp}</td><td>{dateTime(x.ts)}</td><td>{x.kind}</td><td>{x.reason}</td><td>{x.evidence ?? ''}{x.attachment != null && <> <a href={`/api/v1/makeups/${x.id}/attachment`} target='_blank' rel='noopener noreferrer'>file</a></>}</td>
                  <td>{(x.exceptions ?? []).join(', ')}</td>
                  <td>{x.requestedBy} <small>{dateTime(x.requestedAt)}</small></td>
                  {canDecide && (
                    <Decide
                      label={`request ${x.id}`}
                      act={makeups.reload}
                      choices={[
                        { text: 'Approve', go: async c => await api('POST', `/makeups/${x.id}/approve`, c === '' ? {} : { comment: c }) },
                        { text: 'Reject', go: async c => await api('POST', `/makeups/${x.id}/reject`, { comment: c }) }
                      ]}
                    />)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Punches flagged for review</h2>
      <Failure error={reviews.error} />
      {r === null && <p class='hint'>This gateway has no review queue.</p>}
      {r != null && r.length === 0 && <p class='ok' data-queue='reviews-empty'>Nothing to review.</p>}
      {r != null && r.length > 0 && (
        <div class='scroll'>
          <table class='grid' aria-label='flagged punches'>
            <thead><tr><th>time</th><th>badge</th><th>device</th><th>flags</th>{canDecide && <th />}</tr></thead>
            <tbody>
              {r.map(x => (
                <tr key={x.punch.id} data-review={x.punch.id}>
                  <td>{dateTime(x.punch.ts)}</td><td>{x.punch.emp}</td><td>{x.punch.device}</td><td>{x.punch.flags.join(', ')}</td>
                  {canDecide && (
                    <Decide
                      label={`punch ${x.punch.id}`}
                      act={reviews.reload}
                      choices={[
                        { text: 'Confirm', go: async c => await api('POST', `/punches/${x.punch.id}/review`, { decision: 'confirm', comment: c }) },
                        { text: 'Dispute', go: async c => await api('POST', `/punches/${x.punch.id}/review`, { decision: 'dispute', comment: c }) }
                      ]}
                    />)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
