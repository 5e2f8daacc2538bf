/**
 * The operator changes their own password (POST /api/v1/session/password): the first one was printed by
 * `punchline operators add` or shown to an admin, so it should not stay. Their other sessions end.
 */
import { useState } from 'preact/hooks'
import { api } from '../api/client.js'
import { Failure } from '../ui/failure.js'
import { useAction } from '../ui/use-load.js'

/** The API's own minimum (gateway/http/v1/session-routes.ts); shown so the rule is known before sending. */
const MIN_LENGTH = 12

export function PasswordPage ({ forced, onChanged }: { forced: boolean, onChanged?: () => void }) {
  const [current, setCurrent] = useState('')
  const [password, setPassword] = useState('')
  const [again, setAgain] = useState('')
  const [done, setDone] = useState(false)
  const action = useAction()
  const mismatch = again !== '' && again !== password
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    if (mismatch) return
    if (await action.run(async () => await api('POST', '/session/password', { current, password }))) {
      setDone(true)
      setCurrent(''); setPassword(''); setAgain('')
      onChanged?.()
    }
  }
  return (
    <section class={forced ? 'login' : ''}>
      <h1>Change your password</h1>
      {forced && <p>Your first password must be changed before you go on.</p>}
      <form onSubmit={e => { void submit(e) }}>
        <label>Current password <input type='password' autocomplete='current-password' required value={current} onInput={e => setCurrent(e.currentTarget.value)} /></label>
        <label>New password <input type='password' autocomplete='new-password' required aria-describedby='password-rule' value={password} onInput={e => setPassword(e.currentTarget.value)} /></label>
        <small id='password-rule'>At least {MIN_LENGTH} characters.</small>
        <label>New password again <input type='password' autocomplete='new-password' required value={again} onInput={e => setAgain(e.currentTarget.value)} /></label>
        {mismatch && <p class='failure' role='alert'>The two new passwords differ.</p>}
        <button type='submit' disabled={action.busy || mismatch}>Change password</button>
        <Failure error={action.error} />
        {done && <p class='done' role='status'>Password changed; your other sessions have ended.</p>}
      </form>
    </section>
  )
}
