/**
 * What the gateway answers a ZKTeco terminal on each PUSH endpoint (docs/ADMS.md). The HTTP side is
 * listener.ts; here are the decisions:
 *
 * - A serial number not registered is refused (403, counted, one log line per serial a minute): a
 *   terminal cannot enrol itself, since whoever reaches the port could then write punches.
 * - An upload is kept as it came (one transaction) before anything reads it. Its lines are parsed; each
 *   good one becomes a punch with the line's own identity (attlog-rows.ts), numbered, and committed
 *   through the same group commit, rules and outbox as the devices' punches. Only then is the answer
 *   `OK: <n>` (n: lines taken, new or known). A bad line is counted, kept in its body's record and
 *   reported by line; it never holds back the good ones, and it is answered as taken: sending it again
 *   would not make it readable.
 * - While punches cannot be stored (storage full, the commit queue full, a failed commit) the answer is
 *   503 with the reason: the terminal keeps its records and tries again after ErrorDelay.
 * - The heartbeat hands out queued commands; a terminal whose clock the gateway has not set since its
 *   handshake gets a clock command first, in its zone's wall time (the zone is never sent as an offset).
 */
import type { Logger } from '../../shared/log.js'
import { decodeUtf8 } from '../../shared/codec/device-text.js'
import { LogLimiter } from '../log-limiter.js'
import { isSerial, SERIAL_PATTERN, type AdmsStore, type Terminal } from '../store/adms-store.js'
import { QueueFull, type Committer, type CommitResult } from '../ingest/group-commit.js'
import type { PunchRow } from '../store/punch-store.js'
import type { AdmsMetrics } from './adms-metrics.js'
import { parseAttlog, type AttlogProblem } from './attlog.js'
import { recordToRow } from './attlog-rows.js'
import { commandLine, commandText, parseCommandResults } from './device-commands.js'
import { renderOptionsBlock } from './options-block.js'
import { instantToWallTime } from './local-time.js'

export interface AdmsSettings {
  /** seconds between a terminal's heartbeats */
  delaySeconds: number
  /** seconds a terminal waits after a failed exchange */
  errorDelaySeconds: number
  /** set each terminal's clock, in its zone, when it comes online */
  setClock: boolean
  /** commands handed out per heartbeat at most */
  maxCommandsPerPoll: number
}

export interface Answer {
  status: number
  text: string
}

export interface AdmsIngressOptions {
  store: AdmsStore
  commit: Committer
  metrics: AdmsMetrics
  log: Logger
  now: () => number
  settings: AdmsSettings
  /** why punches cannot be stored now (storage full), undefined while they can */
  accepting?: () => string | undefined
  /** a commit failed: the storage guard turns full at once when it was SQLITE_FULL */
  commitFailed?: (err: Error) => void
  /** a log line left out by the per-terminal limit, by kind */
  logSuppressed?: (kind: string) => void
  /** after a commit: the seqs stored now, as for the devices' batches (the live events and the history) */
  committed?: (device: string, epoch: string, stored: number[]) => void
}

const OK: Answer = { status: 200, text: 'OK' }

export class AdmsIngress {
  readonly #o: AdmsIngressOptions
  readonly #log: LogLimiter
  /** serial numbers whose clock command went out since their last handshake */
  readonly #clockAsked = new Set<string>()

  constructor (opts: AdmsIngressOptions) {
    this.#o = opts
    this.#log = new LogLimiter({ log: opts.log, suppressed: (kind) => opts.logSuppressed?.(kind), now: opts.now })
  }

