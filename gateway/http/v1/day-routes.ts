/**
 * GET /api/v1/people/{emp}/days (hr, admin): one person's days, first in and last out, for payroll and
 * for answering "was I here on Tuesday"; GET /api/v1/days/{date}: everyone's first in and last out on one
 * day. Days are calendar days in the zone `tz` names, else the gateway host's zone (time-zone.ts), the
 * same rule as the exports' local time.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { PersonPunches, type PersonPunch } from '../../store/person-punches.js'
import { DayPunches } from '../../store/day-punches.js'
import type { Db } from '../../store/db.js'
import type { SiteMap } from '../../rules/sites.js'
import { isCalendarDate, nextDate, startOfDay } from '../../time-zone.js'
import { sendJson, type ApiError } from '../errors.js'
import type { HttpRefusal } from '../refusal.js'
import { zoneOf } from './export-routes.js'
import { datesBetween, personDays } from './person-days.js'
import { ERROR, REFUSALS, SECURITY, TIME, TIME_ZONE } from './schemas.js'

/** Days one request may span: two months, a payroll period and some. */
export const DAY_VIEW_MAX_DAYS = 62
/** Punches one request may return; past it, a 422 asks for a shorter range. */
export const DAY_VIEW_MAX_PUNCHES = 10_000
/** Punches of everyone on one day that /api/v1/days/{date} reads at most. */
export const DAY_OVERVIEW_MAX_PUNCHES = 100_000

const DATE = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a calendar date, YYYY-MM-DD' } as const
const NULLABLE_TIME = { type: ['integer', 'null'], description: 'ms since the epoch; null when none' } as const

const DAY = {
  type: 'object',
  required: ['date', 'firstIn', 'lastOut', 'count', 'flags', 'punches'],
  properties: {
    date: DATE,
    firstIn: { ...NULLABLE_TIME, description: 'the first punch of kind in (ms since the epoch), null when none' },
    lastOut: { ...NULLABLE_TIME, description: 'the last punch of kind out, null when none' },
    count: { type: 'integer' },
    flags: { type: 'array', items: { type: 'string' } },
    punches: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: { id: { type: 'integer' }, device: { type: 'string' }, site: { type: 'string' }, ts: TIME, localTime: { type: 'string' }, kind: { type: 'string' }, flags: { type: 'array', items: { type: 'string' } }, delivered: { type: 'boolean' } }
      }
    }
  }
} as const

export interface DayRouteParts {
  db: Db
  sites: SiteMap
  refused: (reason: HttpRefusal) => void
}

const TOO_MANY = (limit: number, what: string): ApiError => ({ error: 'too_many_rows', message: `more than ${limit} punches ${what}` })

/** A person as the day views see them: the roster's employee, else the badge. */
const personOf = (p: PersonPunch): string => p.person ?? p.emp

function badRange (reply: FastifyReply, refused: DayRouteParts['refused'], field: string, rule: string, message: string): FastifyReply {
  refused('invalid_request')
  return sendJson(reply, 400, { error: 'bad_request', message: `${field}: ${message}`, field, rule } satisfies ApiError)
}

