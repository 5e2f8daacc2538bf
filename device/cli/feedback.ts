/**
 * What a terminal's display says for each read: one line a person at the reader understands, and the
 * same event as JSON for a display process that wants to draw it itself.
 */
import type { PunchEvent } from '../runtime.js'

export function formatOutcome (e: PunchEvent): string {
  const time = new Date(e.at).toISOString().slice(11, 19)
  const o = e.outcome
  switch (o.outcome) {
    case 'accepted': return `${time}  ACCEPTED        ${e.emp} (${e.method}, ${e.input}) stored as #${o.seq}`
    case 'duplicate-read': return `${time}  DUPLICATE READ  ${e.emp} (${e.method}, ${e.input}) already punched as #${o.previousSeq}; not recorded again`
    case 'refused': return `${time}  REFUSED         ${e.emp} (${e.method}, ${e.input}): ${o.message}`
  }
}
