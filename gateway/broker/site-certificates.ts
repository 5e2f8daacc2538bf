/**
 * A site CA and the gateway's server certificate, made in-process so that a site without the openssl
 * command can still run TLS (Node's crypto makes keys but cannot issue X.509 certificates; @peculiar/x509
 * does, on Node's WebCrypto). EC P-256 keys: quick to make, and served with ECDHE-ECDSA suites.
 */
// tsyringe, inside @peculiar/x509, needs the Reflect metadata API loaded first.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { randomBytes, webcrypto } from 'node:crypto'
import { isIP } from 'node:net'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const DAY_MS = 86_400_000
/** The CA outlives many server certificates: devices trust it once. */
export const CA_VALID_DAYS = 3650
/** A server certificate is renewed by running --init again against the same CA (the gateway warns 30 days before). */
export const SERVER_VALID_DAYS = 825
/** Issued a little in the past, so a device whose clock is slightly behind accepts it at once. */
const BACKDATE_MS = 3_600_000

export interface PemPair {
  cert: string
  key: string
}

export async function makeSiteCa (name: string, now: number): Promise<PemPair> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeDn(name)}`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALID_DAYS * DAY_MS),
    signingAlgorithm: KEY_ALGORITHM,
    keys,
    extensions: [
      // pathLen 0: this CA signs server certificates, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
    ]
  })
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) }
}

/** A server certificate for `names` (host names and IP addresses), signed by `ca`. */
export async function issueServerCertificate (ca: PemPair, names: readonly string[], now: number): Promise<PemPair> {
  if (names.length === 0) throw new Error('a server certificate needs at least one name')
  const caCert = new x509.X509Certificate(ca.cert)
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.key), KEY_ALGORITHM, false, ['sign'])
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${escapeDn(names[0])}`,
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + SERVER_VALID_DAYS * DAY_MS),
    signingAlgorithm: KEY_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // Clients check the name they dialled against these (RFC 6125), not against the CN.
      new x509.SubjectAlternativeNameExtension(names.map(n => ({ type: isIP(n) === 0 ? 'dns' as const : 'ip' as const, value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
    ]
  })
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) }
}

async function exportKey (key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY') + '\n'
}

/** A positive 128-bit serial (RFC 5280, section 4.1.2.2: at most 20 octets, unique per CA). */
function serial (): string {
  const bytes = randomBytes(16)
  bytes[0] &= 0x7f
  return bytes.toString('hex')
}

/** A name as one RDN value: the characters RFC 4514 says to escape. */
function escapeDn (value: string): string {
  return value.replace(/[,+"\\<>;=]/g, c => `\\${c}`)
}
