/** Takes an online backup of the gateway's file on a thread of its own (backup-worker.ts says why). */
import { startThread } from '../thread.js'
import type { BackupInfo } from './backup.js'
import type { BackupThreadAnswer, BackupThreadData } from './backup-worker.js'

export async function backupInThread (file: string, dir: string, keep: number, now: number): Promise<BackupInfo> {
  const data: BackupThreadData = { file, dir, keep, now }
  const worker = startThread(import.meta.url, 'backup-worker', data)
  return await new Promise<BackupInfo>((resolve, reject) => {
    let answer: BackupThreadAnswer | undefined
    worker.once('message', (m: BackupThreadAnswer) => { answer = m })
    worker.once('error', reject)
    worker.once('exit', (code) => {
      if (answer === undefined) reject(new Error(`the backup thread exited (${code}) without an answer`))
      else if ('error' in answer) reject(new Error(answer.error))
      else resolve(answer.info)
    })
  })
}
