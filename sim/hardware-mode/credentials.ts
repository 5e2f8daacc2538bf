/**
 * Who is who at the fake reader: each person of the scenario gets the credential their reader kind
 * carries (an EM4100 tag, a 26-bit facility and card, an enrolled fingerprint page), and the text the
 * runtime must make of it.
 *
 * The expected text is written out here from the formats the cards carry (docs/DESIGN-NOTES.md, "Reader frame
 * formats"), not with the runtime's own helpers: a ground truth computed by the code under test would agree
 * with any bug in it.
 */
import type { PunchMethod } from '../../shared/punch.js'
import type { ReaderKind } from './options.js'

export type Credential =
  | { kind: 'rdm6300', tag: number, emp: string }
  | { kind: 'wiegand', facility: number, card: number, emp: string }
  | { kind: 'r307', templateId: number, emp: string }

/** The R307 protocol addresses library pages with 16 bits. */
const MAX_TEMPLATE = 0xfffe

export const READER_METHOD: Record<ReaderKind, PunchMethod> = { rdm6300: 'card', wiegand: 'card', r307: 'fingerprint' }

/**
 * A person's number: the n of the scenario's badge `E{site}-{n}`, so that Ehq-0012 holds card 1000012 or
 * finger 12 whatever order people come in; people whose badge does not end in a number are numbered after.
 */
function personNumbers (people: readonly string[]): Map<string, number> {
  const out = new Map<string, number>()
  const used = new Set<number>()
  for (const p of people) {
    const n = Number(/-(\d+)$/.exec(p)?.[1] ?? NaN)
    if (Number.isSafeInteger(n) && n > 0 && !used.has(n)) { out.set(p, n); used.add(n) }
  }
  let next = Math.max(0, ...used) + 1
  for (const p of people) if (!out.has(p)) out.set(p, next++)
  return out
}

export class CredentialBook {
  readonly kind: ReaderKind
  readonly #byPerson = new Map<string, Credential>()
  /** the highest fingerprint page in use (r307): the driver must search up to it */
  readonly maxTemplateId: number = 0

  constructor (kind: ReaderKind, people: readonly string[]) {
    this.kind = kind
    for (const [person, n] of personNumbers(people)) {
      this.#byPerson.set(person, credentialFor(kind, n))
      if (kind === 'r307') this.maxTemplateId = Math.max(this.maxTemplateId, n)
    }
  }

  of (person: string): Credential {
    const c = this.#byPerson.get(person)
    if (c === undefined) throw new Error(`no credential for '${person}'`)
    return c
  }
}

function credentialFor (kind: ReaderKind, n: number): Credential {
  switch (kind) {
    case 'rdm6300': {
      // The ten-digit decimal printed on EM4100 cards (the version byte is not part of it).
      const tag = 1_000_000 + n
      return { kind, tag, emp: String(tag).padStart(10, '0') }
    }
    case 'wiegand': {
      // "FFF-CCCCC", the two numbers printed on a 26-bit card; past 65535 people the facility moves on.
      const facility = 100 + Math.floor(n / 65_536)
      const card = n % 65_536
      if (facility > 255) throw new Error(`wiegand: person #${n} is past what 26-bit cards can number`)
      return { kind, facility, card, emp: `${String(facility).padStart(3, '0')}-${String(card).padStart(5, '0')}` }
    }
    case 'r307':
      if (n > MAX_TEMPLATE) throw new Error(`r307: person #${n} is past the module's ${MAX_TEMPLATE + 1} library pages`)
      return { kind, templateId: n, emp: String(n) }
  }
}
