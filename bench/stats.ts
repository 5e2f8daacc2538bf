/** Small numeric helpers every bench section shares: medians across runs, percentiles within one. */

export const median = (xs: number[]): number => {
  const s = xs.filter(x => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]
}

/** The value at or below which `p` % of the samples lie (nearest rank). */
export const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * p / 100) - 1))]
}

export const fmt = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'

export const fixed = (n: number, digits: number): string => Number.isFinite(n) ? n.toFixed(digits) : 'n/a'

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))
