/**
 * Builds the inputs a device config lists. Each kind's own factory checks the rest of its settings.
 */
import type { Readable } from 'node:stream'
import type { Logger } from '../../shared/log.js'
import type { InputConfig } from '../config.js'
import type { Input } from './input.js'
import { KeypadInput } from './keypad.js'
import { createSerialInput, type SerialInputConfig } from './serial/index.js'
import { createBleInput } from './ble/index.js'

export interface InputDeps {
  log: Logger
  /** where a keypad input reads its lines (standard input for the CLI) */
  stdin: Readable
}

export function createInputs (configs: readonly InputConfig[], deps: InputDeps): Input[] {
  return configs.map((c) => {
    // Each input puts its own name on its log lines.
    const log = deps.log
    switch (c.kind) {
      case 'keypad': return new KeypadInput({ name: c.name, stream: deps.stdin, log })
      case 'ble': return createBleInput(c, { log })
      case 'rdm6300':
      case 'wiegand':
      case 'r307':
      case 'nmea':
        return createSerialInput(c as unknown as SerialInputConfig, { log })
      default: throw new Error(`inputs: unknown kind '${(c as InputConfig).kind}'`)
    }
  })
}
