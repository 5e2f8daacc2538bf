/**
 * The operator's certificate and key for the mqtts listener, read from PEM files and checked before use,
 * so that a wrong path, a DER file or a key from another certificate fails at start (or at a reload) with
 * a message naming the file, instead of as an OpenSSL error on the first device's handshake.
 */
import { readFileSync } from 'node:fs'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import type { SecureContextOptions } from 'node:tls'

export interface TlsFiles {
  cert: string
  key: string
}

export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  /** the leaf: the first certificate of the file (ACME clients write the leaf first, then the chain) */
  certificate: X509Certificate
}

const DAY_MS = 86_400_000

/**
 * Forward-secret key exchange only, so that a key stolen later cannot decrypt recorded device secrets:
 * TLS 1.3's suites, and for TLS 1.2 the ECDHE suites of Mozilla's "intermediate" profile
 * (https://wiki.mozilla.org/Security/Server_Side_TLS) less its DHE ones (they need DH parameters the
 * gateway does not have). Node's defaults also offer static-RSA suites (AES128-GCM-SHA256...).
 */
const FORWARD_SECRET_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'
].join(':')

/** What the mqtts listener serves: the operator's certificate, with the protocol floor and suites above. */
export function secureContextOptions (material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, minVersion: 'TLSv1.2', ciphers: FORWARD_SECRET_CIPHERS }
}

export function readTlsMaterial (files: TlsFiles): TlsMaterial {
  const cert = readPem(files.cert, 'mqtt.tls.cert')
  const key = readPem(files.key, 'mqtt.tls.key')
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch (err) {
    throw new Error(`mqtt.tls.cert: ${files.cert} is not a PEM certificate: ${(err as Error).message}`)
  }
  let privateKey
  try {
    privateKey = createPrivateKey(key)
  } catch (err) {
    // An encrypted key lands here too: the gateway has no passphrase to give it.
    throw new Error(`mqtt.tls.key: ${files.key} is not an unencrypted PEM private key: ${(err as Error).message}`)
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error(`mqtt.tls.key: ${files.key} is not the key of the certificate in ${files.cert}`)
  }
  return { cert, key, certificate }
}

function readPem (file: string, setting: string): Buffer {
  let data: Buffer
  try {
    data = readFileSync(file)
  } catch (err) {
    throw new Error(`${setting}: cannot read ${file}: ${(err as Error).message}`)
  }
  // Node would accept DER for the certificate but not for the key; asking for PEM on both keeps one rule.
  if (!data.includes('-----BEGIN ')) throw new Error(`${setting}: ${file} is not a PEM file (no -----BEGIN line)`)
  return data
}

/** What an operator wants to see of a certificate in the log. */
export function describeCertificate (certificate: X509Certificate, now: number): {
  subject: string
  issuer: string
  validTo: string
  daysLeft: number
  fingerprint256: string
} {
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    validTo: certificate.validTo,
    daysLeft: Math.floor((Date.parse(certificate.validTo) - now) / DAY_MS),
    fingerprint256: certificate.fingerprint256
  }
}
