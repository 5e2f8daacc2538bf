/**
 * Preloaded into a gateway child (`node --expose-gc --import` its built file: gcPressureArgs() in
 * gateway-process.ts): a full collection every GC_PRESSURE_MS (100 ms by default), so whatever is held only
 * weakly (the timer behind AbortSignal.timeout inside AbortSignal.any, nodejs/node#57736) is collected
 * within a fault's seconds, as it would be over hours of a real gateway's uptime.
 */
const everyMs = Number(process.env.GC_PRESSURE_MS ?? 100)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('gc-pressure: run node with --expose-gc')
setInterval(gc, everyMs).unref()

export {}
