/**
 * The filter of /api/v1/punches and of its exports (punches.csv, punches.xlsx): one schema, so a filter
 * that works on the list works on the export. A site must be one the config names (`sites.<id>`); which
 * sites exist is known only at start, so that rule is checked here rather than in the schema.
 */
import type { FastifyReply } from 'fastify'
import { FLAGS } from '../../../shared/flags.js'
import type { PunchFilter } from '../../store/punch-query.js'
import type { ApiError } from '../errors.js'
import { sendJson } from '../errors.js'
import type { HttpRefusal } from '../refusal.js'
import { TIME } from './schemas.js'

const TEXT = { type: 'string', minLength: 1, maxLength: 128 } as const

export const PUNCH_FILTER_PROPERTIES = {
  badge: { ...TEXT, description: 'the badge or PIN as read (emp)' },
  person: { ...TEXT, description: "the roster's employee" },
  device: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
  site: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: "a site of the gateway config's sites: its devices by id or prefix" },
  from: { ...TIME, description: 'punches at or after (ms since the epoch)' },
  to: { ...TIME, description: 'punches before (ms since the epoch)' },
  flag: { type: 'string', enum: FLAGS }
} as const

/** Refuses (400, counted) a site the config does not name; true when it did. */
export function refuseUnknownSite (filter: PunchFilter, sites: readonly string[], reply: FastifyReply, refused: (r: HttpRefusal) => void): boolean {
  if (filter.site === undefined || sites.includes(filter.site)) return false
  refused('invalid_request')
  const known = sites.length === 0 ? 'none is configured' : `configured: ${sites.join(', ')}`
  void sendJson(reply, 400, { error: 'bad_request', message: `querystring.site: must be a site of the gateway's config (${known})`, field: 'querystring.site', rule: 'enum' } satisfies ApiError)
  return true
}
