/**
 * More than one accepted connection per turn of the event loop. libuv 1.46 (Node 20) accepts one
 * connection each time epoll reports a listening socket ready, and a busy loop polls once per turn: after
 * a site outage, with every device's backlog to read, a turn lasts milliseconds and a herd of thousands
 * waits in the kernel's accept queue (and past it in SYN retransmits) until its devices give up
 * (docs/DESIGN-NOTES.md, "Admission: a bound on connections being set up"). A second libuv handle on a
 * second descriptor of the same listening socket is reported on its own and accepts one more per turn.
 * Node 20 has neither dup() nor SO_REUSEPORT (`reusePort` comes with Node 22.12); a descriptor sent over
 * an IPC channel arrives as a new descriptor of the same socket (SCM_RIGHTS), so a child that only echoes
 * what it is sent hands the listening handle back as many times as asked, then exits.
 */
import { spawn } from 'node:child_process'
import { Server } from 'node:net'

/** The child: sends back every handle it gets (its own copy is closed once sent), and exits with the channel. */
const ECHO = "process.on('message', (m, h) => process.send(m, h)); process.on('disconnect', () => process.exit(0))"

/** A copy of the handle must come back within this long, or the gateway goes on with the copies it has. */
const COPY_TIMEOUT_MS = 10_000

/**
 * `copies` more servers listening on `server`'s socket, each handing its connections to `onConnection`.
 * Rejects (the gateway then listens with `server` alone) when the child cannot be started or answers late.
 */
export async function listenCopies (server: Server, copies: number, onConnection: (socket: import('node:net').Socket) => void): Promise<Server[]> {
  if (copies <= 0) return []
  const handle = (server as unknown as { _handle?: object })._handle
  if (handle === undefined) throw new Error('the listener has no handle to copy')
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const out: Server[] = []
  try {
    for (let i = 0; i < copies; i++) {
      const copy = await new Promise<object>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no copy of the listening socket within ${COPY_TIMEOUT_MS} ms`)), COPY_TIMEOUT_MS)
        child.once('error', reject)
        child.once('message', (_m, h) => { clearTimeout(timer); child.off('error', reject); if (h === undefined) reject(new Error('the copy came back without a handle')); else resolve(h as object) })
        child.send('copy', handle as never, { keepOpen: true })
      })
      const s = new Server(onConnection)
      await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(copy, () => { s.off('error', reject); resolve() }) })
      out.push(s)
    }
    return out
  } catch (err) {
    for (const s of out) s.close()
    throw err
  } finally {
    if (child.connected) child.disconnect()
  }
}
