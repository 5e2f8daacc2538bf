/**
 * Builds the web console (console/) into dist/console/: one bundle of script and one of style, named by
 * their content's hash so they can be cached for good, and an index.html naming them (never cached, so a
 * new build is picked up at the next load). Everything the console needs is in those files: a site LAN
 * has no internet, and the Content-Security-Policy allows nothing from elsewhere
 * (gateway/http/console-routes.ts). Run by `npm run build` (and so by `npm ci` through `prepare`).
 */
import { build } from 'esbuild'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = join(root, 'dist', 'console')
const assets = join(out, 'assets')

rmSync(out, { recursive: true, force: true })
mkdirSync(assets, { recursive: true })

const result = await build({
  entryPoints: [join(root, 'console', 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  // What the browsers a site still runs (two years back) all have.
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  tsconfig: join(root, 'console', 'tsconfig.json'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning'
})

const outputs = Object.keys(result.metafile.outputs).map(p => basename(p))
const script = outputs.find(f => /^main-[A-Z0-9]+\.js$/.test(f))
const style = outputs.find(f => /^main-[A-Z0-9]+\.css$/.test(f))
if (script === undefined || style === undefined) throw new Error(`console build: no main script or style among ${outputs.join(', ')}`)

const page = readFileSync(join(root, 'console', 'index.html'), 'utf8')
  .replace('%SCRIPT%', `assets/${script}`)
  .replace('%STYLE%', `assets/${style}`)
writeFileSync(join(out, 'index.html'), page)
console.log(`console built: dist/console/index.html, assets/${script}, assets/${style}`)