  /** The terminal, or the refusal for a serial number nobody registered. */
  #terminal (sn: string | undefined, endpoint: string, address: string | undefined): Terminal | Answer {
    if (sn !== undefined && !isSerial(sn)) {
      // Not echoed: it is whatever the request carried.
      this.#o.metrics.refused.inc({ reason: 'unknown_serial' })
      this.#o.metrics.requests.inc({ endpoint, result: 'refused' })
      return { status: 400, text: `FAIL: SN must be a terminal's serial number (${SERIAL_PATTERN.source})` }
    }
    const terminal = sn === undefined ? undefined : this.#o.store.get(sn)
    if (terminal !== undefined) {
      this.#o.store.heardFrom(terminal.sn, this.#o.now(), address)
      return terminal
    }
    this.#o.metrics.refused.inc({ reason: 'unknown_serial' })
    this.#o.metrics.requests.inc({ endpoint, result: 'refused' })
    this.#log.write('warn', { kind: 'adms-unknown-serial', device: sn ?? '(none)' }, { sn, address },
      'a terminal that is not registered pushed to the ADMS listener; register it with punchline terminals add')
    return { status: 403, text: `FAIL: unknown terminal ${sn ?? '(no SN)'}; register it with: punchline terminals add ${sn ?? 'SN'} --zone ZONE` }
  }

  handshake (sn: string | undefined, address: string | undefined): Answer {
    const t = this.#terminal(sn, 'handshake', address)
    if ('status' in t) return t
    // A new handshake is a terminal (re)starting: its clock is set again on its next heartbeat.
    this.#clockAsked.delete(t.sn)
    this.#o.metrics.requests.inc({ endpoint: 'handshake', result: 'ok' })
    const s = this.#o.settings
    const stamp = t.attlogStamp !== null && /^\d+$/.test(t.attlogStamp) ? Number(t.attlogStamp) : 0
    return { status: 200, text: renderOptionsBlock({ sn: t.sn, attlogStamp: stamp, delaySeconds: s.delaySeconds, errorDelaySeconds: s.errorDelaySeconds }) }
  }

  /** `POST /iclock/cdata?table=…`: any table is kept; ATTLOG lines become punches. */
  async upload (sn: string | undefined, table: string, stamp: string | undefined, body: Buffer, address: string | undefined): Promise<Answer> {
    const t = this.#terminal(sn, 'upload', address)
    if ('status' in t) return t
    const o = this.#o
    const refusal = o.accepting?.()
    if (refusal !== undefined) return this.#refuse('storage_full', refusal)
    const bodyId = o.store.keepBody(t.sn, table, stamp, o.now(), body)
    if (table !== 'ATTLOG') {
      o.metrics.requests.inc({ endpoint: 'upload', result: 'ok' })
      return OK
    }
    // Bytes that are not UTF-8 make their line a problem (device-text.ts), never a replacement character
    // stored as if the terminal had sent it.
    const { records, problems } = parseAttlog(decodeUtf8(body))
    const rows: PunchRow[] = []
    const sourceIds: string[] = []
    for (const r of records) {
      const mapped = recordToRow(t, r, t.epoch)
      if ('rule' in mapped) {
        problems.push({ line: r.line, field: mapped.field, rule: mapped.rule, raw: r.raw })
        continue
      }
      rows.push(mapped.row)
      sourceIds.push(mapped.sourceId)
    }
    if (!this.#isClockSet(t)) for (const row of rows) row.punch.clock = 'unsynced'
    if (problems.length > 0) this.#badLines(t, bodyId, problems)
    if (rows.length > 0) {
      const seqs = o.store.numberLines(t.sn, t.device, sourceIds)
      for (let i = 0; i < rows.length; i++) rows[i].punch.seq = seqs[i]
      const result = await this.#commit(rows)
      if (!('stored' in result)) return result
      o.metrics.lines.inc({ result: 'stored' }, result.stored.length)
      o.metrics.lines.inc({ result: 'known' }, result.known.length)
      if (result.stored.length > 0) o.committed?.(t.device, t.epoch, result.stored)
    }
    o.store.uploadDone(bodyId, t.sn, stamp, rows.length, problems)
    o.metrics.requests.inc({ endpoint: 'upload', result: 'ok' })
    return { status: 200, text: `OK: ${rows.length + problems.length}` }
  }

  /** `GET /iclock/getrequest`: the heartbeat; hands out what is queued for the terminal. */
  heartbeat (sn: string | undefined, info: string | undefined, address: string | undefined): Answer {
    const t = this.#terminal(sn, 'heartbeat', address)
    if ('status' in t) return t
    const o = this.#o
    // INFO=<firmware>,<users>,<fingerprints>,<records>,<address>,…: the firmware is worth keeping.
    const firmware = info?.split(',')[0]
    if (firmware !== undefined && firmware !== '') o.store.heardFrom(t.sn, o.now(), address, firmware.slice(0, 64))
    if (o.settings.setClock && !this.#clockAsked.has(t.sn)) {
      this.#clockAsked.add(t.sn)
      this.queueClock(t)
    }
    const commands = o.store.takeCommands(t.sn, o.now(), o.settings.maxCommandsPerPoll)
    o.metrics.requests.inc({ endpoint: 'heartbeat', result: 'ok' })
    if (commands.length === 0) return OK
    o.metrics.commands.inc({ result: 'sent' }, commands.length)
    return { status: 200, text: commands.map(c => commandLine(c.id, c.text)).join('\n') + '\n' }
  }

  /** Queues a clock command: the terminal's clock will show the gateway's time in the terminal's zone. */
  queueClock (t: Terminal): number {
    const o = this.#o
    return o.store.queueCommand(t.sn, 'set-time', commandText('set-time', instantToWallTime(o.now(), t.zone)), o.now())
  }

  /** `POST /iclock/devicecmd`: results of commands, one per line. */
  commandResults (sn: string | undefined, body: Buffer, address: string | undefined): Answer {
    const t = this.#terminal(sn, 'results', address)
    if ('status' in t) return t
    const o = this.#o
    const { results, problems } = parseCommandResults(body.toString('utf8'))
    for (const r of results) {
      const known = o.store.commandDone(t.sn, r.id, r.code, r.content === '' ? r.verb : `${r.verb}\n${r.content}`, o.now())
      o.metrics.commands.inc({ result: !known ? 'unknown' : r.code === 0 ? 'done' : 'failed' })
      if (known && r.code === 0 && r.verb.startsWith('SET OPTION')) o.store.clockConfirmed(t.sn, o.now())
      if (known) o.log.info({ sn: t.sn, command: r.id, code: r.code, verb: r.verb }, 'terminal command result')
    }
    if (problems.length > 0) {
      this.#log.write('warn', { kind: 'adms-bad-result', device: t.sn }, { sn: t.sn, problems: problems.slice(0, 5) }, 'unreadable command results from a terminal')
    }
    o.metrics.requests.inc({ endpoint: 'results', result: 'ok' })
    return OK
  }

  #isClockSet (t: Terminal): boolean {
    return !this.#o.settings.setClock || t.clockSet !== null
  }

  #badLines (t: Terminal, bodyId: number, problems: AttlogProblem[]): void {
    this.#o.metrics.lines.inc({ result: 'bad' }, problems.length)
    const first = problems[0]
    this.#log.write('warn', { kind: 'adms-bad-line', device: t.sn, detail: first.field },
      { sn: t.sn, body: bodyId, lines: problems.length, first: { line: first.line, field: first.field, rule: first.rule, raw: first.raw } },
      'ATTLOG lines that cannot be read; the others are taken, the body is kept')
  }

  async #commit (rows: PunchRow[]): Promise<CommitResult | Answer> {
    const o = this.#o
    return await new Promise(resolve => {
      o.commit.enqueue({
        rows,
        received: o.now(),
        done: (err, result) => {
          if (err instanceof QueueFull) { resolve(this.#refuse('queue_full', err.message)); return }
          if (err != null || result === undefined) {
            if (err != null) o.commitFailed?.(err)
            o.log.error({ err }, 'commit of a terminal upload failed; answered 503, the terminal sends it again')
            resolve(this.#refuse('commit_failed', 'the punches could not be stored'))
            return
          }
          resolve(result)
        }
      })
    })
  }

  #refuse (reason: 'storage_full' | 'queue_full' | 'commit_failed', detail: string): Answer {
    this.#o.metrics.refused.inc({ reason })
    this.#o.metrics.requests.inc({ endpoint: 'upload', result: 'refused' })
    return { status: 503, text: `FAIL: ${detail}; send again after ErrorDelay` }
  }
}
