/**
 * The index both rings share, on its own: recovery ordering, allocation tie-breaks, and the seq log
 * staying right through many compactions (checked against a plain Map model).
 */
import t from 'tap'
import { SLOT_ACKED, SLOT_EMPTY, SLOT_PENDING, SLOT_REJECTED, SlotIndex } from '../device/ring/slot-index.js'
import { createMemoryRing } from '../device/ring/index.js'

t.test('settle orders recovered records, drops duplicate seqs and continues after the highest', async t => {
  const ix = new SlotIndex(6)
  ix.load(0, 7, 100, SLOT_PENDING)
  ix.load(2, 3, 50, SLOT_ACKED)
  ix.load(3, 9, 10, SLOT_PENDING)
  ix.load(4, 7, 100, SLOT_PENDING)
  t.same(ix.settle(), [4], 'the second slot claiming seq 7 is dropped')
  t.equal(ix.state[4], SLOT_EMPTY)
  t.equal(ix.pendingCount, 2)
  t.equal(ix.maxSeq, 9)
  t.equal(ix.slotOf(7), 0)
  t.equal(ix.slotOf(3), 2)
  t.equal(ix.slotOf(4), -1)
  t.same(ix.pendingSlots('newest', 10), [3, 0])
  t.same(ix.allocate(0, 1000, 'refuse'), { slot: 4 }, 'next free slot after the newest record (slot 3)')
})

t.test('a seq floor above every record wins', async t => {
  const ix = new SlotIndex(4)
  ix.load(1, 5, 0, SLOT_ACKED)
  ix.settle(12)
  t.equal(ix.place(0, 0), 13)
})

t.test('an empty index allocates slot 0 first and protects nothing', async t => {
  const ix = new SlotIndex(3)
  ix.settle()
  t.same(ix.allocate(0, 0, 'refuse'), { slot: 0 })
  t.equal(ix.oldestPendingTs(), null)
})

t.test('expired punches with the same ts go lowest seq first', async t => {
  const ix = new SlotIndex(4)
  for (const s of [2, 0, 3, 1]) ix.place(s, 1000)
  ix.commit()
  t.same(ix.allocate(10_000, 5000, 'refuse'), { slot: 2, victim: { seq: 1, expired: true } })
})

t.test('the newest record\'s slot is reused last, and asks for the seq floor to be saved first', async t => {
  const ix = new SlotIndex(3)
  ix.place(0, 1000)
  ix.place(1, 1000)
  ix.place(2, 1000)
  ix.commit()
  ix.setState(0, SLOT_ACKED)
  ix.setState(2, SLOT_ACKED)
  ix.setState(0, SLOT_PENDING)
  t.equal(ix.pendingCount, 2, 'state changes keep the pending count')
  t.same(ix.allocate(1000, 10, 'refuse'), { slot: 2, saveFloor: true }, 'slot 2 holds seq 3, the newest')
  ix.setState(0, SLOT_REJECTED)
  t.same(ix.allocate(1000, 10, 'refuse'), { slot: 0 }, 'any other free slot first')
  ix.setState(0, SLOT_PENDING)
  ix.setState(2, SLOT_PENDING)
  t.same(ix.allocate(1000, 10, 'overwrite-oldest'), { slot: 0, victim: { seq: 1, expired: false } })
  t.same(ix.allocate(5000, 10, 'refuse'), { slot: 0, victim: { seq: 1, expired: true } })
  t.equal(ix.allocate(1000, 10, 'refuse'), undefined)
})

