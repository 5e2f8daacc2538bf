/**
 * A device secret as each external broker checks it. The cluster's registry keeps these, never the secret
 * (docs/DESIGN-NOTES.md, "Device credentials on the cluster's broker"). Both brokers hash again at every
 * login, on their own CPU, so the costs are set for a fleet reconnecting at once, not for a person's
 * password: a secret `punchline devices add` makes is 24 random bytes (192 bits), which no hash cost
 * protects better or worse; a weak `--secret` of the operator's own is protected less.
 */
import { pbkdf2 as pbkdf2Cb, randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'
import type { BrokerHashes } from '../cluster-admin.js'

/**
 * Mosquitto 2.0's `$7$` format (its password_mosq.c, as `mosquitto_passwd` writes it):
 * `$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512 of the secret, 64 bytes>`, the salt 12 bytes
 * (2.0 reads no other length). 101 iterations is mosquitto_passwd 2.0's own default: Mosquitto checks
 * logins on its one thread, and at 101 a login costs it about 0.1 ms (1,000 would cost ten times that, over
 * a minute of a broker doing nothing else while 100,000 devices reconnect).
 */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101
const MOSQUITTO_SALT_BYTES = 12
const MOSQUITTO_KEY_BYTES = 64

/**
 * bcrypt for nats-server's `authorization { users }`. NATS 2.9 takes a password as a hash only when it
 * starts with `$2a$` (its isBcrypt), so the salt is given that prefix: bcryptjs hashes with the variant its
 * salt names, and `$2a$` and `$2b$` differ only for secrets over 255 bytes. Cost 6 (64 rounds), an eighth
 * of bcrypt's usual 10: NATS checks logins in parallel, but a herd of 100,000 still pays them all.
 */
export const NATS_BCRYPT_COST = 6

function pbkdf2 (secret: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2Cb(secret, salt, iterations, MOSQUITTO_KEY_BYTES, 'sha512', (err, key) => { if (err != null) reject(err); else resolve(key) })
  })
}

export async function mosquittoHash (secret: string, iterations = MOSQUITTO_PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(MOSQUITTO_SALT_BYTES)
  const key = await pbkdf2(secret, salt, iterations)
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`
}

export async function natsHash (secret: string): Promise<string> {
  const salt = (await bcrypt.genSalt(NATS_BCRYPT_COST)).replace(/^\$2[aby]\$/, '$2a$')
  return await bcrypt.hash(secret, salt)
}

export async function brokerHashes (secret: string): Promise<BrokerHashes> {
  const [mosquitto, nats] = await Promise.all([mosquittoHash(secret), natsHash(secret)])
  return { mosquitto, nats }
}
