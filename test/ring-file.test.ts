/**
 * What only the file ring can promise: everything survives a reopen; a damaged record is skipped and
 * counted while the rest survive; a damaged or mismatched header refuses to open unless told to format;
 * power lost while a counter block is written falls back to the other block.
 */
import t, { type Test } from 'tap'
import { closeSync, openSync, readFileSync, readSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { HEADER_SIZE, RECORD_SIZE, openFileRing, type FileRing, type FileRingOptions } from '../device/ring/index.js'
import { BLOCK_SIZE, COUNTER_BLOCK_OFFSETS, decodeCounterBlock } from '../device/ring/header.js'
import { STATE_OFFSET } from '../device/ring/record.js'
import { manualClock, punch } from './fixtures/ring-contract.js'

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0)

function open (t: Test, o: FileRingOptions): FileRing {
  const ring = openFileRing({ now: () => T0, ...o })
  t.teardown(() => ring.close())
  return ring
}

/** Overwrites bytes of the file in place, as a torn write or bit rot would leave them. */
function patch (path: string, position: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+')
  try { writeSync(fd, bytes, 0, bytes.length, position) } finally { closeSync(fd) }
}

function readAt (path: string, position: number, length: number): Buffer {
  const b = Buffer.alloc(length)
  const fd = openSync(path, 'r')
  try { readSync(fd, b, 0, length, position) } finally { closeSync(fd) }
  return b
}

/** The slot holding `seq`, found the way recovery does: by reading every record. */
function slotOf (path: string, capacity: number, seq: number): number {
  for (let s = 0; s < capacity; s++) {
    if (readAt(path, HEADER_SIZE + s * RECORD_SIZE + 12, 8).readDoubleLE(0) === seq) return s
  }
  throw new Error(`seq ${seq} not in the file`)
}

const recordAt = (slot: number): number => HEADER_SIZE + slot * RECORD_SIZE

t.test('a new file is created, preallocated and reported as formatted', async t => {
  const path = join(t.testdir(), 'sub', 'ring.bin')
  const ring = open(t, { path, capacity: 10 })
  t.equal(ring.formatted, 'new file')
  t.equal(statSync(path).size, HEADER_SIZE + 10 * RECORD_SIZE)
  t.equal(RECORD_SIZE % 512, 0)
  t.equal(HEADER_SIZE % 4096, 0)
})

t.test('reopening keeps records, ack states, counters and the seq', async t => {
  const path = join(t.testdir(), 'ring.bin')
  const clock = manualClock(T0)
  const retentionMs = 3_600_000
  let ring = openFileRing({ path, capacity: 6, retentionMs, now: clock.now })
  const epoch = ring.epoch
  ring.append(punch(1, { method: 'manual', manual: { reason: 'forgot badge' }, loc: { lat: 48.85, lon: 2.35, acc: 8 } }))
  for (let i = 2; i <= 6; i++) ring.append(punch(i))
  ring.markAcked([1, 2])
  ring.markRejected([3])
  ring.sync()
  t.same([7, 8, 9].map(i => ring.append(punch(i)).ok), [true, true, true])
  t.equal(ring.append(punch(10)).ok, false, 'full')
  clock.set(T0 + retentionMs + 10_000)
  t.same(ring.append(punch(11)), { ok: true, seq: 10, overwrote: { seq: 4, expired: true } })
  ring.markAcked([9])
  const before = ring.stats()
  const pendingBefore = ring.pending({ order: 'newest', limit: 10 })
  ring.close()

  ring = open(t, { path, capacity: 6, retentionMs, now: clock.now })
  t.equal(ring.epoch, epoch, 'same epoch')
  t.equal(ring.formatted, undefined, 'opened as it was')
  t.same(ring.stats(), before, 'pending, oldest ts and every counter survive')
  t.same([before.refused, before.rejected, before.expired, before.overwritten], [1, 1, 1, 1])
  t.same(ring.pending({ order: 'newest', limit: 10 }), pendingBefore, 'pending punches, in order, intact')
  t.same(ring.pending({ order: 'newest', limit: 10 }).map(p => p.seq), [10, 8, 7, 6, 5])
  t.same(ring.read([9]).map(p => p.emp), ['E9'], 'an acked punch stays readable until its slot is reused')
  t.equal(ring.markAcked([9]), 0, 'and stays acked')
  t.same(ring.append(punch(12)), { ok: true, seq: 11 }, 'seq continues, into the acked slot')
  t.same(ring.append(punch(13)), { ok: true, seq: 12, overwrote: { seq: 5, expired: true } }, 'expiry still applies')
})

