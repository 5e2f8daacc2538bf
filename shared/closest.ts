/**
 * "Did you mean": the nearest of the known words to a misspelt one, so a typo in a settings file or a
 * scenario names its fix instead of falling back to a default in silence.
 */

/** Edit distance between two words, ignoring case. */
function distance (a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const keep = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1))
      diag = keep
    }
  }
  return row[b.length]
}

/** The option nearest to a misspelt word, when one is within two edits. */
export function closest (word: string, options: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = 3
  for (const o of options) {
    const d = distance(o, word)
    if (d < bestD) { best = o; bestD = d }
  }
  return best
}
