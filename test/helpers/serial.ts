/**
 * Shared pieces of the serial tests: a sink that records what a decoder reports, a wait that polls a
 * condition (never a timed assertion), and a runtime input on the `a` end of a fresh socat PTY pair.
 */
import { pino } from 'pino'
import type { DecodeSink } from '../../device/inputs/serial/protocol.js'
import { createSerialInput, type SerialInput, type SerialInputConfig } from '../../device/inputs/serial/index.js'
import type { GpsFix, InputRead, InputState } from '../../device/inputs/input.js'
import { PtyPair } from '../../fakes/hardware/pty-pair.js'
export { until } from './wait.js'

/** silent unless SERIAL_TEST_LOG=debug (or another pino level) is set, to see what an input logged */
export const quietLog = pino({ level: process.env.SERIAL_TEST_LOG ?? 'silent' })

export interface Recorded<T> {
  frames: Array<T | undefined>
  bad: string[]
  noise: number
  noiseWhy: string[]
  sink: DecodeSink<T>
}

export function recorder<T> (): Recorded<T> {
  const r: Recorded<T> = {
    frames: [],
    bad: [],
    noise: 0,
    noiseWhy: [],
    sink: {
      frame: (v) => { r.frames.push(v) },
      badChecksum: (raw) => { r.bad.push(raw) },
      noise: (n, why) => { r.noise += n; r.noiseWhy.push(why) }
    }
  }
  return r
}

export interface PtyInput {
  dir: string
  pair: PtyPair
  input: SerialInput
  reads: InputRead[]
  fixes: GpsFix[]
  states: InputState[]
  noMatches: number
}

interface Tap {
  testdir: () => string
  teardown: (fn: () => unknown) => void
}

/** socat up, then the runtime's end opened first (serialport flushes on open), everything torn down after. */
export async function inputOnPty (t: Tap, config: Omit<SerialInputConfig, 'path'>, now?: () => number): Promise<PtyInput> {
  const dir = t.testdir()
  const pair = await PtyPair.start(dir)
  const input = createSerialInput({ ...config, path: pair.a }, { log: quietLog, now })
  const out: PtyInput = { dir, pair, input, reads: [], fixes: [], states: [], noMatches: 0 }
  input.on('read', (r: InputRead) => out.reads.push(r))
  input.on('fix', (f: GpsFix) => out.fixes.push(f))
  input.on('state', (s: InputState) => out.states.push(s))
  input.on('nomatch', () => { out.noMatches++ })
  t.teardown(async () => {
    await input.stop()
    await out.pair.close()
  })
  await input.start()
  if (input.state !== 'open') throw new Error(`input did not open: ${input.state}`)
  return out
}
