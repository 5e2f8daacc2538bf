/**
 * CPU seconds of each thread of a live process (Linux /proc/PID/task), to tell how a gateway's work splits
 * between its event loop (the thread whose id is the process id) and its other threads (the commit
 * thread, V8's and libuv's helpers). Node gives its threads no names, so the busiest other thread stands
 * for the commit thread.
 */
import { readdirSync, readFileSync } from 'node:fs'

export type ThreadCpu = Map<number, number>

export function threadCpu (pid: number | undefined): ThreadCpu {
  const out: ThreadCpu = new Map()
  if (pid === undefined) return out
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')
        out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100)
      } catch {}
    }
  } catch {}
  return out
}

/** What each thread spent between two samples: the event loop's, the busiest other thread's, and the rest. */
export function threadSplit (pid: number | undefined, before: ThreadCpu, after: ThreadCpu): { loopS: number, busiestOtherS: number, restS: number } | null {
  if (pid === undefined || after.size === 0) return null
  let loopS = 0
  let busiestOtherS = 0
  let otherS = 0
  for (const [tid, s] of after) {
    const spent = s - (before.get(tid) ?? 0)
    if (tid === pid) loopS = spent
    else {
      otherS += spent
      busiestOtherS = Math.max(busiestOtherS, spent)
    }
  }
  return { loopS, busiestOtherS, restS: otherS - busiestOtherS }
}
