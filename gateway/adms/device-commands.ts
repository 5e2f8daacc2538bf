/**
 * Commands the gateway queues for a terminal, handed out on its next heartbeat as `C:<id>:<command>`
 * lines, and the results the terminal posts back to `/iclock/devicecmd` as `ID=<id>&Return=<code>&CMD=<verb>`
 * lines (docs/ADMS.md, "Commands"). Only commands that read or set the clock and options are sent: the
 * protocol also carries user deletion and a root shell, which a gateway has no business sending.
 */
import { packWallTime } from '../../shared/adms/packed-time.js'
import type { WallTime } from './attlog.js'

export type CommandKind = 'set-time' | 'info' | 'reload-options'

/** The command line's text after `C:<id>:`. */
export function commandText (kind: CommandKind, wall?: WallTime): string {
  switch (kind) {
    case 'info': return 'INFO'
    // CHECK makes the terminal ask for its options again (the handshake).
    case 'reload-options': return 'CHECK'
    case 'set-time':
      if (wall === undefined) throw new TypeError('set-time needs the wall time to set')
      return `SET OPTIONS DateTime=${packWallTime(wall)}`
  }
}

export function commandLine (id: number, text: string): string {
  return `C:${id}:${text}`
}

export interface CommandResult {
  id: number
  /** the terminal's return code: 0 done, negative codes are failures (-1002: unknown command) */
  code: number
  verb: string
  /** lines that followed the result line (INFO's key=value lines), as sent */
  content: string
}

export interface ParsedResults {
  results: CommandResult[]
  /** lines that were neither a result nor part of one, by line number */
  problems: Array<{ line: number, rule: string }>
}

/** Parses a devicecmd body; lines after a result line that are not results belong to it (INFO's content). */
export function parseCommandResults (body: string): ParsedResults {
  const results: CommandResult[] = []
  const problems: ParsedResults['problems'] = []
  const lines = body.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line.trim() === '') continue
    if (line.startsWith('ID=')) {
      const q = new URLSearchParams(line)
      const id = Number(q.get('ID'))
      const code = Number(q.get('Return'))
      if (!Number.isSafeInteger(id) || id <= 0) { problems.push({ line: i + 1, rule: 'ID must be a whole number above 0' }); continue }
      if (!Number.isSafeInteger(code)) { problems.push({ line: i + 1, rule: 'Return must be a whole number' }); continue }
      results.push({ id, code, verb: q.get('CMD') ?? '', content: '' })
      continue
    }
    const last = results.at(-1)
    if (last === undefined) { problems.push({ line: i + 1, rule: 'must be a result line (ID=…&Return=…&CMD=…) or follow one' }); continue }
    last.content += (last.content === '' ? '' : '\n') + line
  }
  return { results, problems }
}
