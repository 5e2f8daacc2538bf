/**
 * Whether the device has its end of a PTY open. Bytes written to the fake's end before then are lost
 * (serialport flushes the line on open), and a read lost that way would be the player's fault,
 * not the device's. The device gives no sign it opened a port that works whoever runs it (our child or a
 * field engineer's process), but Linux does: /proc/PID/fd links to the PTY's /dev/pts node.
 *
 * socat holds both slave ends itself, so socat processes are not counted.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'

function numericDirs (dir: string): number[] {
  try {
    return readdirSync(dir).filter(n => /^\d+$/.test(n)).map(Number)
  } catch {
    return []
  }
}

function isSocat (pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'socat' } catch { return false }
}

function holds (pid: number, target: string): boolean {
  for (const fd of numericDirs(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true
    } catch {
      // the fd closed between the listing and the readlink
    }
  }
  return false
}

/** True when /proc can answer at all (Linux); elsewhere the player falls back to waiting a while. */
export function canSeePortHolders (): boolean {
  return numericDirs('/proc').length > 0
}

/**
 * Whether a process other than this one and socat has `path` (a link to a /dev/pts node) open; only the
 * processes in `pids` when given (our device child).
 */
export function portOpenedByDevice (path: string, pids?: readonly number[]): boolean {
  let target: string
  try { target = realpathSync(path) } catch { return false }
  const candidates = pids ?? numericDirs('/proc').filter(pid => pid !== process.pid)
  return candidates.some(pid => holds(pid, target) && !isSocat(pid))
}
