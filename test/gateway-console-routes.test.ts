/**
 * The console's files as the gateway serves them (gateway/http/console-routes.ts), on Fastify in this
 * process over a folder laid out like dist/console/: the page and its hashed assets with their headers,
 * nothing outside the build (a dotfile, a path climbing out), and a clear answer when nothing is built.
 */
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import { CONSOLE_CSP, registerConsoleRoutes } from '../gateway/http/console-routes.js'

function built (dir: string): string {
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="assets/main-ABC123.js"></script>')
  writeFileSync(join(dir, 'assets', 'main-ABC123.js'), 'console.log("console")')
  writeFileSync(join(dir, '.env'), 'SECRET=1')
  writeFileSync(join(dir, '..', 'outside.txt'), 'not the console')
  return dir
}

t.test('the page revalidates, hashed assets are kept, both under a strict policy; nothing else is served', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  await registerConsoleRoutes(app, built(join(t.testdir(), '')) + '/')
  await app.ready()

  const page = await app.inject('/')
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.headers['cache-control'], 'no-cache', 'revalidated at each load: a new build shows at the next')
  t.equal(page.headers['content-security-policy'], CONSOLE_CSP)
  t.match(CONSOLE_CSP, /^default-src 'self'; script-src 'self'; style-src 'self';/, 'nothing from elsewhere, no inline script or style')
  t.match(CONSOLE_CSP, /frame-ancestors 'none'/, 'not framed')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.equal((await app.inject('/index.html')).statusCode, 200)

  const asset = await app.inject('/assets/main-ABC123.js')
  t.equal(asset.statusCode, 200)
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable', 'its name changes with its content')
  t.equal(asset.headers['content-security-policy'], CONSOLE_CSP)
  t.ok(asset.headers.etag, 'an ETag for revalidation')

  t.equal((await app.inject('/assets/main-OTHER.js')).statusCode, 404, 'a file the build did not write')
  t.equal((await app.inject('/.env')).statusCode, 404, 'no dotfile')
  t.equal((await app.inject('/../outside.txt')).statusCode, 404, 'nothing outside the folder')
  t.equal((await app.inject('/assets/..%2f..%2foutside.txt')).statusCode, 404, 'not by an encoded climb either')
})

t.test('a gateway whose console is not built says so at / instead of failing to start', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  await registerConsoleRoutes(app, undefined)
  await app.ready()
  const res = await app.inject('/')
  t.equal(res.statusCode, 503)
  t.equal(res.body, 'the web console is not built: run npm run build\n')
  t.equal(res.headers['cache-control'], 'no-store')
})
