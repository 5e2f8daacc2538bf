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
