/**
 * Independent, repeatable random streams for the workload: one per (seed, key), key being a site and a
 * person. A shared stream would make every punch depend on everything generated before it, so adding a
 * site or a person would move everyone else's punches; with a stream each, it moves nobody's.
 */
import { seededRandom } from './seeded-random.js'

/** FNV-1a, 32 bits: spreads neighbouring keys ('hq/1', 'hq/2') over unrelated Mulberry32 seeds. */
export function hashKey (text: string): number {
  let h = 0x811C9DC5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export class RandomStream {
  readonly #next: () => number
  #spare: number | undefined

  constructor (seed: number, key: string) {
    this.#next = seededRandom(hashKey(`${seed >>> 0}/${key}`))
  }

  /** [0, 1) */
  uniform (): number { return this.#next() }

  between (lo: number, hi: number): number { return lo + (hi - lo) * this.#next() }

  pick<T> (items: readonly T[]): T { return items[Math.floor(this.#next() * items.length)] }

  /** A standard normal by Box-Muller; the pair's second value is kept for the next call. */
  normal (): number {
    if (this.#spare !== undefined) { const z = this.#spare; this.#spare = undefined; return z }
    const u1 = 1 - this.#next()
    const u2 = this.#next()
    const r = Math.sqrt(-2 * Math.log(u1))
    this.#spare = r * Math.sin(2 * Math.PI * u2)
    return r * Math.cos(2 * Math.PI * u2)
  }

  /**
   * A normal cut at ±limit standard deviations by drawing again: a person 40 minutes late at σ = 5 min is
   * a different story (a missed bus) from the spread this models, and a clamp would pile people at the edge.
   */
  truncatedNormal (limit = 3): number {
    for (let i = 0; i < 32; i++) {
      const z = this.normal()
      if (Math.abs(z) <= limit) return z
    }
    return 0
  }
}
