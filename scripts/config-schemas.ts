/**
 * Writes the JSON Schemas of the files people write to docs/ from the code that checks them
 * (gateway/config-schema.ts, device/config-schema.ts, sim/scenario/schema.ts). Run with
 * `npm run docs:schemas`; test/config-schema.test.ts fails when the docs are out of date.
 */
import { writeFileSync } from 'node:fs'
import { gatewayConfigSchema } from '../gateway/config-schema.js'
import { deviceConfigSchema } from '../device/config-schema.js'
import { scenarioSchema } from '../sim/scenario/schema.js'

export const CONFIG_SCHEMA_FILES: Record<string, object> = {
  'docs/gateway-config.schema.json': gatewayConfigSchema,
  'docs/device-config.schema.json': deviceConfigSchema,
  'docs/scenario.schema.json': scenarioSchema
}

export function schemaText (schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n'
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  for (const [file, schema] of Object.entries(CONFIG_SCHEMA_FILES)) {
    writeFileSync(new URL(`../${file}`, import.meta.url), schemaText(schema))
    process.stdout.write(`${file} written\n`)
  }
}
