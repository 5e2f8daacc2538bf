/**
 * An IANA time zone name, typed or picked from the browser's own list (a phone offers it as suggestions).
 * The gateway checks the name against its time zone database, so a name the browser lacks is still sent.
 * The page renders ZoneList once; each ZoneInput points at it.
 */
import { useMemo } from 'preact/hooks'

const LIST_ID = 'iana-zones'

function knownZones (): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] }
  return typeof intl.supportedValuesOf === 'function' ? intl.supportedValuesOf('timeZone') : []
}

export function ZoneList () {
  const zones = useMemo(knownZones, [])
  return <datalist id={LIST_ID}>{zones.map(z => <option key={z} value={z} />)}</datalist>
}

export function ZoneInput ({ value, onInput }: { value: string, onInput: (zone: string) => void }) {
  return (
    <label>Zone <small>(IANA, e.g. Asia/Ho_Chi_Minh)</small>
      <input name='zone' required list={LIST_ID} autocomplete='off' value={value} onInput={e => onInput(e.currentTarget.value)} />
    </label>
  )
}
