/**
 * A power cut, as near as a process can have one: a child that writes to a device's storage is killed
 * with SIGKILL at a chosen moment, counted from its first output line (it is ready) or, for a cut while it
 * is still opening its storage, from its start. What it printed in whole lines before the cut is what it
 * had told the world; a line cut in half was never told.
 */
import { spawn } from 'node:child_process'

/** How to run `script` with this Node: built JavaScript as it is, TypeScript sources through tsx. */
export function nodeCommand (script: string, args: readonly string[]): { args: string[], env: NodeJS.ProcessEnv } {
  const env = { ...process.env }
  if (!script.endsWith('.ts')) return { args: [script, ...args], env }
  // A test runner's loaders and coverage are for the test process; the child runs plain tsx.
  delete env.NODE_OPTIONS
  delete env.NODE_V8_COVERAGE
  return { args: ['--import', 'tsx', script, ...args], env }
}

export interface CutRun {
  /** whole lines the child printed before the cut */
  lines: string[]
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
}

export async function runUntilCut (script: string, args: readonly string[], delayMs: number, fromStart: boolean): Promise<CutRun> {
  const cmd = nodeCommand(script, args)
  const child = spawn(process.execPath, cmd.args, { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let stderr = ''
  let timer: NodeJS.Timeout | undefined
  const cut = (): void => { timer = setTimeout(() => child.kill('SIGKILL'), delayMs) }
  if (fromStart) cut()
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const wasReady = out.includes('\n')
    out += chunk
    if (!fromStart && !wasReady && out.includes('\n')) cut()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.once('close', (c, s) => resolve([c, s])))
  clearTimeout(timer)
  return { lines: out.split('\n').slice(0, -1), code, signal, stderr }
}
