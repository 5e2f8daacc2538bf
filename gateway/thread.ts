/**
 * Starts one of the gateway's worker threads (the commit thread, a backup) from its module beside the
 * caller's: `.js` when built, `.ts` when tests run the sources. From the sources the thread registers tsx
 * (a development dependency, as the sources are) before loading its module: the test runner's own loader,
 * which a thread would inherit, compiles the thread's imports again for seconds at every start.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads'

/** `callerUrl`: the caller's import.meta.url; `name`: the module beside it, without extension */
export function startThread (callerUrl: string, name: string, workerData: unknown, transferList?: TransferListItem[], resourceLimits?: ResourceLimits): Worker {
  const ext = extname(fileURLToPath(callerUrl))
  const file = new URL(`./${name}${ext}`, callerUrl)
  if (ext !== '.ts') return new Worker(file, { workerData, transferList, resourceLimits })
  const boot = `import('tsx/esm/api').then(api => { api.register(); return import(${JSON.stringify(file.href)}) })`
  return new Worker(boot, { eval: true, workerData, transferList, execArgv: [], resourceLimits })
}
