/**
 * Wiegand-26 to serial converters print each card as a line of text, in a model-specific format:
 * "W26 FC:123 CARD:45678", "FC=123,CN=45678", or the raw 26 bits. The formats are regular expressions
 * with named groups, either `facility` and `card`, or `bits`; the raw bits are checked here: bit 0 is even
 * parity over bits 0-12, bit 25 odd parity over bits 13-25, between them 8 bits of facility and 16 of card.
 *
 * The credential defaults to "FFF-CCCCC" (facility and card zero-padded, e.g. "123-45678"): the two
 * numbers printed on HID-style 26-bit cards, kept apart so that no two cards share a credential.
 * `{number}` (facility × 65536 + card, the 24-bit number) is there for sites that enrolled that instead.
 */
import type { DecodeSink, PassiveDecoder } from './protocol.js'

export interface WiegandCard {
  /** 0-255 */
  facility: number
  /** 0-65535 */
  card: number
}

export interface WiegandTextOptions {
  /** tried in order; each has the named groups `facility` and `card`, or `bits` */
  formats?: Array<string | RegExp>
  /** the credential: `{facility}`, `{card}`, `{number}`, each with an optional zero-padded width `{card:5}` */
  emp?: string
}

export const DEFAULT_WIEGAND_FORMATS: readonly RegExp[] = [
  /^(?:W(?:iegand)?-?26\s*[:,]?\s*)?FC\s*[:=]\s*(?<facility>\d{1,3})\s*[\s,;]\s*(?:CARD|CN|ID)\s*[:=]\s*(?<card>\d{1,5})$/i,
  /^(?:W(?:iegand)?-?26\s*[:=,]?\s*)?(?<bits>[01]{26})$/i
]
export const DEFAULT_WIEGAND_EMP = '{facility:3}-{card:5}'

/** Longer than any converter's line: a line this long without an end is noise, not a slow card. */
const MAX_LINE = 128

function ones (bits: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i <= to; i++) if (bits.charCodeAt(i) === 0x31) n++
  return n
}

/** The card in 26 bits, or undefined when a parity bit is wrong. */
export function wiegand26FromBits (bits: string): WiegandCard | undefined {
  if (!/^[01]{26}$/.test(bits)) return undefined
  if (ones(bits, 0, 12) % 2 !== 0 || ones(bits, 13, 25) % 2 !== 1) return undefined
  return { facility: parseInt(bits.slice(1, 9), 2), card: parseInt(bits.slice(9, 25), 2) }
}

/** The 26 bits for a card, parity included (used by the fake converter and round-trip tests). */
export function wiegand26Bits (c: WiegandCard): string {
  const data = c.facility.toString(2).padStart(8, '0') + c.card.toString(2).padStart(16, '0')
  const even = ones(data, 0, 11) % 2 === 0 ? '0' : '1'
  const odd = ones(data, 12, 23) % 2 === 0 ? '1' : '0'
  return even + data + odd
}

/** Compiles an emp template once; throws a message naming the bad placeholder. */
export function compileWiegandEmp (template: string): (c: WiegandCard) => string {
  const parts: Array<string | { field: 'facility' | 'card' | 'number', width: number }> = []
  let last = 0
  for (const m of template.matchAll(/\{([a-z]+)(?::(\d{1,2}))?\}/g)) {
    const field = m[1]
    if (field !== 'facility' && field !== 'card' && field !== 'number') {
      throw new Error(`wiegand.emp: unknown placeholder {${field}}; use {facility}, {card} or {number}`)
    }
    parts.push(template.slice(last, m.index), { field, width: Number(m[2] ?? 0) })
    last = m.index + m[0].length
  }
  parts.push(template.slice(last))
  if (!parts.some(p => typeof p !== 'string' && p.field !== 'facility')) {
    throw new Error('wiegand.emp: must contain {card} or {number}')
  }
  return (c) => {
    let out = ''
    for (const p of parts) {
      if (typeof p === 'string') { out += p; continue }
      const v = p.field === 'number' ? c.facility * 65536 + c.card : c[p.field]
      out += String(v).padStart(p.width, '0')
    }
    return out
  }
}

/** Validates the configured formats: each must compile and name its groups. */
export function compileWiegandFormats (formats: ReadonlyArray<string | RegExp>): RegExp[] {
  return formats.map((f, i) => {
    let re: RegExp
    try {
      // Without g or y: a stateful lastIndex would make every other line miss.
      re = typeof f === 'string' ? new RegExp(f, 'i') : new RegExp(f.source, f.flags.replace(/[gy]/g, ''))
    } catch (err) {
      throw new Error(`wiegand.formats[${i}]: not a valid regular expression: ${(err as Error).message}`)
    }
    const has = (g: string): boolean => re.source.includes(`(?<${g}>`)
    if (!has('bits') && !(has('facility') && has('card'))) {
      throw new Error(`wiegand.formats[${i}]: needs the named groups (?<facility>…) and (?<card>…), or (?<bits>…)`)
    }
    return re
  })
}

export class WiegandTextDecoder implements PassiveDecoder {
  readonly #sink: DecodeSink<WiegandCard>
  readonly #formats: RegExp[]
  #line = ''

  constructor (sink: DecodeSink<WiegandCard>, formats: ReadonlyArray<string | RegExp> = DEFAULT_WIEGAND_FORMATS) {
    this.#sink = sink
    this.#formats = compileWiegandFormats(formats)
  }

  push (chunk: Buffer): void {
    let start = 0
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]
      if (c !== 0x0a && c !== 0x0d) continue
      this.#line += chunk.toString('latin1', start, i)
      start = i + 1
      const line = this.#line
      this.#line = ''
      if (line.length > 0) this.#parse(line)
    }
    this.#line += chunk.toString('latin1', start)
    if (this.#line.length > MAX_LINE) {
      this.#sink.noise(this.#line.length, 'line too long')
      this.#line = ''
    }
  }

  reset (): void {
    if (this.#line.length > 0) this.#sink.noise(this.#line.length, 'partial line dropped')
    this.#line = ''
  }

  #parse (raw: string): void {
    const line = raw.trim()
    if (line.length === 0) return
    for (const re of this.#formats) {
      const g = re.exec(line)?.groups
      if (g === undefined) continue
      if (g.bits !== undefined) {
        const card = wiegand26FromBits(g.bits)
        if (card === undefined) this.#sink.badChecksum(line)
        else this.#sink.frame(card)
        return
      }
      const facility = Number(g.facility)
      const card = Number(g.card)
      if (!(facility >= 0 && facility <= 255 && card >= 0 && card <= 65535 && Number.isInteger(facility) && Number.isInteger(card))) {
        this.#sink.noise(raw.length, 'not a Wiegand-26 facility and card')
      } else {
        this.#sink.frame({ facility, card })
      }
      return
    }
    this.#sink.noise(raw.length, 'line matches no format')
  }
}
