/**
 * Throwaway certificates made with the openssl command line at test time (Node's crypto makes keys but
 * cannot issue X.509 certificates). EC P-256 keys: quick to generate on a shared CI machine.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface CertFiles {
  cert: string
  key: string
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function openssl (args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** A private CA, as an operator would make one for a site. */
export function makeCa (dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }
  openssl(['req', '-x509', ...EC, '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', files.key, '-out', files.cert])
  return files
}

/** A server certificate for 127.0.0.1 and localhost signed by `ca`, written to `name`.pem/.key. */
export function makeServerCert (dir: string, name: string, ca: CertFiles, days: number): CertFiles {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }
  const csr = join(dir, `${name}.csr`)
  const ext = join(dir, `${name}.ext`)
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  openssl(['req', '-new', ...EC, '-subj', '/CN=localhost', '-keyout', files.key, '-out', csr])
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(Date.now()),
    '-days', String(days), '-extfile', ext, '-out', files.cert])
  return files
}

/** A self-signed certificate for 127.0.0.1 and localhost: its own CA. */
export function makeSelfSigned (dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }
  openssl(['req', '-x509', ...EC, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', files.key, '-out', files.cert])
  return files
}

/**
 * A self-signed RSA certificate for 127.0.0.1 and localhost. With an RSA key a server could offer the
 * static-RSA suites (no forward secrecy) that an EC key rules out by itself.
 */
export function makeSelfSignedRsa (dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', files.key, '-out', files.cert])
  return files
}

export function fingerprintOf (certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256
}
