/**
 * A make-up's evidence file (hr, admin): PUT /api/v1/makeups/:id/attachment with the file as the body
 * (a photo or a scanned note: PNG, JPEG or PDF, at most MAKEUP_ATTACHMENT_MAX_BYTES), kept in SQLite with
 * the request; GET serves it back as a download. Registered in a scope of its own, so the binary body
 * parser and the larger body limit apply to this route alone.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { MakeupStore } from '../../store/makeup-store.js'
import { sendJson, type ApiError } from '../errors.js'
import type { HttpRefusal } from '../refusal.js'
import { ERROR, REFUSALS, SECURITY } from './schemas.js'
import { MAKEUP } from './makeup-routes.js'

/** A phone photo or a one-page scan, compressed; the database holds one per request at most. */
export const MAKEUP_ATTACHMENT_MAX_BYTES = 1024 * 1024

/** The types taken, with the bytes each must start with: a file must be what it says it is. */
const SIGNATURES: Record<string, { magic: Buffer, ext: string }> = {
  'image/png': { magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ext: 'png' },
  'image/jpeg': { magic: Buffer.from([0xff, 0xd8, 0xff]), ext: 'jpg' },
  'application/pdf': { magic: Buffer.from('%PDF-'), ext: 'pdf' }
}
export const ATTACHMENT_TYPES = Object.keys(SIGNATURES)

const BY_ID = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const

export interface AttachmentParts {
  store: MakeupStore
  now: () => number
  refused: (reason: HttpRefusal) => void
}

export async function registerMakeupAttachmentRoutes (app: FastifyInstance, parts: AttachmentParts): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(ATTACHMENT_TYPES, { parseAs: 'buffer', bodyLimit: MAKEUP_ATTACHMENT_MAX_BYTES }, (_req, body, done) => { done(null, body) })
    const notFound = async (reply: FastifyReply, id: number): Promise<FastifyReply> => await sendJson(reply, 404, { error: 'not_found', message: `no make-up ${id}` })

    scope.put('/api/v1/makeups/:id/attachment', {
      config: { roles: ['admin', 'hr'] },
      bodyLimit: MAKEUP_ATTACHMENT_MAX_BYTES,
      schema: {
        summary: `Add the evidence file of a pending make-up (${ATTACHMENT_TYPES.join(', ')}; at most ${MAKEUP_ATTACHMENT_MAX_BYTES} bytes), replacing any earlier one`,
        tags: ['make-ups'],
        security: SECURITY,
        params: BY_ID,
        consumes: ATTACHMENT_TYPES,
        response: {
          200: MAKEUP,
          ...REFUSALS,
          404: { description: 'no such request', ...ERROR },
          409: { description: 'decided already: its evidence is final', ...ERROR },
          413: { description: 'larger than the limit', ...ERROR },
          415: { description: 'not one of the types taken', ...ERROR }
        }
      }
    }, async (req, reply) => {
      const { id } = req.params as { id: number }
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
      const bytes = req.body as Buffer
      const signature = SIGNATURES[type]
      if (bytes.length === 0 || signature === undefined || !bytes.subarray(0, signature.magic.length).equals(signature.magic)) {
        parts.refused('invalid_request')
        return await sendJson(reply, 400, { error: 'bad_request', message: `body: is not a ${type} file (its first bytes say otherwise)`, field: 'body', rule: 'content' } satisfies ApiError)
      }
      const d = parts.store.attach(id, { type, bytes }, { name: req.caller!.name, now: parts.now() })
      if (d.ok) return await sendJson(reply, 200, d.makeup)
      if (d.why === 'decided') return await sendJson(reply, 409, { error: 'decided', message: `make-up ${id} is ${d.status} already; its evidence is final` })
      return await notFound(reply, id)
    })

    scope.get('/api/v1/makeups/:id/attachment', {
      config: { roles: ['admin', 'hr'] },
      schema: {
        summary: "A make-up's evidence file, as a download",
        tags: ['make-ups'],
        security: SECURITY,
        params: BY_ID,
        produces: ATTACHMENT_TYPES,
        response: { 200: { description: 'the file, with the type it was stored with' }, ...REFUSALS, 404: { description: 'no such request, or it has no file', ...ERROR } }
      }
    }, async (req, reply) => {
      const { id } = req.params as { id: number }
      const file = parts.store.attachment(id)
      if (file === undefined) return await notFound(reply, id)
      // Served as a download in a sandbox, never rendered as a page of the console's origin.
      return await reply.code(200)
        .header('Cache-Control', 'no-store')
        .header('X-Content-Type-Options', 'nosniff')
        .header('Content-Security-Policy', "default-src 'none'; sandbox")
        .header('Content-Disposition', `attachment; filename="makeup-${id}.${SIGNATURES[file.type]?.ext ?? 'bin'}"`)
        .type(file.type)
        .send(file.bytes)
    })
  })
}
