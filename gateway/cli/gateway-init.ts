/**
 * `punchline gateway --init`: makes TLS the easy path for a real site. Writes a site CA, a server
 * certificate for this host's names and addresses (and any --host), and a config that serves mqtts only,
 * then says which file devices must trust. Keys are written readable by their owner only. An existing CA
 * in the same place is reused, so running it again after removing the server certificate renews that
 * certificate without touching the devices; nothing else is ever overwritten.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname, networkInterfaces } from 'node:os'
import { isIP } from 'node:net'
import { join, resolve } from 'node:path'
import { defaultConfig } from '../config.js'

export interface InitOptions {
  dataDir: string
  /** where the config goes ('' = <dataDir>/gateway.json) */
  configFile: string
  /** names and addresses devices use to reach the gateway, beyond the ones found on this host */
  hosts: readonly string[]
  now: number
}

export interface InitResult {
  configFile: string
  caCert: string
  caKey: string
  cert: string
  key: string
  names: string[]
  caReused: boolean
}

/** The names a device on this host or its LAN may dial: loopback, the host name, each interface's address. */
export function defaultServerNames (): string[] {
  const addresses = Object.values(networkInterfaces()).flat()
    .filter(a => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
    .map(a => a!.address)
  return ['localhost', hostname(), '127.0.0.1', '::1', ...addresses]
}

export async function initSite (o: InitOptions): Promise<InitResult> {
  const dataDir = resolve(o.dataDir)
  const tlsDir = join(dataDir, 'tls')
  const r = {
    configFile: o.configFile === '' ? join(dataDir, 'gateway.json') : resolve(o.configFile),
    caCert: join(tlsDir, 'ca.pem'),
    caKey: join(tlsDir, 'ca.key'),
    cert: join(tlsDir, 'gateway.pem'),
    key: join(tlsDir, 'gateway.key')
  }
  for (const file of [r.configFile, r.cert, r.key]) {
    if (existsSync(file)) throw new Error(`${file} already exists: --init writes new files only (move it away to make a new one)`)
  }
  if (existsSync(r.caCert) !== existsSync(r.caKey)) throw new Error(`${existsSync(r.caCert) ? r.caKey : r.caCert} is missing: the CA needs both ca.pem and ca.key`)
  for (const h of o.hosts) {
    if (isIP(h) === 0 && !/^(?=.{1,253}$)[A-Za-z0-9*]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(h)) {
      throw new Error(`--host: '${h}' is neither a host name nor an IP address`)
    }
  }
  const names = [...new Set([...o.hosts, ...defaultServerNames()])]
  // Loaded here only: the gateway's own start never needs the certificate library.
  const { issueServerCertificate, makeSiteCa } = await import('../broker/site-certificates.js')
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 })
  const caReused = existsSync(r.caCert)
  const ca = caReused
    ? { cert: readFileSync(r.caCert, 'utf8'), key: readFileSync(r.caKey, 'utf8') }
    : await makeSiteCa(`punchline site CA (${hostname()})`, o.now)
  const server = await issueServerCertificate(ca, names, o.now)
  if (!caReused) {
    write(r.caKey, ca.key, 0o600)
    write(r.caCert, ca.cert, 0o644)
  }
  write(r.key, server.key, 0o600)
  write(r.cert, server.cert, 0o644)
  const tlsPort = defaultConfig().mqtt.tls.port
  write(r.configFile, JSON.stringify({ dataDir, mqtt: { plain: false, tls: { port: tlsPort, cert: r.cert, key: r.key } } }, null, 2) + '\n', 0o600)
  return { ...r, names, caReused }
}

function write (file: string, text: string, mode: number): void {
  // 'wx': never over a file that appeared since the check above.
  writeFileSync(file, text, { mode, flag: 'wx' })
}

export function describeInit (r: InitResult): string[] {
  const port = defaultConfig().mqtt.tls.port
  return [
    `punchline: wrote ${r.caReused ? 'a server certificate (from the existing site CA)' : 'a site CA, a server certificate'} and a TLS-only config (mqtt.plain false)`,
    `  config          ${r.configFile}`,
    `                  start with: punchline gateway --config ${r.configFile}`,
    `  devices trust   ${r.caCert}`,
    `                  copy it to each device: "broker": { "url": "mqtts://<one of the names below>:${port}", "ca": "ca.pem" }`,
    `  CA key          ${r.caKey} (0600; it only signs new server certificates: keep a copy offline)`,
    `  server          ${r.cert}, ${r.key} (0600)`,
    `  names           ${r.names.join(', ')}`,
    '  devices still on plain MQTT cannot connect until they have the CA: set mqtt.plain true while they move'
  ]
}