t.test('the seq log stays right through many compactions', async t => {
  let rng = 99
  const random = (): number => { rng = (rng * 16807) % 2147483647; return rng / 2147483647 }
  const capacity = 16
  const ix = new SlotIndex(capacity)
  const model = new Map<number, { slot: number, state: number }>()
  let bad = 0
  for (let i = 0; i < 20_000; i++) {
    const a = ix.allocate(0, 1e12, 'overwrite-oldest')
    if (a !== undefined) {
      if (a.victim !== undefined) model.delete(a.victim.seq)
      for (const [seq, m] of model) if (m.slot === a.slot) model.delete(seq)
      const seq = ix.place(a.slot, i)
      ix.commit()
      model.set(seq, { slot: a.slot, state: SLOT_PENDING })
    }
    for (const [seq, m] of model) {
      if (m.state === SLOT_PENDING && random() < 0.3) {
        m.state = random() < 0.9 ? SLOT_ACKED : SLOT_REJECTED
        ix.setState(m.slot, m.state as typeof SLOT_ACKED)
        if (ix.slotOf(seq) !== m.slot) bad++
      }
    }
  }
  for (const [seq, m] of model) if (ix.slotOf(seq) !== m.slot) bad++
  const pendingModel = [...model].filter(([, m]) => m.state === SLOT_PENDING).map(([seq]) => seq).sort((a, b) => b - a)
  t.equal(bad, 0, 'every stored seq found in its slot')
  t.same(ix.pendingSlots('newest', 100).map(s => ix.seq[s]), pendingModel)
  t.equal(ix.pendingCount, pendingModel.length)
})

t.test('the memory ring takes a given epoch and checks it', async t => {
  t.equal(createMemoryRing({ capacity: 2, epoch: '0badc0de' }).epoch, '0badc0de')
  t.throws(() => createMemoryRing({ capacity: 2, epoch: 'XYZ' }), /epoch: must be 8 lowercase hex/)
})

t.test('an index that grows as used decides exactly as one allocated in full', async t => {
  let rng = 7
  const random = (): number => { rng = (rng * 16807) % 2147483647; return rng / 2147483647 }
  const capacity = 300
  const full = new SlotIndex(capacity)
  const grown = new SlotIndex(capacity, 16)
  t.equal(grown.state.length, 16, 'starts with what it was asked for')
  const pending: number[] = []
  let differ = 0
  for (let i = 0; i < 5000; i++) {
    // Bursts of punches without acks push the used slots past every doubling, then acks free them.
    const policy = i % 2000 < 1000 ? 'refuse' : 'overwrite-oldest'
    const a = full.allocate(i, 2500, policy)
    const b = grown.allocate(i, 2500, policy)
    if (JSON.stringify(a) !== JSON.stringify(b)) differ++
    if (a !== undefined && b !== undefined) {
      const seq = full.place(a.slot, i)
      grown.place(b.slot, i)
      full.commit()
      grown.commit()
      pending.push(seq)
    }
    if (random() < 0.3 && pending.length > 0) {
      const seq = pending.splice(Math.floor(random() * pending.length), 1)[0]
      const s1 = full.slotOf(seq)
      const s2 = grown.slotOf(seq)
      if (s1 !== s2) differ++
      if (s1 >= 0) full.setState(s1, SLOT_ACKED)
      if (s2 >= 0) grown.setState(s2, SLOT_ACKED)
    }
  }
  t.equal(differ, 0, 'same slots, victims and lookups on every step')
  t.equal(grown.pendingCount, full.pendingCount)
  t.same(grown.pendingSlots('oldest', 1000), full.pendingSlots('oldest', 1000))
  t.equal(grown.oldestPendingTs(), full.oldestPendingTs())
  t.ok(grown.state.length <= capacity, 'never past the capacity')
})

t.test('a memory ring allocates its index as it fills, not for its whole capacity', async t => {
  const ring = createMemoryRing({ capacity: 100_000 })
  const before = process.memoryUsage().arrayBuffers
  const rings = Array.from({ length: 200 }, () => createMemoryRing({ capacity: 100_000 }))
  const perRing = (process.memoryUsage().arrayBuffers - before) / rings.length
  // Allocated in full, each would take about 3.2 MB of typed arrays.
  t.ok(perRing < 20_000, `about ${Math.round(perRing)} bytes of index per empty ring`)
  for (let i = 0; i < 1000; i++) ring.append({ emp: 'E1', ts: 1_700_000_000_000 + i, kind: 'in', method: 'card', clock: 'synced' })
  t.equal(ring.stats().pending, 1000)
  t.equal(ring.pending({ order: 'newest', limit: 1 })[0].seq, 1000)
})
