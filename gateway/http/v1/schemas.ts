/** JSON Schemas shared by the /api/v1 routes: they validate requests and describe replies in the OpenAPI document. */
import { OPERATOR_NAME_PATTERN, ROLES } from '../../store/operator-store.js'

export const NAME = { type: 'string', pattern: OPERATOR_NAME_PATTERN, description: 'letters, digits and . _ @ -, at most 64' } as const
export const ROLE = { type: 'string', enum: ROLES } as const
export const TIME = { type: 'integer', description: 'milliseconds since the Unix epoch' } as const
/** Its shape only; whether the runtime knows the zone is checked by the route (time-zone.ts). */
export const TIME_ZONE = { type: 'string', pattern: '^[A-Za-z0-9_+/-]{1,64}$', description: "an IANA time zone ('Europe/Berlin', 'UTC')" } as const

export const ERROR = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    field: { type: 'string', description: 'the request field refused, as body.name or querystring.limit' },
    rule: { type: 'string', description: 'the JSON Schema keyword the field broke' }
  }
} as const

/** The refusals every guarded route can give. */
export const REFUSALS = {
  400: { description: 'the request breaks its schema', ...ERROR },
  401: { description: 'no credentials, or ones that name nobody', ...ERROR },
  403: { description: 'the role may not do this, or a session change came without its CSRF token', ...ERROR }
} as const

export const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }]