export function registerDayRoutes (app: FastifyInstance, parts: DayRouteParts): void {
  const people = new PersonPunches(parts.db)
  app.get('/api/v1/people/:emp/days', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: `One person's days from \`from\` to \`to\` (both included, at most ${DAY_VIEW_MAX_DAYS}): first in, last out, count, flags and the punches`,
      description: "`emp` is the roster's employee; a badge nobody maps is its own person. Days are in `tz`, else in the gateway host's zone.",
      tags: ['punches'],
      security: SECURITY,
      params: { type: 'object', required: ['emp'], properties: { emp: { type: 'string', minLength: 1, maxLength: 128 } } },
      querystring: {
        type: 'object',
        required: ['from', 'to'],
        additionalProperties: false,
        properties: { from: DATE, to: DATE, tz: TIME_ZONE }
      },
      response: {
        200: { type: 'object', required: ['emp', 'tz', 'days'], properties: { emp: { type: 'string' }, tz: { type: 'string' }, days: { type: 'array', items: DAY } } },
        ...REFUSALS,
        422: { description: `more than ${DAY_VIEW_MAX_PUNCHES} punches in the range`, ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { emp } = req.params as { emp: string }
    const { from, to, tz } = req.query as { from: string, to: string, tz?: string }
    for (const [field, date] of [['querystring.from', from], ['querystring.to', to]]) {
      if (!isCalendarDate(date)) return await badRange(reply, parts.refused, field, 'date', `${date} is not a calendar date`)
    }
    if (to < from) return await badRange(reply, parts.refused, 'querystring.to', 'notBeforeFrom', 'must not be before from')
    const dates = datesBetween(from, to)
    if (dates.length > DAY_VIEW_MAX_DAYS) return await badRange(reply, parts.refused, 'querystring.to', 'maxDays', `the range may span at most ${DAY_VIEW_MAX_DAYS} days`)
    const zone = zoneOf(tz, reply, parts.refused)
    if (zone === undefined) return await reply
    const punches = people.between(emp, startOfDay(from, zone), startOfDay(nextDate(to), zone), DAY_VIEW_MAX_PUNCHES + 1)
    if (punches.length > DAY_VIEW_MAX_PUNCHES) {
      parts.refused('too_many_rows')
      return await sendJson(reply, 422, TOO_MANY(DAY_VIEW_MAX_PUNCHES, 'in the range: ask for fewer days'))
    }
    return await sendJson(reply, 200, { emp, tz: zone, days: personDays(punches, dates, zone, d => parts.sites.of(d).site) })
  })

  const everyone = new DayPunches(parts.db)
  app.get('/api/v1/days/:date', {
    config: { roles: ['admin', 'hr'] },
    schema: {
      summary: "Everyone's first in, last out, count and flags on one day",
      description: "A person is the roster's employee, else the badge. The day is in `tz`, else in the gateway host's zone.",
      tags: ['punches'],
      security: SECURITY,
      params: { type: 'object', required: ['date'], properties: { date: DATE } },
      querystring: { type: 'object', additionalProperties: false, properties: { tz: TIME_ZONE } },
      response: {
        200: {
          type: 'object',
          required: ['date', 'tz', 'people'],
          properties: {
            date: DATE,
            tz: { type: 'string' },
            people: { type: 'array', items: { type: 'object', required: ['emp', 'firstIn', 'lastOut', 'count', 'flags'], properties: { emp: { type: 'string' }, firstIn: NULLABLE_TIME, lastOut: NULLABLE_TIME, count: { type: 'integer' }, flags: { type: 'array', items: { type: 'string' } } } } }
          }
        },
        ...REFUSALS,
        422: { description: `more than ${DAY_OVERVIEW_MAX_PUNCHES} punches on the day`, ...ERROR }
      }
    }
  }, async (req, reply) => {
    const { date } = req.params as { date: string }
    const { tz } = req.query as { tz?: string }
    if (!isCalendarDate(date)) return await badRange(reply, parts.refused, 'params.date', 'date', `${date} is not a calendar date`)
    const zone = zoneOf(tz, reply, parts.refused)
    if (zone === undefined) return await reply
    const punches = await everyone.between(startOfDay(date, zone), startOfDay(nextDate(date), zone), DAY_OVERVIEW_MAX_PUNCHES)
    if (punches === undefined) {
      parts.refused('too_many_rows')
      return await sendJson(reply, 422, TOO_MANY(DAY_OVERVIEW_MAX_PUNCHES, 'on the day'))
    }
    const byPerson = new Map<string, PersonPunch[]>()
    for (const p of punches) {
      const mine = byPerson.get(personOf(p))
      if (mine === undefined) byPerson.set(personOf(p), [p])
      else mine.push(p)
    }
    const people = [...byPerson.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([emp, mine]) => {
      const { firstIn, lastOut, count, flags } = personDays(mine, [date], zone, () => '')[0]
      return { emp, firstIn, lastOut, count, flags }
    })
    return await sendJson(reply, 200, { date, tz: zone, people })
  })
}
