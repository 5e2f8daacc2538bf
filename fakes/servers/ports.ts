/**
 * Loopback ports for servers started on a port they must be told (mosquitto, a gateway on fixed ports):
 * one free now, and whether one takes connections (a listener left behind, or none).
 */
import { connect, createServer, type AddressInfo } from 'node:net'

/** A port nothing listens on now (the kernel picked it; it may be taken again before use). */
export async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', () => resolve()))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

/** Whether something on 127.0.0.1 accepts a TCP connection on `port`. */
export async function accepts (port: number): Promise<boolean> {
  return await new Promise<boolean>(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}