t.test('seq continues after reopen even when every record was acked and the ring wrapped', async t => {
  const path = join(t.testdir(), 'ring.bin')
  let ring = openFileRing({ path, capacity: 3, now: () => T0 })
  for (let i = 1; i <= 20; i++) {
    const r = ring.append(punch(i))
    if (r.ok) ring.markAcked([r.seq])
  }
  ring.close()
  ring = open(t, { path, capacity: 3 })
  t.same(ring.append(punch(21)), { ok: true, seq: 21 })
})

t.test('an ack lost to a crash reads as pending; an unknown state byte reads as pending', async t => {
  const path = join(t.testdir(), 'ring.bin')
  let ring = openFileRing({ path, capacity: 4, now: () => T0 })
  for (let i = 1; i <= 3; i++) ring.append(punch(i))
  ring.markAcked([1, 2, 3])
  ring.close()
  patch(path, recordAt(slotOf(path, 4, 2)) + STATE_OFFSET, Buffer.from([0x00]))
  patch(path, recordAt(slotOf(path, 4, 3)) + STATE_OFFSET, Buffer.from([0xff]))
  ring = open(t, { path, capacity: 4 })
  t.same(ring.pending({ order: 'oldest', limit: 10 }).map(p => p.seq), [2, 3], 'sent again; the gateway dedups')
  t.equal(ring.stats().corrupt, 0, 'the state byte is outside the CRC: the punch itself is intact')
})

t.test('a torn or damaged record is skipped and counted; the others survive', async t => {
  const path = join(t.testdir(), 'ring.bin')
  let ring = openFileRing({ path, capacity: 8, now: () => T0 })
  for (let i = 1; i <= 6; i++) ring.append(punch(i))
  ring.close()
  patch(path, recordAt(slotOf(path, 8, 2)) + 40, Buffer.from('X'))
  // A write cut short after its first sector: the new record's start over the zeros of an empty slot.
  const torn = readAt(path, recordAt(slotOf(path, 8, 5)), 512)
  patch(path, recordAt(6), torn)
  patch(path, recordAt(slotOf(path, 8, 4)) + 512, Buffer.alloc(512))

  ring = open(t, { path, capacity: 8 })
  t.equal(ring.stats().corrupt, 3)
  t.same(ring.pending({ order: 'oldest', limit: 10 }).map(p => p.seq), [1, 3, 5, 6])
  t.same(ring.read([1, 2, 3, 4, 5, 6]).map(p => p.emp), ['E1', 'E3', 'E5', 'E6'])
  t.same(ring.append(punch(7)), { ok: true, seq: 7 })
  t.same(ring.appendMany([punch(8), punch(9), punch(10)]).map(r => r.ok), [true, true, true], 'damaged slots are reused')
})

t.test('a record damaged while the ring is open is dropped on read and counted', async t => {
  const path = join(t.testdir(), 'ring.bin')
  const ring = open(t, { path, capacity: 8 })
  for (let i = 1; i <= 5; i++) ring.append(punch(i))
  patch(path, recordAt(slotOf(path, 8, 4)) + 30, Buffer.from('garbage'))
  t.same(ring.pending({ order: 'newest', limit: 3 }).map(p => p.seq), [5, 3, 2], 'the limit is still filled')
  t.equal(ring.stats().corrupt, 1)
  t.equal(ring.stats().pending, 4)
  t.same(ring.read([4]), [])
})

