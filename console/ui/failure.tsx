/** The API's refusal as it said it: its text names the field and the rule, which is what the operator must fix. */
import { ApiFailure } from '../api/client.js'

export function failureText (err: unknown): string {
  if (err instanceof ApiFailure) return err.message
  return err instanceof Error ? err.message : String(err)
}

export function Failure ({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null
  return <p class='failure' role='alert'>{failureText(error)}</p>
}
