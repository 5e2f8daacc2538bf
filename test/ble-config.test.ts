/**
 * The BLE input's config checks (every rule names its field) and its memory of recent frame numbers.
 */
import t from 'tap'
import { parseBleInputConfig } from '../device/inputs/ble/index.js'
import { RecentFrames } from '../device/inputs/ble/recent.js'

t.test('a good config is normalised', async t => {
  t.same(parseBleInputConfig({ kind: 'ble', name: 'watches', peers: ['aa:bb:cc:dd:ee:01'] }), { name: 'watches', peers: ['AA:BB:CC:DD:EE:01'] })
  const full = { name: 'w', peers: ['AA:BB:CC:DD:EE:01', 'AA:BB:CC:DD:EE:02'], adapter: 'hci1', findTimeoutMs: 5000, pollMs: 100, stepTimeoutMs: 2000, backoff: { baseMs: 10, capMs: 100 }, recentPerPeer: 64 }
  t.same(parseBleInputConfig(full), full)
})

t.test('each bad field is named with its rule', async t => {
  const ok = { name: 'w', peers: ['AA:BB:CC:DD:EE:01'] }
  const cases: Array<[unknown, RegExp]> = [
    [null, /config must be an object/],
    [{ peers: ok.peers }, /name: must be a string/],
    [{ ...ok, kind: 'serial' }, /"w": kind: must be ble/],
    [{ ...ok, peer: 'x' }, /"w": peer: unknown option/],
    [{ name: 'w', peers: [] }, /"w": peers: must list 1 to 7/],
    [{ name: 'w', peers: 'AA:BB:CC:DD:EE:01' }, /"w": peers: must list/],
    [{ name: 'w', peers: ['AA:BB:CC:DD:EE:01', 'AA-BB'] }, /"w": peers\[1\]: must be a BLE address/],
    [{ ...ok, adapter: 'bt0' }, /"w": adapter: must be a BlueZ adapter name/],
    [{ ...ok, findTimeoutMs: 0 }, /"w": findTimeoutMs: must be an integer between 1 and 3600000/],
    [{ ...ok, pollMs: 2.5 }, /"w": pollMs: must be an integer/],
    [{ ...ok, stepTimeoutMs: 10 }, /"w": stepTimeoutMs: must be an integer between 100/],
    [{ ...ok, backoff: 5 }, /"w": backoff: must be \{baseMs, capMs\}/],
    [{ ...ok, backoff: { baseMs: 0, capMs: 10 } }, /"w": backoff.baseMs: /],
    [{ ...ok, backoff: { baseMs: 100, capMs: 10 } }, /"w": backoff.capMs: must be an integer between baseMs/],
    [{ ...ok, recentPerPeer: 4 }, /"w": recentPerPeer: must be an integer between 16 and 65536/]
  ]
  for (const [raw, message] of cases) t.throws(() => parseBleInputConfig(raw), message, String(message))
})

t.test('recent frames: a repeat is known with its outcome, a reused n with another punch is new', async t => {
  const r = new RecentFrames(3)
  const k1 = RecentFrames.key(1000, 'E1')
  t.same(r.admit('A', 1, k1), { kind: 'new', counterRestarted: false })
  t.same(r.admit('A', 1, k1), { kind: 'repeat', outcome: undefined }, 'still with the runtime')
  r.settle('A', 1, k1, { outcome: 'accepted', seq: 9 })
  t.same(r.admit('A', 1, k1), { kind: 'repeat', outcome: { outcome: 'accepted', seq: 9 } })
  t.same(r.admit('B', 1, k1), { kind: 'new', counterRestarted: false }, 'peers are apart')

  r.admit('A', 2, RecentFrames.key(2000, 'E1'))
  t.same(r.admit('A', 1, RecentFrames.key(3000, 'E2')), { kind: 'new', counterRestarted: true }, 'same n, another punch')
  t.equal(r.size('A'), 1, 'the old numbering is forgotten')

  r.settle('A', 1, RecentFrames.key(3000, 'E2'), { outcome: 'refused', reason: 'storage-full', message: 'full' })
  t.same(r.admit('A', 1, RecentFrames.key(3000, 'E2')), { kind: 'new', counterRestarted: false }, 'storage-full is tried again')
  r.settle('A', 1, RecentFrames.key(3000, 'E2'), { outcome: 'refused', reason: 'invalid', message: 'bad' })
  t.same(r.admit('A', 1, RecentFrames.key(3000, 'E2')).kind, 'repeat', 'invalid is remembered')
  r.settle('A', 1, RecentFrames.key(9, 'other'), { outcome: 'accepted', seq: 1 })
  t.same(r.admit('A', 1, RecentFrames.key(3000, 'E2')), { kind: 'repeat', outcome: { outcome: 'refused', reason: 'invalid', message: 'bad' } }, 'a settle for another punch changes nothing')

  for (let n = 10; n < 14; n++) r.admit('A', n, RecentFrames.key(n, 'E'))
  t.equal(r.size('A'), 3, 'bounded per peer')
  t.same(r.admit('A', 10, RecentFrames.key(10, 'E')).kind, 'new', 'the oldest is forgotten first')
})
