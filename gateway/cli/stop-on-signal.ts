/**
 * How a long-running gateway process ends: SIGTERM or SIGINT runs its stop once (draining what it took) and
 * exits 0, or 1 if the stop failed; an uncaught exception exits 70 at once. Nothing is acknowledged before
 * it is committed, so exiting loses nothing a device cannot resend; a supervisor (systemd) restarts it.
 */
import type { Logger } from '../../shared/log.js'

export function stopOnSignals (stop: () => Promise<void>, log: Logger, stoppingMessage: string): void {
  let stopping = false
  const onSignal = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, stoppingMessage)
    stop().then(() => { log.flush(); process.exit(0) }, (err: Error) => {
      log.error({ err }, 'error while stopping')
      log.flush()
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting')
    log.flush()
    process.exit(70)
  })
}
