/**
 * The child of the power-cut fault (power-cut.ts): a device runtime on its file ring, uploading to the
 * gateway, that takes a punch every millisecond or so and prints each one after its ring accepted it (what
 * the person at the reader is told), until it is killed. Usage: device-writer.js <device.json> <run>
 *
 * The line is written with writeSync from the runtime's outcome event, before the uplink can publish the
 * punch: a punch never printed was never sent either, so a cut leaves at most the append in progress
 * unreported.
 */
import { writeLineSync } from './pipe-line.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { loadDeviceConfig } from '../device/config.js'
import { DeviceRuntime, type PunchEvent } from '../device/runtime.js'

const [configFile, run] = process.argv.slice(2)
const runtime = new DeviceRuntime(loadDeviceConfig(configFile), { log: pino({ level: 'silent' }) })
runtime.on('outcome', (e: PunchEvent) => {
  if (e.outcome.outcome === 'accepted') writeLineSync(1, JSON.stringify({ seq: e.outcome.seq, emp: e.emp }))
})
await runtime.start()
writeLineSync(1, `ready ${runtime.ring.epoch}`)
for (let n = 1; ; n++) {
  runtime.punch({ emp: `R${run}-${n}`, method: 'card' })
  await sleep(1)
}
