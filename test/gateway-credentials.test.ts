/**
 * Device credentials in the device store (gateway/store/device-store.ts) on a real SQLite file: hashed,
 * verified, changed and removed.
 */
import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../gateway/store/db.js'
import { DeviceStore } from '../gateway/store/device-store.js'

t.test('credentials: hashed, verified, changed and removed', async t => {
  const db = openDatabase(join(t.testdir(), 'd.db'))
  t.teardown(() => db.close())
  const devices = new DeviceStore(db)
  const secret = await devices.add('T-1')
  const stored = (db.prepare("SELECT secret_hash FROM devices WHERE id='T-1'").get() as { secret_hash: string }).secret_hash
  t.notOk(stored.includes(secret), 'the secret is not stored in clear')
  t.match(stored, /^scrypt\$16384\$8\$1\$/)
  t.ok(await devices.verify('T-1', secret))
  t.ok(await devices.verify('T-1', secret), 'cached path')
  t.notOk(await devices.verify('T-1', secret + 'x'))
  t.notOk(await devices.verify('T-2', secret))
  await devices.add('T-1', 'another-secret')
  t.notOk(await devices.verify('T-1', secret), 'an old secret stops working once changed')
  t.ok(await devices.verify('T-1', 'another-secret'))
  devices.remove('T-1')
  t.notOk(await devices.verify('T-1', 'another-secret'), 'a removed device is refused')
})