t.test('a sealed record whose payload has "loc": null is dropped and counted, not thrown (found by test/fuzz-ring-record.test.ts)', async t => {
  const path = join(t.testdir(), 'ring.bin')
  const ring = open(t, { path, capacity: 8 })
  for (let i = 1; i <= 4; i++) ring.append(punch(i))
  const payloads: Array<[number, string]> = [
    [2, '{"emp":"E2","kind":"in","method":"card","clock":"synced","loc":null}'],
    [3, '{"emp":"E3","kind":"in","method":"manual","clock":"synced","manual":null}']
  ]
  for (const [seq, payload] of payloads) {
    const at = recordAt(slotOf(path, 8, seq))
    const record = readAt(path, at, RECORD_SIZE)
    record.fill(0, 28, 1016)
    record.write(payload, 28, 'utf8')
    record.writeUInt16LE(Buffer.byteLength(payload), 6)
    record.writeUInt32LE(crc32(record.subarray(0, 1016)), 1016)
    patch(path, at, record)
    t.same(ring.read([seq]), [], payload)
  }
  t.equal(ring.stats().corrupt, 2)
  t.same(ring.read([1, 2, 3, 4]).map(p => p.emp), ['E1', 'E4'])
})

t.test('a damaged header refuses to open, with what to do; format: true starts a new epoch', async t => {
  const path = join(t.testdir(), 'ring.bin')
  const first = openFileRing({ path, capacity: 4, now: () => T0 })
  first.append(punch(1))
  const epoch = first.epoch
  first.close()
  patch(path, 17, Buffer.from([0x55]))
  const damaged = readFileSync(path)
  t.throws(() => openFileRing({ path, capacity: 4, now: () => T0 }), /ring file .*ring\.bin has a damaged header \(CRC mismatch\): refusing to open it\. Open it with format: true/)
  t.same(readFileSync(path), damaged, 'the refused file is left untouched')

  const ring = open(t, { path, capacity: 4, format: true })
  t.match(ring.formatted, /^reformatted: the file has a damaged header/)
  t.not(ring.epoch, epoch)
  t.same(ring.stats().pending, 0)
  t.same(ring.append(punch(2)), { ok: true, seq: 1 }, 'a new epoch starts at seq 1')
})

t.test('a file that is not a ring refuses to open', async t => {
  const path = join(t.testdir(), 'ring.bin')
  writeFileSync(path, 'hello, I am a log file\n'.repeat(500))
  t.throws(() => openFileRing({ path, capacity: 4, now: () => T0 }), /is not a punch ring/)
  t.equal(readFileSync(path, 'utf8').slice(0, 5), 'hello')
})

t.test('a capacity other than the file was formatted for refuses to open unless told to format', async t => {
  const path = join(t.testdir(), 'ring.bin')
  openFileRing({ path, capacity: 8, now: () => T0 }).close()
  t.throws(() => openFileRing({ path, capacity: 16, now: () => T0 }), /was formatted for 8 slots, not 16/)
  const ring = open(t, { path, capacity: 16, format: true })
  t.match(ring.formatted, /formatted for 8 slots, not 16/)
  t.equal(ring.capacity, 16)
  t.equal(statSync(path).size, HEADER_SIZE + 16 * RECORD_SIZE)
})

t.test('format: true never wipes a file that opens as asked', async t => {
  const path = join(t.testdir(), 'ring.bin')
  const a = openFileRing({ path, capacity: 4, now: () => T0 })
  a.append(punch(1))
  a.close()
  const b = open(t, { path, capacity: 4, format: true })
  t.equal(b.formatted, undefined)
  t.equal(b.stats().pending, 1)
})

