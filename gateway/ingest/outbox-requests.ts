/**
 * The forwarder's outbox writes on their way to the commit thread (store/outbox-writes.ts says why they go
 * there): queued in the event loop, handed over with the next group (or alone when no punches wait), run in
 * that group's transaction on the thread's connection (outbox-on-thread.ts), answered with it.
 */
import type { ForwardBatch } from '../store/forward-store.js'
import type { OutboxClaim } from '../store/outbox-writes.js'

export type OutboxRequest =
  | { kind: 'complete', key: string, resolve: () => void, reject: (err: Error) => void }
  | { kind: 'form', size: number, count: number, now: number, resolve: (batches: ForwardBatch[]) => void, reject: (err: Error) => void }

/** What crosses to the thread with a group: keys delivered, batches to form, and what the thread may claim ahead. */
export interface WireOutbox {
  complete: string[]
  /** [size, count, now] per request */
  forms: Array<[number, number, number]>
  claim?: OutboxClaim
}

/** The thread's answer for one group's outbox writes: the batches formed per form request, or why it failed. */
export type OutboxAnswer =
  | { formed: ForwardBatch[][], claimed: number }
  | { error: string, code?: string }

export function wireOutbox (requests: readonly OutboxRequest[], claim: OutboxClaim | undefined): WireOutbox | undefined {
  if (requests.length === 0 && claim === undefined) return undefined
  const out: WireOutbox = { complete: [], forms: [] }
  for (const r of requests) {
    if (r.kind === 'complete') out.complete.push(r.key)
    else out.forms.push([r.size, r.count, r.now])
  }
  if (claim !== undefined) out.claim = claim
  return out
}

/** Resolves each request from the thread's answer, in the order they went; a missing answer is a failure. */
export function answerOutbox (requests: readonly OutboxRequest[], answer: OutboxAnswer | undefined): void {
  if (requests.length === 0) return
  if (answer === undefined || 'error' in answer) {
    const err = answer === undefined ? new Error('the commit thread did not answer the outbox writes') : Object.assign(new Error(answer.error), answer.code === undefined ? {} : { code: answer.code })
    return failOutbox(requests, err)
  }
  let form = 0
  for (const r of requests) {
    if (r.kind === 'complete') r.resolve()
    else r.resolve(answer.formed[form++] ?? [])
  }
}

export function failOutbox (requests: readonly OutboxRequest[], err: Error): void {
  for (const r of requests) r.reject(err)
}
