// neostandard: the `standard` style (as aedes and MQTT.js use) for ESLint's flat config, with TypeScript.
import neostandard from 'neostandard'
import globals from 'globals'

// Which top-level folder may import which: docs/ARCHITECTURE.md, "Folders".
const FOLDERS = ['bin', 'shared', 'device', 'gateway', 'sim', 'fakes', 'console', 'bench', 'faults', 'test', 'scripts', 'types']
const MAY_IMPORT = {
  shared: [],
  device: ['shared'],
  gateway: ['shared'],
  sim: ['shared', 'device', 'gateway', 'fakes'],
  fakes: ['shared', 'device'],
  // The browser app: its own build, talking to the gateway over /api/v1 only. Types from shared/ are
  // allowed (consoleRules below), nothing that would bundle server code into the page.
  console: [],
  bench: ['shared', 'device', 'gateway', 'sim', 'fakes'],
  faults: ['shared', 'device', 'gateway', 'sim', 'fakes'],
  scripts: ['shared', 'device', 'gateway', 'sim', 'fakes', 'faults'],
  // bin/ should reach only each part's cli/; a folder rule can say no finer than the folders.
  bin: ['shared', 'device', 'gateway', 'sim', 'fakes'],
  types: []
}

// Inside sim/ the folders are layers (docs/ARCHITECTURE.md, "Folders"): each may import only the ones
// named here, and none imports the entry files at sim/'s top (cli.ts, demo.ts, quick-scenario.ts...).
const SIM_LAYERS = {
  scenario: [],
  workload: ['scenario'],
  fleet: [],
  report: [],
  engine: ['scenario', 'workload', 'fleet', 'report'],
  'hardware-mode': ['scenario', 'workload']
}

// Every import of ours is relative, and no subfolder shares a name with a top-level folder, so
// "../gateway/" from anywhere below device/ can only mean the top-level gateway/.
function folderBans (folder) {
  const forbidden = FOLDERS.filter(other => other !== folder && !MAY_IMPORT[folder].includes(other))
  const message = `${folder}/ may import only ${MAY_IMPORT[folder].map(f => f + '/').join(', ') || 'nothing of ours'} (docs/ARCHITECTURE.md, "Folders")`
  return forbidden.map(other => ({ regex: `^(\\.\\./)+${other}/`, message }))
}

// A sim/ layer's files sit one level down, so a sibling layer is "../name/" and an entry file "../name.js".
function simLayerBans (layer) {
  const allowed = SIM_LAYERS[layer].map(f => 'sim/' + f + '/').join(', ')
  const message = `sim/${layer}/ may import ${allowed === '' ? 'no other sim/ folder' : 'only ' + allowed} and no file at sim/'s top (docs/ARCHITECTURE.md, "Folders")`
  const siblings = Object.keys(SIM_LAYERS).filter(other => other !== layer && !SIM_LAYERS[layer].includes(other))
  return [
    ...siblings.map(other => ({ regex: `^\\.\\./${other}/`, message })),
    { regex: '^\\.\\./[^/]+\\.js$', message }
  ]
}

function bansRule (files, bans) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: bans }],
      // no-restricted-imports does not look at import(); esquery's regex cannot hold a "/", hence \x2F.
      'no-restricted-syntax': ['error', ...bans.map(({ regex, message }) => ({
        selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\x2F')}/]`,
        message
      }))]
    }
  }
}

function layerRules (folder) {
  return bansRule([`${folder}/**/*.ts`, `${folder}/**/*.tsx`], folderBans(folder))
}

// console/ may take type-only imports from shared/ (a type is erased, nothing of the server reaches the
// bundle); @typescript-eslint's form of the rule tells `import type` apart.
function consoleRules () {
  const message = 'console/ may import only types from shared/ (import type), nothing else of ours (docs/ARCHITECTURE.md, "Folders")'
  const bans = FOLDERS.filter(f => f !== 'console').map(other => ({ regex: `^(\\.\\./)+${other}/`, message, allowTypeImports: other === 'shared' }))
  return {
    files: ['console/**/*.ts', 'console/**/*.tsx'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: bans }]
    }
  }
}

// Later configs replace a rule for the files they match, so a layer's rule repeats sim/'s own bans.
function simLayerRules (layer) {
  return bansRule([`sim/${layer}/**/*.ts`], [...folderBans('sim'), ...simLayerBans(layer)])
}

// PostgreSQL stays off the single box's path (docs/DESIGN-NOTES.md, "Cluster mode: the shared store"): no gateway/
// file outside gateway/cluster/postgres/ imports the client or that folder statically, so `npm start` never loads
// them. A dynamic import() when cluster mode starts is how they get in, and stays allowed.
const SINGLE_BOX_BANS = [
  { regex: '^pg(/|$)', message: 'only gateway/cluster/postgres/ imports pg: the single-box gateway must not load it (import() it in cluster mode)' },
  { regex: '^(\\.\\.?/)+(cluster/)?postgres/', message: 'gateway/cluster/postgres/ is loaded only in cluster mode, by import() (docs/DESIGN-NOTES.md, "Cluster mode: the shared store")' },
  { regex: '^(\\.\\.?/)+cluster/node/', message: 'gateway/cluster/node/ is loaded only by `punchline gateway --cluster`, by import() (docs/DESIGN-NOTES.md, "Cluster nodes")' }
]
function singleBoxRules () {
  const folder = bansRule(['gateway/**/*.ts'], folderBans('gateway'))
  return {
    ...folder,
    ignores: ['gateway/cluster/postgres/**'],
    rules: { ...folder.rules, 'no-restricted-imports': ['error', { patterns: [...folderBans('gateway'), ...SINGLE_BOX_BANS] }] }
  }
}

export default [
  ...neostandard({
    ts: true,
    // JSX rules apply to .tsx files only: the console's (console/).
    ignores: ['dist/**', 'coverage/**', '.tap/**', '.scratch/**', 'data/**']
  }),
  {
    rules: {
      // `void promise` marks a promise deliberately left running that handles its own failure; only that use is allowed.
      'no-void': ['error', { allowAsStatement: true }],
      // Loops that await see variables written by other callbacks meanwhile (a stop flag, an ack count); the rule cannot.
      'no-unmodified-loop-condition': 'off',
      // The codecs and the report match control characters on purpose, to reject or escape them.
      'no-control-regex': 'off',
      // A `let` that a callback (a teardown, a broker hook) reads before its one assignment cannot be a const.
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }]
    }
  },
  ...Object.keys(MAY_IMPORT).map(layerRules),
  ...Object.keys(SIM_LAYERS).map(simLayerRules),
  singleBoxRules(),
  consoleRules()
]
