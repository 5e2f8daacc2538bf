/**
 * Seq ranges as the ack message carries them: `[[41, 41], [43, 60]]`, inclusive, ascending.
 */
export type SeqRange = [number, number]

/** Compresses seqs (any order, duplicates allowed) into ascending inclusive ranges. */
export function toRanges (seqs: readonly number[]): SeqRange[] {
  if (seqs.length === 0) return []
  const sorted = Float64Array.from(seqs).sort()
  const out: SeqRange[] = []
  let start = sorted[0]
  let end = start
  for (let i = 1; i < sorted.length; i++) {
    const s = sorted[i]
    if (s === end || s === end + 1) {
      end = s
    } else {
      out.push([start, end])
      start = end = s
    }
  }
  out.push([start, end])
  return out
}

export function rangesContain (ranges: readonly SeqRange[], seq: number): boolean {
  for (const [a, b] of ranges) if (seq >= a && seq <= b) return true
  return false
}

export function countInRanges (ranges: readonly SeqRange[]): number {
  let n = 0
  for (const [a, b] of ranges) n += b - a + 1
  return n
}
