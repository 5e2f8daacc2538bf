/**
 * The generated blocks of docs/BENCHMARKS.md: each between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`.
 * Everything outside them is written by hand (headings, how a figure is taken, what limits it) and kept
 * byte for byte when the bench writes its tables.
 */

function markers (name: string): { begin: string, end: string } {
  return { begin: `<!-- bench:${name} -->`, end: `<!-- /bench:${name} -->` }
}

/** `doc` with the block `name` holding `body`; a block missing, out of order or twice stops with its markers. */
export function replaceBlock (doc: string, name: string, body: string): string {
  const { begin, end } = markers(name)
  const from = doc.indexOf(begin)
  const to = doc.indexOf(end)
  if (from < 0 || to < from) throw new Error(`docs/BENCHMARKS.md: no block ${begin} ... ${end} to hold the ${name} figures`)
  if (doc.includes(begin, from + 1) || doc.includes(end, to + 1)) throw new Error(`docs/BENCHMARKS.md: the block ${begin} is there twice`)
  return `${doc.slice(0, from + begin.length)}\n\n${body.trim()}\n\n${doc.slice(to)}`
}

/** A block as it stands in `doc` (trimmed), or undefined when the doc has none. */
export function readBlock (doc: string, name: string): string | undefined {
  const { begin, end } = markers(name)
  const from = doc.indexOf(begin)
  const to = doc.indexOf(end)
  return from < 0 || to < from ? undefined : doc.slice(from + begin.length, to).trim()
}
