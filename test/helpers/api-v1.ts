/**
 * A client of a real gateway's /api/v1 for tests: operators made with the real CLI, logins with a cookie
 * jar of one cookie, and requests as a session (with or without its CSRF token) or with a bearer token.
 */
import { cliAsync, type GatewayProcess } from './gateway-process.js'

export type Role = 'admin' | 'hr' | 'viewer'

export interface Login {
  cookie: string
  csrf: string
  setCookie: string
}

/**
 * `punchline operators add NAME --role ROLE` on the gateway's data dir; returns the first password. The CLI
 * runs without blocking this process: a blocked event loop kept fetch's idle keep-alive socket past the
 * gateway's keep-alive timeout (Node's 5 s, under load), and the next request went out on a socket the
 * gateway had closed ("other side closed").
 */
export async function addOperator (dataDir: string, name: string, role: Role): Promise<string> {
  const r = await cliAsync(['operators', 'add', name, '--role', role, '--data', dataDir, '--json'])
  if (r.status !== 0) throw new Error(`operators add ${name}: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { password: string }).password
}

/**
 * fetch, sent again once when the pooled keep-alive connection it went out on had been closed by the
 * gateway before the request reached it ("other side closed", nothing answered). The gateway closes idle
 * connections after Node's 5 s keep-alive; a test that blocks its own event loop longer (spawnSync of the
 * CLI on a loaded machine) keeps such a connection in its pool past that. Browsers send again in this case
 * too. Any answer, or any other error, is the test's.
 */
export async function apiFetch (url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch (err) {
    const cause = (err as { cause?: { code?: string, message?: string } }).cause
    if (cause?.code !== 'UND_ERR_SOCKET' || cause.message !== 'other side closed') throw err
    return await fetch(url, init)
  }
}

export async function postJson (gw: Pick<GatewayProcess, 'httpUrl'>, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return await apiFetch(gw.httpUrl + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

export async function login (gw: Pick<GatewayProcess, 'httpUrl'>, name: string, password: string): Promise<Login> {
  const res = await postJson(gw, '/api/v1/session', { name, password })
  if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${await res.text()}`)
  const setCookie = res.headers.get('set-cookie') ?? ''
  const body = await res.json() as { csrfToken: string }
  return { cookie: setCookie.split(';')[0], csrf: body.csrfToken, setCookie }
}

/** A request on a session; `csrf: false` leaves the CSRF header out. */
export async function asSession (gw: Pick<GatewayProcess, 'httpUrl'>, s: Login, method: string, path: string, body?: unknown, csrf = true): Promise<Response> {
  const headers: Record<string, string> = { Cookie: s.cookie }
  if (csrf) headers['X-CSRF-Token'] = s.csrf
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  return await apiFetch(gw.httpUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
}

export async function asBearer (gw: Pick<GatewayProcess, 'httpUrl'>, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  return await apiFetch(gw.httpUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
}

export async function refusedCount (gw: Pick<GatewayProcess, 'httpUrl'>, reason: string): Promise<number> {
  const text = await (await fetch(gw.httpUrl + '/metrics')).text()
  const m = new RegExp(`punchline_http_requests_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(text)
  return m === null ? 0 : Number(m[1])
}
