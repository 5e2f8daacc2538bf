/**
 * The forwarder's outbox writes as the commit thread runs them (outbox-requests.ts hands them over), inside
 * the transaction that stores the group's punches, after them: deliveries recorded, batches formed on
 * request, then full batches claimed ahead past the cursor, which may take punches of this very transaction.
 */
import type { ForwardStore } from '../store/forward-store.js'
import type { OutboxAnswer, WireOutbox } from './outbox-requests.js'

/** Runs every group's outbox writes; the claim of the last group that asks for one, once. Returns an answer per group. */
export function runOutbox (store: ForwardStore, outboxes: ReadonlyArray<WireOutbox | undefined>): Array<OutboxAnswer | undefined> {
  const answers: Array<OutboxAnswer | undefined> = []
  let claimAt = -1
  for (let i = 0; i < outboxes.length; i++) {
    const o = outboxes[i]
    if (o === undefined) { answers.push(undefined); continue }
    for (const key of o.complete) store.complete(key)
    answers.push({ formed: o.forms.map(([size, count, now]) => store.formBatches(size, count, now)), claimed: 0 })
    if (o.claim !== undefined) claimAt = i
  }
  if (claimAt >= 0) {
    const { size, upTo, now } = outboxes[claimAt]!.claim!
    const answer = answers[claimAt] as { claimed: number }
    answer.claimed = store.claimFull(size, upTo, now)
  }
  return answers
}

/** Does this transaction write anything that must be on disk before it is answered? Only recorded deliveries need not. */
export function needsSync (rows: number, outboxes: ReadonlyArray<WireOutbox | undefined>): boolean {
  if (rows > 0) return true
  for (const o of outboxes) if (o !== undefined && (o.forms.length > 0 || o.claim !== undefined)) return true
  return false
}
