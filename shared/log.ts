/**
 * Structured JSON logs (pino). Secrets are redacted wherever they appear in a logged object.
 */
import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

const REDACT = [
  'password', 'secret', 'token', 'authorization',
  '*.password', '*.secret', '*.token', '*.authorization',
  'headers.authorization', '*.headers.authorization'
]

export function createLogger (opts: { name: string, level?: string }, destination?: DestinationStream): Logger {
  return pino({
    name: opts.name,
    level: opts.level ?? process.env.PUNCHLINE_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid }
  }, destination ?? pino.destination({ fd: 1, sync: false }))
}

/** A logger that writes nothing, for library use and quiet tests. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
