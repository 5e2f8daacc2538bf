/**
 * How much room the gateway's database has: its size against `storage.maxDbBytes` and the free space of
 * its disk against `storage.minFreeBytes`. One measurement for the storage guard (which stops ingest),
 * the health snapshot and the report, so they never disagree about what "full" means.
 *
 * The budget counts the pages in use plus the WAL, not the file's length: without auto_vacuum (db.ts sets
 * none) a purge leaves the file as long as it was and puts the freed pages on SQLite's freelist, where new
 * rows go before the file grows. Counting the file's length would keep a budget "full" after a purge.
 */
import { statSync, statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Db } from './db.js'
import { formatBytes } from '../units.js'

export interface StorageLimits {
  /** 0 = no budget */
  maxDbBytes: number
  /** 0 = no floor */
  minFreeBytes: number
}

export interface StorageUsage {
  /** the main file: page_count × page_size */
  fileBytes: number
  /** freelist pages inside the file, reused before the file grows */
  freePageBytes: number
  /** the WAL file as it lies on disk */
  walBytes: number
  /** fileBytes − freePageBytes + walBytes: what the budget is compared with */
  usedBytes: number
  maxDbBytes: number
  /** free space on the data dir's file system for an unprivileged process (statfs bavail) */
  diskFreeBytes: number
  diskTotalBytes: number
  minFreeBytes: number
}

export function measureStorage (db: Db, file: string, limits: StorageLimits): StorageUsage {
  const pageSize = db.pragma('page_size', { simple: true }) as number
  const pages = db.pragma('page_count', { simple: true }) as number
  const freePages = db.pragma('freelist_count', { simple: true }) as number
  let walBytes = 0
  try { walBytes = statSync(file + '-wal').size } catch {}
  const fs = statfsSync(dirname(file))
  const fileBytes = pages * pageSize
  const freePageBytes = freePages * pageSize
  return {
    fileBytes,
    freePageBytes,
    walBytes,
    usedBytes: fileBytes - freePageBytes + walBytes,
    maxDbBytes: limits.maxDbBytes,
    diskFreeBytes: fs.bavail * fs.bsize,
    diskTotalBytes: fs.blocks * fs.bsize,
    minFreeBytes: limits.minFreeBytes
  }
}

/** Why no more punches fit, in words an operator acts on; undefined while they do. The disk comes first: it is the harder limit. */
export function storageVerdict (u: StorageUsage): string | undefined {
  if (u.minFreeBytes > 0 && u.diskFreeBytes < u.minFreeBytes) {
    return `disk: ${formatBytes(u.diskFreeBytes)} free, below the ${formatBytes(u.minFreeBytes)} floor`
  }
  if (u.maxDbBytes > 0 && u.usedBytes >= u.maxDbBytes) {
    return `database: ${formatBytes(u.usedBytes)} over the ${formatBytes(u.maxDbBytes)} budget`
  }
  return undefined
}
