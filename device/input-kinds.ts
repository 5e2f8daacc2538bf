/** The kinds of reader a device config may name; each has its factory in device/inputs/. */
export const INPUT_KINDS = ['rdm6300', 'wiegand', 'r307', 'nmea', 'ble', 'keypad'] as const
export type InputKind = typeof INPUT_KINDS[number]
