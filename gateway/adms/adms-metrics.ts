/** The ADMS ingress's counters, on the gateway's registry (gateway/metrics.ts has the rest). */
import { Counter, type Registry } from 'prom-client'

export class AdmsMetrics {
  readonly requests: Counter<'endpoint' | 'result'>
  readonly lines: Counter<'result'>
  readonly refused: Counter<'reason'>
  readonly commands: Counter<'result'>

  constructor (registry: Registry) {
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
      new Counter<L>({ name, help, labelNames, registers: [registry] })
    this.requests = counter('punchline_adms_requests_total',
      'Requests from ZKTeco terminals, by endpoint (handshake, upload, heartbeat, results, other) and result (ok, refused, failed)', ['endpoint', 'result'])
    this.lines = counter('punchline_adms_lines_total',
      'ATTLOG lines from ZKTeco terminals, by result (stored, known = sent before, bad = unreadable, counted and kept in its body)', ['result'])
    this.refused = counter('punchline_adms_refused_total',
      'ZKTeco terminal requests refused, by reason (unknown_serial, storage_full, queue_full, too_large, commit_failed); the terminal keeps its records and sends them again', ['reason'])
    this.commands = counter('punchline_adms_commands_total',
      'Commands to ZKTeco terminals, by result (sent, done, failed = a non-zero return code, unknown = a result for no open command)', ['result'])
  }
}
