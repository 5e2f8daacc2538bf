/**
 * One measured load against one server process: a small warm-up load first (JIT and connection set-up stay
 * out of the figure), then the measured one, with the CPU each side spent during it.
 */
import { cpuSeconds } from './children.js'
import { runLoad, type LoadOptions, type LoadResult } from './mqtt-load.js'

export interface LoadShape {
  devices: number
  batches: number
  batchSize: number
  window: number
}

export interface LoadRun extends LoadResult {
  /** CPU seconds the server process (gateway, broker) spent during the measured load */
  serverCpuSeconds: number
}

export async function measuredLoad (url: string, serverPid: number | undefined, shape: LoadShape, countOn: LoadOptions['countOn']): Promise<LoadRun> {
  await runLoad({ url, devices: 10, batchesPerDevice: 5, batchSize: shape.batchSize, window: shape.window, epoch: 'aaaaaaaa', countOn })
  let cpu0 = NaN
  let cpu1 = NaN
  const r = await runLoad({
    url,
    devices: shape.devices,
    batchesPerDevice: shape.batches,
    batchSize: shape.batchSize,
    window: shape.window,
    epoch: 'bbbbbbbb',
    countOn,
    onStart: () => { cpu0 = cpuSeconds(serverPid) },
    onEnd: () => { cpu1 = cpuSeconds(serverPid) }
  })
  return { ...r, serverCpuSeconds: cpu1 - cpu0 }
}
