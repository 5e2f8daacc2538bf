/** What the console reads from /api/v1/terminals (ZKTeco terminals over ADMS, docs/ADMS.md). */

export interface Terminal {
  sn: string
  /** the device id its punches carry */
  device: string
  /** the IANA zone its clock is meant to show */
  zone: string
  online: boolean
  lastSeen: number | null
  address?: string | null
  firmware?: string | null
  /** when it last confirmed a clock the gateway set; null: never (its punches are flagged clock-unsynced) */
  clockSet?: number | null
  /** the ATTLOGStamp its next handshake gets; null: everything it holds */
  resumesAt?: string | null
  created?: number
}

export type TerminalCommandKind = 'set-time' | 'info' | 'reload-options'

export interface TerminalCommand {
  id: number
  kind: string
  text: string
  queued: number
  sent: number | null
  done: number | null
  /** the terminal's return code: 0 done, negative a failure */
  code: number | null
  result: string | null
}

export interface TerminalProblem { line: number, field: string, rule: string, raw: string }

export interface TerminalProblemBody {
  /** the kept body the lines came in */
  body: number
  received: number
  problems: TerminalProblem[]
}
