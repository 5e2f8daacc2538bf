/** The API's refusal as it said it: its text names the field and the rule, which is what the operator must fix. */
import { ApiFailure } from '../api/client.js'

/** `withRule`: name the rule too when the API's text does not (its own checks, `rule: zone`, say it only beside the text). */
export function failureText (err: unknown, withRule = false): string {
  if (err instanceof ApiFailure) {
    return withRule && err.rule !== undefined && !err.message.includes(`rule: ${err.rule}`) ? `${err.message} (rule: ${err.rule})` : err.message
  }
  return err instanceof Error ? err.message : String(err)
}

export function Failure ({ error, withRule = false }: { error: unknown, withRule?: boolean }) {
  if (error === undefined || error === null) return null
  return <p class='failure' role='alert'>{failureText(error, withRule)}</p>
}
