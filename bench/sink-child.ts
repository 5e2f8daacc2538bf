/**
 * The drain bench's upstream: the simulator's HTTP webhook sink (fakes/upstream/webhook-upstream.ts, answering 200 at
 * once) in a process of its own, so that parsing millions of punches neither runs on the gateway's core
 * nor waits behind the fleet's event loop in the bench process.
 *
 *   node sink-child.js EXPECTED
 *
 * It keeps no copies of what it is sent: each punch id `device:epoch:seq` is counted in a byte per seq,
 * so it can tell when all EXPECTED distinct punches are in and how many came twice. Prints JSON lines:
 * `{ url }` once listening; `{ progress }` every second; `{ done }` once every expected punch is in, with
 * the arrival time (wall-clock ms, performance.timeOrigin + performance.now(), which the bench reads the
 * same way) and the size of every request. Runs until it is killed.
 */
import { WebhookUpstream } from '../fakes/upstream/webhook-upstream.js'

const expected = Number(process.argv[2])
if (!(expected > 0)) throw new Error('usage: sink-child.js EXPECTED')

const wall = (): number => performance.timeOrigin + performance.now()
const say = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n') }

/** device:epoch → a count per seq */
const seen = new Map<string, Uint8Array>()
let distinct = 0
let copies = 0
let unreadable = 0
/** arrival time (wall ms) and punch count of every request */
const at: number[] = []
const sizes: number[] = []
let done = false

function count (id: string): void {
  const colon = id.lastIndexOf(':')
  const seq = Number(id.slice(colon + 1))
  if (colon < 0 || !Number.isInteger(seq) || seq < 0) { unreadable++; return }
  const source = id.slice(0, colon)
  let seqs = seen.get(source)
  if (seqs === undefined || seq >= seqs.length) {
    const grown = new Uint8Array(Math.max(seq + 1, 2 * (seqs?.length ?? 256)))
    if (seqs !== undefined) grown.set(seqs)
    seen.set(source, seqs = grown)
  }
  if (seqs[seq] === 0) distinct++
  else copies++
  if (seqs[seq] < 255) seqs[seq]++
}

const sink = new WebhookUpstream({ keep: false })
sink.respond((req) => {
  const punches = req.body?.punches ?? []
  at.push(wall())
  sizes.push(punches.length)
  for (const p of punches) {
    if (typeof p?.id === 'string') count(p.id)
    else unreadable++
  }
  if (!done && distinct >= expected) {
    done = true
    say({ done: true, at: wall(), distinct, copies, unreadable, requests: at.length, times: at, sizes })
  }
  return { status: 200 }
})
say({ url: await sink.start() })
setInterval(() => say({ progress: true, at: wall(), distinct, copies, requests: at.length }), 1000)
