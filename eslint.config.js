// neostandard: the `standard` style (as aedes and MQTT.js use) for ESLint's flat config, with TypeScript.
import neostandard from 'neostandard'

// Which top-level folder may import which: docs/ARCHITECTURE.md, "Folders".
const FOLDERS = ['bin', 'shared', 'device', 'gateway', 'sim', 'fakes', 'bench', 'faults', 'test', 'scripts', 'types']
const MAY_IMPORT = {
  shared: [],
  device: ['shared'],
  gateway: ['shared'],
  sim: ['shared', 'device', 'gateway', 'fakes'],
  fakes: ['shared', 'device'],
  bench: ['shared', 'device', 'gateway', 'sim', 'fakes'],
  faults: ['shared', 'device', 'gateway', 'sim', 'fakes'],
  scripts: ['shared', 'device', 'gateway', 'sim'],
  // bin/ should reach only each part's cli/; a folder rule can say no finer than the folders.
  bin: ['shared', 'device', 'gateway', 'sim', 'fakes'],
  types: []
}

// Every import of ours is relative, and no subfolder shares a name with a top-level folder, so
// "../gateway/" from anywhere below device/ can only mean the top-level gateway/.
function layerRules (folder) {
  const forbidden = FOLDERS.filter(other => other !== folder && !MAY_IMPORT[folder].includes(other))
  const message = `${folder}/ may import only ${MAY_IMPORT[folder].map(f => f + '/').join(', ') || 'nothing of ours'} (docs/ARCHITECTURE.md, "Folders")`
  return {
    files: [`${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: forbidden.map(other => ({ regex: `^(\\.\\./)+${other}/`, message }))
      }],
      // no-restricted-imports does not look at import(); esquery's regex cannot hold a "/", hence \x2F.
      'no-restricted-syntax': ['error', ...forbidden.map(other => ({
        selector: `ImportExpression[source.value=/^(\\.\\.\\x2F)+${other}\\x2F/]`,
        message
      }))]
    }
  }
}

export default [
  ...neostandard({
    ts: true,
    noJsx: true,
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
  ...Object.keys(MAY_IMPORT).map(layerRules)
]
