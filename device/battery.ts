/**
 * Battery level for the status message, where the host has one: Linux exposes it as
 * /sys/class/power_supply/<name>/capacity (percent). Terminals on mains have none, and say nothing.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export function readBattery (root = '/sys/class/power_supply'): number | undefined {
  let names: string[]
  try { names = readdirSync(root) } catch { return undefined }
  for (const name of names) {
    try {
      if (readFileSync(join(root, name, 'type'), 'utf8').trim() !== 'Battery') continue
      const percent = Number(readFileSync(join(root, name, 'capacity'), 'utf8').trim())
      if (Number.isFinite(percent) && percent >= 0 && percent <= 100) return percent / 100
    } catch {}
  }
  return undefined
}
