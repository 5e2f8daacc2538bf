/**
 * The failed-login backoff (gateway/broker/login-backoff.ts) on its own, with the clock given: free
 * failures, doubling waits up to the cap, checks running at once, success and quiet time forgetting a
 * key, and the bound on keys kept.
 */
import t from 'tap'
import { LoginBackoff } from '../gateway/broker/login-backoff.js'

const limits = { freeFailures: 3, maxPending: 4, baseMs: 1000, capMs: 4000, forgetMs: 60_000, maxKeys: 100 }

function fail (b: LoginBackoff, key: string, at: number): void {
  if (b.begin(key, at) !== 0) throw new Error(`no check for ${key} at ${at}`)
  b.end(key, false, at)
}

t.test('free failures, then doubling waits up to the cap; one probe at a time once a wait is over', async t => {
  const b = new LoginBackoff(limits)
  fail(b, 'k', 0); fail(b, 'k', 0)
  fail(b, 'k', 0)
  t.equal(b.begin('k', 10), 990, 'the third failure starts a wait of baseMs')
  fail(b, 'k', 1000)
  t.equal(b.begin('k', 1000), 2000, 'then twice as long')
  fail(b, 'k', 3000)
  t.equal(b.begin('k', 3000), 4000, 'then the cap')
  fail(b, 'k', 7000)
  t.equal(b.begin('k', 7000), 4000, 'and stays there')
  t.equal(b.begin('k', 11_000), 0, 'after the wait, one probe')
  t.ok(b.begin('k', 11_000) > 0, 'but not two at once')
  b.end('k', true, 11_001)
  t.equal(b.begin('k', 11_002), 0, 'a success clears the key')
})

t.test('checks running at once are bounded, and count as failures to come once a key has failed', async t => {
  const b = new LoginBackoff(limits)
  const burst = (key: string): number => Array.from({ length: 10 }, () => b.begin(key, 0)).filter(w => w === 0).length
  t.equal(burst('fresh'), 4, 'a key without failures: maxPending at once (devices behind one address)')
  fail(b, 'failed', 0)
  t.equal(burst('failed'), 2, 'after a failure: only as many as failures are left')
  b.cancel('failed')
  t.equal(b.begin('failed', 0), 0, 'a cancelled check gives its place back')
})

t.test('a quiet key is forgotten; at most maxKeys keys are kept', async t => {
  const b = new LoginBackoff(limits)
  fail(b, 'q', 0); fail(b, 'q', 0); fail(b, 'q', 0)
  t.ok(b.begin('q', 1) > 0, 'backed off')
  t.equal(b.begin('q', 61_001), 0, 'forgotten after forgetMs of quiet')
  const many = new LoginBackoff({ ...limits, maxKeys: 5 })
  for (let i = 0; i < 50; i++) fail(many, `id-${i}`, i)
  t.equal(many.size, 5, 'bounded')
})
