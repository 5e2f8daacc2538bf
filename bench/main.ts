/**
 * `npm run bench`: each figure beside its baseline, measured in the same run on the same machine. Each
 * section is measured by its own file into plain figures, saved as JSON in docs/bench/, and rendered by its
 * own render file into the generated blocks of docs/BENCHMARKS.md; the prose around the blocks is written
 * by hand. BENCH_RENDER_ONLY=1 renders the blocks again from the saved figures without measuring (after a
 * change of a table's wording). docs/BENCHMARKS.md lists every variable.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIGURES_NAMES, loadFigures, saveFigures, type BenchFigures, type FiguresName } from './bench-figures.js'
import { replaceBlock } from './doc-blocks.js'
import { load1, machineLine } from './machine.js'
import { measureBench } from './measure.js'
import { renderBlocks } from './render-all.js'
import { docsDir, readBenchSettings, type Section } from './settings.js'

const say = (line: string): void => { process.stdout.write(line + '\n') }

async function main (): Promise<void> {
  const s = readBenchSettings(process.env)
  const wanted = (section: Section): boolean => s.only === undefined || s.only.includes(section)
  let figures: BenchFigures
  if (s.renderOnly) {
    const names: FiguresName[] = s.only === undefined ? FIGURES_NAMES : s.only.includes('mosquitto') ? ['ingest', ...s.only] : s.only
    figures = loadFigures(s.figuresDir, [...new Set(names)])
  } else {
    const started = performance.now()
    const measuredAt = new Date().toISOString()
    const loadBefore = load1()
    figures = await measureBench(s, wanted, say)
    const minutes = (performance.now() - started) / 60_000
    say(`\nbench took ${minutes.toFixed(1)} min`)
    figures.run = { measuredAt, minutes, runs: s.runs, drainRuns: s.drainRuns, machine: machineLine(), loadBefore, loadAfter: load1() }
    // The run's own figures (date, length, load) describe a whole bench: a BENCH_ONLY run keeps the last one.
    const saved = s.only === undefined ? figures : { ...figures, run: undefined }
    if (s.saveFigures) for (const file of saveFigures(s.figuresDir, saved)) say(`wrote ${file}`)
  }
  const blocks = renderBlocks(figures)
  if (s.only !== undefined) {
    for (const [name, block] of blocks) say(`\n<!-- bench:${name} -->\n${block}`)
    return
  }
  const out = join(docsDir(), 'BENCHMARKS.md')
  let doc = readFileSync(out, 'utf8')
  for (const [name, block] of blocks) doc = replaceBlock(doc, name, block)
  writeFileSync(out, doc)
  say(`wrote ${out}`)
}

main().catch((err: Error) => { process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`); process.exit(1) })
