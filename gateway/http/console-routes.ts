/**
 * The web console's files (built from console/ into dist/console/ by `npm run build`), served at `/`
 * without a login: they hold no data, and every call they make goes to /api/v1, which asks for one.
 * Strict headers on each: a Content-Security-Policy that lets the page load and talk to nothing but this
 * gateway (a site LAN has no internet, and nothing injected runs), hashed assets cached for good, the page
 * itself revalidated on every load so a new build is picked up (docs/OPERATIONS.md, "Web console").
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import fastifyStatic from '@fastify/static'

/**
 * 'self' only. Styles too: the console sets styles through the DOM (CSSOM), which a policy without
 * 'unsafe-inline' allows, and ships no inline `<style>` or `style=` markup.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')

/** Assets are named by their content's hash (scripts/build-console.ts): a name never changes content. */
const ASSET_CACHE = 'public, max-age=31536000, immutable'
const PAGE_CACHE = 'no-cache'

/**
 * dist/console/ beside the compiled gateway (dist/gateway/http/), or, for a gateway run from its sources,
 * the build's output in dist/. A folder counts once the build has written its assets.
 */
export function consoleDir (): string | undefined {
  for (const rel of ['../../console/', '../../dist/console/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(dir + 'assets') && existsSync(dir + 'index.html')) return dir
  }
  return undefined
}

function guard (reply: FastifyReply, cache: string): void {
  reply.header('Content-Security-Policy', CONSOLE_CSP)
  reply.header('X-Content-Type-Options', 'nosniff')
  reply.header('Referrer-Policy', 'no-referrer')
  reply.header('X-Frame-Options', 'DENY')
  reply.header('Cache-Control', cache)
}

/** `dir`: the built console (consoleDir()), undefined when it is not built. */
export async function registerConsoleRoutes (app: FastifyInstance, dir: string | undefined): Promise<void> {
  if (dir === undefined) {
    app.get('/', { schema: { hide: true }, exposeHeadRoute: false }, async (_req, reply) => {
      guard(reply, 'no-store')
      return await reply.code(503).type('text/plain').send('the web console is not built: run npm run build\n')
    })
    return
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // Routes for the built files only, made at start: a path that is no file of the build (an /api one
    // above all) never reaches this plugin.
    wildcard: false,
    index: ['index.html'],
    dotfiles: 'ignore',
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders: (reply: FastifyReply, path: string) => guard(reply, path.endsWith('.html') ? PAGE_CACHE : ASSET_CACHE)
  })
}
