/** Log in with an operator's name and password (POST /api/v1/session sets the session cookie). */
import { useState } from 'preact/hooks'
import { api } from '../api/client.js'
import type { Who } from '../api/shapes.js'
import { Failure } from '../ui/failure.js'
import { useAction } from '../ui/use-load.js'

export function LoginPage ({ onLogin }: { onLogin: (who: Who) => void }) {
  const [name, setName] = useState('')
  const [password, setPassword] = useState('')
  const action = useAction()
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    let who: Who | undefined
    const ok = await action.run(async () => { who = await api<Who>('POST', '/session', { name, password }) })
    if (ok && who !== undefined) onLogin(who)
  }
  return (
    <main class='login'>
      <h1>punchline</h1>
      <form onSubmit={e => { void submit(e) }}>
        <label>Name <input name='name' autocomplete='username' required value={name} onInput={e => setName(e.currentTarget.value)} /></label>
        <label>Password <input name='password' type='password' autocomplete='current-password' required value={password} onInput={e => setPassword(e.currentTarget.value)} /></label>
        <button type='submit' disabled={action.busy}>Log in</button>
        <Failure error={action.error} />
      </form>
      <p class='hint'>The first admin is made on the gateway: <code>punchline operators add NAME --role admin</code> prints the first password.</p>
    </main>
  )
}
