/**
 * A line to the parent process over a pipe, written synchronously so it is out before the child's next
 * step (the fault suite's children report each accepted punch this way, then get killed at any moment).
 * The pipe may be non-blocking (a loader in the child can open process.stdout, and libuv makes a pipe it
 * opens non-blocking) and full while a loaded parent is slow to read: writeSync then throws EAGAIN. Wait a
 * millisecond and write again, so the child only ever ends by the parent's kill. A line far below
 * PIPE_BUF (4096 bytes on Linux) goes whole or not at all.
 */
import { writeSync } from 'node:fs'

const pause = new Int32Array(new SharedArrayBuffer(4))

export function writeLineSync (fd: number, line: string): void {
  for (;;) {
    try {
      writeSync(fd, line + '\n')
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}
