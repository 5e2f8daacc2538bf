/**
 * The console's calls to /api/v1: on the operator's session cookie (the browser sends it; script never sees
 * it), with the session's CSRF token on every change. A refusal becomes an ApiFailure carrying the API's own
 * text, which names the field and the rule, so the page can show it as it is.
 */

export class ApiFailure extends Error {
  readonly status: number
  readonly code: string
  readonly field?: string
  readonly rule?: string

  constructor (status: number, body: { error?: string, message?: string, field?: string, rule?: string }) {
    super(body.message ?? `HTTP ${status}`)
    this.status = status
    this.code = body.error ?? 'http_' + String(status)
    this.field = body.field
    this.rule = body.rule
  }
}

let csrfToken = ''
let onSessionLost: () => void = () => {}

export function useCsrfToken (token: string): void {
  csrfToken = token
}

/** Called when the API answers 401: the session expired or was ended elsewhere. */
export function whenSessionLost (f: () => void): void {
  onSessionLost = f
}

const SAFE = new Set(['GET', 'HEAD'])

export async function api<T> (method: string, path: string, body?: unknown): Promise<T> {
  return await send<T>(method, path, body === undefined ? undefined : { type: 'application/json', data: JSON.stringify(body) })
}

/** A file as the request's body, with its own type (an evidence photo or scan). */
export async function upload<T> (method: string, path: string, file: Blob): Promise<T> {
  return await send<T>(method, path, { type: file.type, data: file })
}

async function send<T> (method: string, path: string, body?: { type: string, data: BodyInit }): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (!SAFE.has(method) && csrfToken !== '') headers['X-CSRF-Token'] = csrfToken
  if (body !== undefined) headers['Content-Type'] = body.type
  let res: Response
  try {
    res = await fetch('/api/v1' + path, { method, headers, credentials: 'same-origin', body: body?.data })
  } catch (err) {
    throw new ApiFailure(0, { error: 'network', message: `the gateway did not answer (${(err as Error).message})` })
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let parsed: unknown
  try { parsed = text === '' ? undefined : JSON.parse(text) } catch { parsed = { message: text.slice(0, 200) } }
  if (!res.ok) {
    const failure = new ApiFailure(res.status, (parsed ?? {}) as ConstructorParameters<typeof ApiFailure>[1])
    // A login refused is the login form's business; any other 401 means the session is gone.
    if (res.status === 401 && path !== '/session') onSessionLost()
    throw failure
  }
  return parsed as T
}

/** A query string from the fields that are set. */
export function query (params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? '' : '?' + s
}
