/**
 * A fake ZKTeco terminal speaking the PUSH protocol (ADMS / iclock) over real HTTP, written from what real
 * terminals are seen to send (docs/ADMS.md), not from the gateway's code: it is what the gateway's ADMS
 * ingress is tested against.
 *
 * What it does, as a terminal does:
 * - keeps its attendance log on the device, each record with a stamp (a counter here), and a high-water
 *   mark: the stamp of the last record the server acknowledged;
 * - asks for its options (`GET /iclock/cdata?options=all`) and takes `ATTLOGStamp` from the answer as its
 *   mark (0: send everything again), `Delay` and `ErrorDelay` as its pace;
 * - uploads what lies past its mark (`POST /iclock/cdata?table=ATTLOG&Stamp=<last>`), tab-separated
 *   lines in the terminal's wall-clock time, and moves its mark only on an `OK` answer;
 * - polls for commands (`GET /iclock/getrequest`), runs them (INFO, CHECK, SET OPTIONS DateTime) and
 *   posts their results (`POST /iclock/devicecmd`).
 *
 * Its faults, for tests: a clock set in another zone than the one it is registered with, a clock off by
 * an offset, and a body cut off mid-upload (the connection dropped after part of the declared length).
 */
import http from 'node:http'
import { packWallTime, unpackWallTime, type WallTime } from '../../shared/adms/packed-time.js'

export interface FakeTerminalOptions {
  sn: string
  /** the gateway's ADMS listener, e.g. http://127.0.0.1:8081 */
  server: string
  /** the IANA zone the terminal's clock shows */
  zone: string
  /** what the terminal's clock is off by, in ms (positive: ahead) */
  clockOffsetMs?: number
  firmware?: string
  /** real time; tests may pass a clock of their own */
  now?: () => number
}

export interface TerminalRecord {
  stamp: number
  pin: string
  /** 'YYYY-MM-DD HH:MM:SS' as the terminal's clock showed it */
  wall: string
  state: number
  verify: number
  workcode: string
}

export interface Answer {
  status: number
  text: string
}

export interface CommandRun {
  id: string
  command: string
  result: number
}

export class FakeZkTerminal {
  readonly sn: string
  readonly records: TerminalRecord[] = []
  /** the stamp of the last record the server acknowledged */
  mark = 0
  /** options from the last handshake */
  options: Record<string, string> = {}
  /** commands run, in order */
  readonly commands: CommandRun[] = []
  readonly #o: FakeTerminalOptions
  #clockOffsetMs: number
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

  constructor (opts: FakeTerminalOptions) {
    this.#o = opts
    this.sn = opts.sn
    this.#clockOffsetMs = opts.clockOffsetMs ?? 0
  }

