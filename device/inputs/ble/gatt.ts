/**
 * The GATT layout a punchline watch or badge exposes (docs/PROTOCOL.md, "BLE GATT layout"). UUIDs are
 * 128-bit, from one fixed random base (dfc4xxxx-cd10-4f6b-9588-55bd799ae319), written in lower case
 * because BlueZ reports them that way and node-ble looks services and characteristics up by exact string.
 */
const uuid = (short: string): string => `dfc4${short}-cd10-4f6b-9588-55bd799ae319`

export const PUNCH_SERVICE_UUID = uuid('0001')
/** notify: punch frames, fragmented to the ATT MTU */
export const PUNCH_CHARACTERISTIC_UUID = uuid('0002')
/** write (with response): ack frames */
export const ACK_CHARACTERISTIC_UUID = uuid('0003')

/** the ATT default MTU; every peer supports it, so a fragment never needs more than MTU - 3 bytes */
export const ATT_DEFAULT_MTU = 23

/** A BLE address as BlueZ writes it, "AA:BB:CC:DD:EE:FF" (upper case hex). */
export const ADDRESS_PATTERN = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/
