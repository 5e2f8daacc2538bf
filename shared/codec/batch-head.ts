/**
 * The id and epoch of a punch batch too large to be parsed. Parsing a payload only to refuse it for its
 * size would cost every other device its turn on the event loop, yet a device with several batches in
 * flight needs the id echoed to know which one to split. The reference device writes them first
 * (`{"v":1,"id":…,"epoch":…,"punches":[…]}`), so they are read from the payload's first bytes, before
 * anything nested opens; anywhere else they are not echoed (docs/PROTOCOL.md, "Ack";
 * test/gateway-payload-size.test.ts).
 */
import { LIMITS, isEpoch } from '../punch.js'
import { deviceTextOf } from './check.js'
import { decodeUtf8 } from './device-text.js'

/** how much of an oversized payload is looked at */
export const BATCH_HEAD_BYTES = 512

const ID = /"id"\s*:\s*("(?:[^"\\]|\\.)*")/
const EPOCH = /"epoch"\s*:\s*"([^"]*)"/

export function readBatchHead (payload: Buffer): { id?: string, epoch?: string } {
  const text = decodeUtf8(payload.subarray(0, BATCH_HEAD_BYTES))
  const open = text.indexOf('{')
  if (open < 0 || text.slice(0, open).trim() !== '') return {}
  let end = text.length
  for (const nested of ['{', '[']) {
    const at = text.indexOf(nested, open + 1)
    if (at >= 0 && at < end) end = at
  }
  const top = text.slice(open + 1, end)
  const head: { id?: string, epoch?: string } = {}
  const id = ID.exec(top)?.[1]
  if (id !== undefined) {
    try {
      const value: unknown = JSON.parse(id)
      if (deviceTextOf(value, 1, LIMITS.maxBatchIdLength) === undefined) head.id = value as string
    } catch { /* not a JSON string: nothing to echo */ }
  }
  const epoch = EPOCH.exec(top)?.[1]
  if (isEpoch(epoch)) head.epoch = epoch
  return head
}
