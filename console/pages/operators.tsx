/**
 * Operators and integrations' API tokens (admin): add one with a role (the first password or the token is
 * shown once), list, disable (an operator's sessions end with it).
 */
import { useState } from 'preact/hooks'
import { api } from '../api/client.js'
import type { ApiTokenRow, Operator, Role } from '../api/shapes.js'
import { Failure } from '../ui/failure.js'
import { dateTime } from '../ui/format.js'
import { useAction, useLoad } from '../ui/use-load.js'

const ROLES: readonly Role[] = ['viewer', 'hr', 'admin']

interface KindProps {
  /** the API path and the reply's list field */
  kind: 'operators' | 'tokens'
  noun: string
  secretField: 'password' | 'token'
  secretText: string
}

function CredentialList ({ kind, noun, secretField, secretText }: KindProps) {
  const list = useLoad(async () => (await api<Record<string, Array<Operator | ApiTokenRow>>>('GET', `/${kind}`))[kind])
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('hr')
  const [secret, setSecret] = useState<{ name: string, value: string } | undefined>(undefined)
  const action = useAction()
  const add = async (e: Event): Promise<void> => {
    e.preventDefault()
    let made: Record<string, string> = {}
    if (await action.run(async () => { made = await api<Record<string, string>>('POST', `/${kind}`, { name, role }) })) {
      setSecret({ name: made.name, value: made[secretField] })
      setName('')
      await list.reload()
    }
  }
  const disable = async (n: string): Promise<void> => {
    if (await action.run(async () => await api('POST', `/${kind}/${encodeURIComponent(n)}/disable`))) await list.reload()
  }
  return (
    <section aria-label={kind}>
      <form class='inline' onSubmit={e => { void add(e) }} aria-label={`add ${noun}`}>
        <label>Name <input name='name' required value={name} onInput={e => setName(e.currentTarget.value)} /></label>
        <label>Role
          <select name='role' value={role} onChange={e => setRole(e.currentTarget.value as Role)}>
            {ROLES.map(r => <option key={r} value={r}>{r}</option>)}
          </select>
        </label>
        <button type='submit' disabled={action.busy}>Add {noun}</button>
      </form>
      <Failure error={action.error ?? list.error} />
      {secret !== undefined && (
        <div class='secret' role='status'>
          {secretText} <b>{secret.name}</b>, shown this once: <code data-secret={secret.name}>{secret.value}</code>
          <button type='button' class='link' onClick={() => setSecret(undefined)}>Done</button>
        </div>
      )}
      <div class='scroll'>
        <table class='grid' aria-label={`${kind} list`}>
          <thead><tr><th>name</th><th>role</th><th>created</th><th>state</th><th /></tr></thead>
          <tbody>
            {(list.data ?? []).map(o => (
              <tr key={o.name} data-name={o.name}>
                <td>{o.name}</td><td>{o.role}</td><td>{dateTime(o.created)}</td>
                <td>{o.disabled === null ? 'enabled' : `disabled ${dateTime(o.disabled)}`}</td>
                <td>{o.disabled === null && <button type='button' class='danger' disabled={action.busy} onClick={() => { void disable(o.name) }}>Disable</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

export function OperatorsPage () {
  return (
    <section>
      <h1>Operators</h1>
      <p class='hint'>viewer: the fleet, read only. hr: punches, approvals, dead letters, exports, the audit log. admin: all that, and devices, terminals, operators and tokens.</p>
      <CredentialList kind='operators' noun='operator' secretField='password' secretText='First password for' />
      <h2>API tokens</h2>
      <p class='hint'>For integrations (payroll, monitoring): sent as <code>Authorization: Bearer …</code>, with the role given here.</p>
      <CredentialList kind='tokens' noun='token' secretField='token' secretText='Token for' />
    </section>
  )
}
