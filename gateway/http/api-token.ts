/**
 * Where the HTTP API's bearer token comes from: the config (`http.token`) or the environment
 * (PUNCHLINE_API_TOKEN) when the operator gives one, else a file in the data dir that the first start
 * writes, readable by the gateway's user only. A fresh install is locked without a setup step, and the
 * operator finds the token next to the database it guards.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkApiToken } from '../config.js'

export const API_TOKEN_FILE = 'api-token'

/** 32 random bytes: out of reach of guessing, and base64url survives shells and headers. */
const GENERATED_TOKEN_BYTES = 32

export interface ApiToken {
  token: string
  /** the file it was read from or written to; absent when the config or the environment gave it */
  file?: string
  generated: boolean
}

export function apiTokenFile (dataDir: string): string {
  return join(dataDir, API_TOKEN_FILE)
}

export function resolveApiToken (configured: string, dataDir: string): ApiToken {
  if (configured !== '') return { token: configured, generated: false }
  const file = apiTokenFile(dataDir)
  const existing = readTokenFile(file)
  if (existing !== undefined) return { token: existing, file, generated: false }
  mkdirSync(dataDir, { recursive: true })
  const token = randomBytes(GENERATED_TOKEN_BYTES).toString('base64url')
  try {
    // 'wx': a second process racing this one keeps the first file, and both then read the same token.
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`http.token: cannot write ${file}: ${(err as Error).message}`)
    return { token: readTokenFile(file) ?? token, file, generated: false }
  }
  return { token, file, generated: true }
}

/**
 * The token a client on this machine sends, found as the gateway finds it (the environment, else the
 * data dir's file) for tools run beside it: the simulator's bench, the tests. A token set only in a config
 * file is not seen here.
 */
export function localApiToken (dataDir: string, env: NodeJS.ProcessEnv): string {
  const given = env.PUNCHLINE_API_TOKEN
  if (given !== undefined && given !== '') return given
  const file = apiTokenFile(dataDir)
  const token = readTokenFile(file)
  if (token === undefined) throw new Error(`no HTTP API token in ${file}: has the gateway started on this data dir?`)
  return token
}

function readTokenFile (file: string): string | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`http.token: cannot read ${file}: ${(err as Error).message}`)
  }
  return checkApiToken(text.trim(), `http.token: ${file}`)
}