  /** What the terminal's clock shows now. */
  clock (): string {
    return wallOf(this.#now() + this.#clockOffsetMs, this.#o.zone)
  }

  /** A punch at the reader: recorded with the clock's wall time; uploaded by the next upload(). */
  punch (pin: string, opts: { state?: number, verify?: number, workcode?: string, wall?: string } = {}): TerminalRecord {
    const record = {
      stamp: this.records.length + 1,
      pin,
      wall: opts.wall ?? this.clock(),
      state: opts.state ?? 0,
      verify: opts.verify ?? 1,
      workcode: opts.workcode ?? '0'
    }
    this.records.push(record)
    return record
  }

  async handshake (): Promise<Answer> {
    const answer = await this.#request('GET', `/iclock/cdata?SN=${this.sn}&options=all&pushver=2.4.1&language=69`)
    if (answer.status === 200) {
      this.options = {}
      for (const line of answer.text.split(/\r?\n/)) {
        const eq = line.indexOf('=')
        if (eq > 0) this.options[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
      }
      const stamp = this.options.ATTLOGStamp ?? this.options.Stamp
      if (stamp !== undefined && /^\d+$/.test(stamp)) this.mark = Math.min(Number(stamp), this.records.length)
    }
    return answer
  }

  /** The records past the mark, as the body of one upload. */
  pendingBody (max = 500): { body: string, last: number, count: number } {
    const pending = this.records.slice(this.mark, this.mark + max)
    const body = pending.map(r => `${r.pin}\t${r.wall}\t${r.state}\t${r.verify}\t${r.workcode}\t0\t0`).join('\n') + (pending.length > 0 ? '\n' : '')
    return { body, last: pending.at(-1)?.stamp ?? this.mark, count: pending.length }
  }

  /** Uploads what lies past the mark; the mark moves only on an OK answer. */
  async upload (max = 500): Promise<Answer & { sent: number }> {
    const { body, last, count } = this.pendingBody(max)
    if (count === 0) return { status: 0, text: '', sent: 0 }
    const answer = await this.#request('POST', `/iclock/cdata?SN=${this.sn}&table=ATTLOG&Stamp=${last}`, body)
    if (answer.status === 200 && /^OK\b/.test(answer.text.trim())) this.mark = last
    return { ...answer, sent: count }
  }

  /** Uploads everything past the mark until nothing is left or the server answers other than OK. */
  async uploadAll (max = 500): Promise<Answer> {
    let answer: Answer = { status: 0, text: '' }
    while (this.mark < this.records.length) {
      answer = await this.upload(max)
      if (answer.status !== 200 || !/^OK\b/.test(answer.text.trim())) break
    }
    return answer
  }

  /**
   * Sends an upload's headers with its full length, then only `fraction` of the body, and drops the
   * connection: what a power cut or a lost link mid-upload leaves. The mark does not move.
   */
  async uploadCutOff (fraction = 0.5): Promise<void> {
    const { body, last } = this.pendingBody()
    const bytes = Buffer.from(body)
    const url = new URL(`/iclock/cdata?SN=${this.sn}&table=ATTLOG&Stamp=${last}`, this.#o.server)
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'POST', headers: { 'Content-Length': bytes.length, 'Content-Type': 'text/plain', 'User-Agent': 'iClock Proxy/1.09' } })
      req.on('error', () => resolve())
      req.on('close', () => resolve())
      req.write(bytes.subarray(0, Math.floor(bytes.length * fraction)), () => {
        setTimeout(() => req.destroy(), 50)
      })
    })
  }

  /** One heartbeat: polls for commands, runs each, posts their results. Returns the commands run. */
  async heartbeat (): Promise<CommandRun[]> {
    const answer = await this.#request('GET', `/iclock/getrequest?SN=${this.sn}&INFO=${this.#o.firmware ?? 'Ver 8.0.4.2'},12,3,${this.records.length},192.168.1.201`)
    if (answer.status !== 200) return []
    const ran: CommandRun[] = []
    const results: string[] = []
    for (const line of answer.text.split(/\r?\n/)) {
      const m = /^C:([^:]+):(.*)$/.exec(line.trim())
      if (m === null) continue
      const [, id, command] = m
      const { result, verb, content } = await this.#run(command)
      const run = { id, command, result }
      ran.push(run)
      this.commands.push(run)
      results.push(`ID=${id}&Return=${result}&CMD=${verb}${content === undefined ? '' : `\n${content}`}`)
    }
    if (results.length > 0) await this.#request('POST', `/iclock/devicecmd?SN=${this.sn}`, results.join('\n') + '\n')
    return ran
  }

  close (): void {
    this.#agent.destroy()
  }

  async #run (command: string): Promise<{ result: number, verb: string, content?: string }> {
    const verb = command.split(' ')[0]
    if (command === 'INFO') {
      return { result: 0, verb, content: `~DeviceName=FAKE-ZK\nFWVersion=${this.#o.firmware ?? 'Ver 8.0.4.2'}\nUserCount=12\nTransactionCount=${this.records.length}\nMaxAttLogCount=200000` }
    }
    if (command === 'CHECK') {
      const answer = await this.handshake()
      return { result: answer.status === 200 ? 0 : -1, verb }
    }
    const set = /^SET OPTIONS DateTime=(\d+)$/.exec(command)
    if (set !== null) {
      // The terminal's clock now reads the packed wall time: the offset is what it takes from real time.
      const wanted = unpackWallTime(Number(set[1]))
      this.#clockOffsetMs = instantOf(wanted, this.#o.zone) - this.#now()
      return { result: 0, verb: 'SET OPTIONS' }
    }
    return { result: -1002, verb }
  }

  #now (): number {
    return this.#o.now?.() ?? Date.now()
  }

  async #request (method: 'GET' | 'POST', path: string, body?: string): Promise<Answer> {
    const url = new URL(path, this.#o.server)
    return await new Promise<Answer>((resolve) => {
      const headers: Record<string, string | number> = { 'User-Agent': 'iClock Proxy/1.09' }
      if (body !== undefined) {
        headers['Content-Type'] = 'text/plain'
        headers['Content-Length'] = Buffer.byteLength(body)
      }
      const req = http.request(url, { method, headers, agent: this.#agent }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => { text += c })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        res.on('error', () => resolve({ status: 0, text }))
      })
      // A terminal sees a refused or dropped connection as a failed exchange, never as an exception.
      req.on('error', (err) => resolve({ status: 0, text: err.message }))
      req.end(body)
    })
  }
}

/** 'YYYY-MM-DD HH:MM:SS' of an instant in a zone. */
export function wallOf (ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
  }).formatToParts(new Date(ms))
  const p = Object.fromEntries(parts.map(x => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

/** The packed DateTime a server would send for an instant shown in a zone. */
export function packedAt (ms: number, zone: string): number {
  const [d, t] = wallOf(ms, zone).split(' ')
  const [year, month, day] = d.split('-').map(Number)
  const [hour, minute, second] = t.split(':').map(Number)
  return packWallTime({ year, month, day, hour, minute, second })
}

/** The instant a wall time in a zone names, to the second (the fake's clock needs no fold rules). */
function instantOf (w: WallTime, zone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  // The zone's offset at the guess, then once more at the corrected instant.
  let ms = asUtc
  for (let i = 0; i < 2; i++) {
    const shown = wallOf(ms, zone)
    const [d, t] = shown.split(' ')
    const [y, mo, da] = d.split('-').map(Number)
    const [h, mi, s] = t.split(':').map(Number)
    ms += asUtc - Date.UTC(y, mo - 1, da, h, mi, s)
  }
  return ms
}
