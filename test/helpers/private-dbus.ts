/**
 * A private dbus-daemon for one test: a system-like bus (EXTERNAL auth, everything allowed) on a socket
 * in a fresh temp dir, so node-ble (via DBUS_SYSTEM_BUS_ADDRESS) and the fake BlueZ meet there and nowhere
 * else. The socket lives under os.tmpdir(), not the test dir: a UNIX socket path is limited to 108 bytes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface PrivateDbus {
  /** e.g. unix:path=/tmp/pl-dbus-x/bus.sock,guid=… */
  address: string
  stop (): Promise<void>
}

const config = (socket: string): string => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
`

export async function startPrivateDbus (timeoutMs = 10_000): Promise<PrivateDbus> {
  const dir = await mkdtemp(join(tmpdir(), 'pl-dbus-'))
  const file = join(dir, 'bus.conf')
  await writeFile(file, config(join(dir, 'bus.sock')))
  const child = spawn('dbus-daemon', [`--config-file=${file}`, '--print-address', '--nofork'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  try {
    const address = await firstLine(child, timeoutMs, () => stderr)
    return {
      address,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
        await exited
        await rm(dir, { recursive: true, force: true })
      }
    }
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

function firstLine (child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`dbus-daemon printed no address in ${timeoutMs} ms: ${stderr()}`)), timeoutMs)
    child.once('error', (err) => { clearTimeout(timer); reject(new Error(`dbus-daemon: ${err.message} (apt package dbus-daemon)`)) })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`dbus-daemon exited with ${code}: ${stderr()}`)) })
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl).trim())
      }
    })
  })
}
