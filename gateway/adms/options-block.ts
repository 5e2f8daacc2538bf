/**
 * The answer to a terminal's handshake (`GET /iclock/cdata?SN=…&options=all`): a plain-text block of
 * `Key=Value` lines that sets how the terminal pushes (docs/ADMS.md, "The handshake").
 *
 * - `ATTLOGStamp` is where the terminal resumes its attendance upload: the stamp it last reported in an
 *   upload the gateway stored, or 0 (everything it holds) for a terminal never heard from or after a
 *   restore. Resends are harmless (each line has a stable identity); a stamp ahead of what is stored is
 *   not, so the gateway never sends the "only new" marks some servers use.
 * - The other tables are not taken (their stamps far ahead, `TransFlag` naming attendance only): the
 *   gateway's job is punches, and photos and user records would cost the terminal's uplink for nothing.
 * - `Realtime=1`: each punch is pushed as it happens, so an online punch reaches the upstream in seconds.
 * - No `TimeZone`: firmware reads it in hours, minutes or ±HH:MM; the clock is set by command instead, in
 *   the registered zone's wall time.
 */
export interface OptionsBlock {
  sn: string
  attlogStamp: number
  /** seconds between heartbeats (and command polls) */
  delaySeconds: number
  /** seconds a terminal waits after a failed exchange */
  errorDelaySeconds: number
}

/** The stamps of tables the gateway does not take: far beyond any the terminal holds. */
const NOT_TAKEN = 9_999_999_999

export function renderOptionsBlock (o: OptionsBlock): string {
  return [
    `GET OPTION FROM: ${o.sn}`,
    `ATTLOGStamp=${o.attlogStamp}`,
    `OPERLOGStamp=${NOT_TAKEN}`,
    `ATTPHOTOStamp=${NOT_TAKEN}`,
    `ErrorDelay=${o.errorDelaySeconds}`,
    `Delay=${o.delaySeconds}`,
    'TransTimes=00:00;12:00',
    'TransInterval=1',
    'TransFlag=1000000000',
    'Realtime=1',
    'Encrypt=0',
    'ServerVer=2.4.1'
  ].join('\r\n') + '\r\n'
}
