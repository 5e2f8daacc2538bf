/**
 * A scenario's problems in the order their places appear in the file, so a person fixes it from the top
 * down: the schema's and the rules' problems of one site come together, not in two lists.
 */
import { isNode, type Document } from 'yaml'
import type { SettingProblem } from '../../shared/settings-check.js'

/** 'sites[0].devices[1].count' → ['sites', 0, 'devices', 1, 'count'] */
function keysOf (path: string): Array<string | number> {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map(m => m[2] !== undefined ? Number(m[2]) : m[1])
}

/** Where a path is written: its own node, or for a missing field the nearest enclosing one. */
function offsetOf (doc: Document, path: string): number {
  const keys = keysOf(path)
  for (let n = keys.length; n > 0; n--) {
    const node: unknown = doc.getIn(keys.slice(0, n), true)
    if (isNode(node) && node.range !== undefined && node.range !== null) return node.range[0]
  }
  return 0
}

export function inFileOrder (doc: Document, problems: readonly SettingProblem[]): SettingProblem[] {
  return problems
    .map((problem, i) => ({ problem, i, at: offsetOf(doc, problem.path) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map(x => x.problem)
}
