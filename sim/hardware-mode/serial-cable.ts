/**
 * The USB serial adapter between the device and one fake part: a socat PTY pair whose paths stay the same
 * across an unplug, as a /dev/serial/by-id/ path does when the adapter goes back into its socket. The
 * device is configured with `devicePath`; the fake part talks on `fakePath`.
 */
import { existsSync, lstatSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { PtyPair } from '../../fakes/hardware/pty-pair.js'

export class SerialCable {
  readonly name: string
  readonly dir: string
  #pair?: PtyPair

  private constructor (dir: string, name: string) {
    this.dir = dir
    this.name = name
  }

  /** the path the device's config names */
  get devicePath (): string { return join(this.dir, this.name) }
  /** the path the fake part opens */
  get fakePath (): string { return join(this.dir, `${this.name}-fake`) }
  get plugged (): boolean { return this.#pair?.running === true }

  /**
   * Plugs a new cable in. socat replaces links that are in its way, so a live one (another run using the
   * same --pty-dir) is refused here instead of being taken over; a dangling one left by a killed run is not.
   */
  static async plugIn (dir: string, name: string): Promise<SerialCable> {
    const cable = new SerialCable(dir, name)
    for (const p of [cable.devicePath, cable.fakePath]) {
      let isLink = false
      try { isLink = lstatSync(p).isSymbolicLink() } catch { continue }
      if (!isLink) throw new Error(`--pty-dir: ${p} exists and is not a PTY link; pick another directory`)
      let live = false
      try { live = existsSync(realpathSync(p)) } catch { live = false }
      if (live) throw new Error(`--pty-dir: ${p} is a live PTY (another punchline sim --hardware running?); pick another --pty-dir`)
    }
    await cable.replug()
    return cable
  }

  /** Pulls the adapter out: socat stops and its links go; the device sees its port close. */
  async unplug (): Promise<void> {
    const pair = this.#pair
    this.#pair = undefined
    await pair?.close()
  }

  /** Plugs it back in on the same paths. */
  async replug (): Promise<void> {
    if (this.plugged) return
    this.#pair = await PtyPair.start(this.dir, { names: [this.name, `${this.name}-fake`] })
  }
}
