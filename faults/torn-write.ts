/**
 * What a power cut can leave in a device's ring file, made on purpose between runs: the record being
 * written when the power went, half new and half old. Used by the power-cut fault (power-cut.ts) and the
 * ring's own crash test (test/ring-crash.test.ts).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { HEADER_SIZE, RECORD_SIZE } from '../device/ring/index.js'
import { inspectRecord } from '../device/ring/record.js'

/** The slot holding `seq`, read straight from the file, or -1. */
export function slotOnDisk (path: string, capacity: number, epoch: string, seq: number): number {
  const buf = Buffer.alloc(RECORD_SIZE)
  const fd = openSync(path, 'r')
  try {
    for (let s = 0; s < capacity; s++) {
      readSync(fd, buf, 0, RECORD_SIZE, HEADER_SIZE + s * RECORD_SIZE)
      const head = inspectRecord(buf, 0, Buffer.from(epoch, 'hex'))
      if (typeof head === 'object' && head.seq === seq) return s
    }
  } finally { closeSync(fd) }
  return -1
}

/** What a power cut during the write could leave: the record's first sector new, the rest not. */
export function tear (path: string, slot: number): void {
  const fd = openSync(path, 'r+')
  try { writeSync(fd, Buffer.alloc(RECORD_SIZE / 2), 0, RECORD_SIZE / 2, HEADER_SIZE + slot * RECORD_SIZE + RECORD_SIZE / 2) } finally { closeSync(fd) }
}
