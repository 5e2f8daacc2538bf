/**
 * The duplicate-read memory (device/recent-reads.ts) keeps one credential in fields and a table only
 * while two or more are kept. It must answer exactly as the plain ordered table it stands for would,
 * including after the clock steps back (entries then leave the table out of time order).
 */
import t from 'tap'
import { RecentReads, type RecentRead } from '../device/recent-reads.js'

/** The plain table: every entry in a Map in arrival order, the stale ones at the front pruned on each read. */
class PlainTable {
  readonly #m = new Map<string, RecentRead>()
  constructor (readonly windowMs: number, readonly max: number) {}
  get (emp: string): RecentRead | undefined { return this.#m.get(emp) }
  remember (emp: string, seq: number, at: number): void {
    if (this.windowMs <= 0) return
    this.#m.delete(emp)
    this.#m.set(emp, { seq, at })
    for (const [old, e] of this.#m) {
      if (this.#m.size <= this.max && at - e.at < this.windowMs) break
      this.#m.delete(old)
    }
  }
}

/** A small deterministic generator, so a failure names a seed that replays it. */
function lcg (seed: number): () => number {
  let s = seed
  return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
}

t.test('answers as the plain table would, over random reads with the clock stepping back now and then', async t => {
  let checked = 0
  for (let seed = 1; seed <= 200; seed++) {
    const random = lcg(seed)
    const windowMs = [0, 1000, 30_000][seed % 3]
    const max = seed % 5 === 0 ? 2 : 4096
    const mine = new RecentReads(windowMs, max)
    const plain = new PlainTable(windowMs, max)
    let at = 1_000_000
    for (let i = 0; i < 300; i++) {
      // Mostly forward by up to a minute, sometimes back (a time command corrected a fast clock).
      at += random() < 0.1 ? -Math.floor(random() * 60_000) : Math.floor(random() * 20_000)
      const emp = `E${Math.floor(random() * 6)}`
      const want = plain.get(emp)
      const got = mine.get(emp)
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        t.fail(`seed ${seed}, read ${i}: ${emp} gave ${JSON.stringify(got)}, the plain table ${JSON.stringify(want)}`)
        return
      }
      checked++
      if (random() < 0.8) {
        mine.remember(emp, i + 1, at)
        plain.remember(emp, i + 1, at)
      }
    }
  }
  t.equal(checked, 200 * 300, 'every lookup agreed')
})

t.test('one credential, then a second inside the window, then the window passes', async t => {
  const r = new RecentReads(30_000, 4096)
  r.remember('A', 1, 0)
  t.same(r.get('A'), { seq: 1, at: 0 })
  t.equal(r.get('B'), undefined)
  r.remember('B', 2, 10_000)
  t.same([r.get('A'), r.get('B')], [{ seq: 1, at: 0 }, { seq: 2, at: 10_000 }], 'both kept inside the window')
  r.remember('C', 3, 35_000)
  t.same([r.get('A'), r.get('B'), r.get('C')], [undefined, { seq: 2, at: 10_000 }, { seq: 3, at: 35_000 }], 'A is past the window and goes')
  r.remember('C', 4, 100_000)
  t.same([r.get('B'), r.get('C')], [undefined, { seq: 4, at: 100_000 }], 'only the newest is left')
})

t.test('a window of 0 keeps nothing', async t => {
  const r = new RecentReads(0, 4096)
  r.remember('A', 1, 0)
  t.equal(r.get('A'), undefined)
})