function counterBlocks (path: string): Array<{ at: number, generation: number | undefined, refused: number | undefined }> {
  return COUNTER_BLOCK_OFFSETS.map(at => {
    const c = decodeCounterBlock(readAt(path, at, BLOCK_SIZE))
    return { at, generation: c?.generation, refused: c?.refused }
  })
}

t.test('power lost while writing a counter block: the other block is used', async t => {
  const path = join(t.testdir(), 'ring.bin')
  let ring = openFileRing({ path, capacity: 2, now: () => T0 })
  ring.append(punch(1))
  ring.append(punch(2))
  for (let i = 0; i < 3; i++) ring.append(punch(3))
  t.equal(ring.stats().refused, 3)
  ring.close()

  const blocks = counterBlocks(path).sort((a, b) => (b.generation ?? 0) - (a.generation ?? 0))
  t.same(blocks.map(b => b.refused), [3, 2], 'the newest block holds the latest counters, the other one change behind')
  patch(path, blocks[0].at + 20, Buffer.from([0xde, 0xad]))

  ring = openFileRing({ path, capacity: 2, now: () => T0 })
  t.equal(ring.stats().refused, 2, 'the older block: a change behind, never garbage')
  ring.append(punch(4))
  t.equal(ring.stats().refused, 3)
  ring.close()
  ring = openFileRing({ path, capacity: 2, now: () => T0 })
  t.equal(ring.stats().refused, 3, 'the torn block was the one rewritten')
  ring.close()

  for (const b of COUNTER_BLOCK_OFFSETS) patch(path, b + 20, Buffer.from([0xde, 0xad]))
  ring = open(t, { path, capacity: 2 })
  t.equal(ring.stats().refused, 0, 'both blocks damaged: counters restart, the ring still opens')
  t.equal(ring.stats().pending, 2)
})

t.test('the seq floor in the counter block guards against losing the newest record', async t => {
  const path = join(t.testdir(), 'ring.bin')
  let ring = openFileRing({ path, capacity: 4, now: () => T0 })
  for (let i = 1; i <= 3; i++) ring.append(punch(i))
  ring.markRejected([3])
  ring.close()
  patch(path, recordAt(slotOf(path, 4, 3)) + 30, Buffer.from('rot'))
  ring = open(t, { path, capacity: 4 })
  t.equal(ring.stats().corrupt, 1)
  t.same(ring.append(punch(4)), { ok: true, seq: 4 }, 'seq 3 is not handed out again')
})

t.test('reusing the newest record\'s slot saves the seq floor first, so a torn write there repeats no seq', async t => {
  const path = join(t.testdir(), 'ring.bin')
  let ring = openFileRing({ path, capacity: 2, now: () => T0 })
  ring.append(punch(1))
  ring.append(punch(2))
  ring.markAcked([2])
  t.same(ring.append(punch(3)), { ok: true, seq: 3 }, 'into the slot seq 2 held')
  ring.close()
  const slot = slotOf(path, 2, 3)
  patch(path, recordAt(slot) + 512, Buffer.alloc(512))
  ring = open(t, { path, capacity: 2 })
  t.equal(ring.stats().corrupt, 1)
  t.same(ring.append(punch(4)), { ok: true, seq: 4 }, 'neither 2 nor 3 is handed out again')
})

t.test('a file cut short is extended; the slots it still has survive', async t => {
  const path = join(t.testdir(), 'ring.bin')
  let ring = openFileRing({ path, capacity: 8, now: () => T0 })
  for (let i = 1; i <= 3; i++) ring.append(punch(i))
  ring.close()
  truncateSync(path, HEADER_SIZE + 2 * RECORD_SIZE)
  ring = open(t, { path, capacity: 8 })
  t.equal(statSync(path).size, HEADER_SIZE + 8 * RECORD_SIZE)
  t.same(ring.pending({ order: 'oldest', limit: 10 }).map(p => p.seq), [1, 2])
  t.equal(ring.append(punch(4)).ok, true)
})
