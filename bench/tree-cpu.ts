/**
 * CPU seconds of a process and its children (Linux /proc), for servers that work in child processes
 * (PostgreSQL: a backend per connection). A child that exits is counted in its parent's cutime/cstime
 * once reaped, so the total moves from one to the other and a difference over a load stays right.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** the fields after the command name of /proc/PID/stat: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime */
function statFields (pid: string | number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  } catch { return undefined }
}

/** utime + stime + reaped children's of `pid`, plus utime + stime of its live children; NaN when it is gone */
export function treeCpuSeconds (pid: number | undefined): number {
  if (pid === undefined) return NaN
  const own = statFields(pid)
  if (own === undefined) return NaN
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const f = statFields(entry)
    if (f !== undefined && Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12])
  }
  return ticks / 100
}
