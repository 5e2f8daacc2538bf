/**
 * The memory a bench holds live: JS heap plus ArrayBuffers (typed arrays, such as a ring's index, live
 * outside the heap), read after full collections. Collections without asking for --expose-gc on the command
 * line.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose_gc')
/** A full, synchronous collection. */
export const fullGc = runInNewContext('gc') as () => void

/**
 * The memory of dead ArrayBuffers is given back after the collection, off the main thread: collect and
 * yield until the figure stops falling, or buffers freed a moment ago still count.
 */
export async function liveHeap (): Promise<number> {
  let last = Infinity
  for (let i = 0; i < 10; i++) {
    fullGc()
    await new Promise(resolve => setImmediate(resolve))
    const m = process.memoryUsage()
    const now = m.heapUsed + m.arrayBuffers
    if (now >= last) return now
    last = now
  }
  return last
}
