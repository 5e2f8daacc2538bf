/**
 * The console's frame: who is logged in (GET /api/v1/session), the login form when nobody is, the forced
 * password change when the gateway asks for one, and otherwise the menu of the pages the role may see.
 */
import { useCallback, useEffect, useState } from 'preact/hooks'
import { api, useCsrfToken, whenSessionLost } from './api/client.js'
import { startLive, stopLive, useLiveState } from './api/live.js'
import type { Who } from './api/shapes.js'
import { defaultRoute, pagesFor } from './pages.js'
import { useRoute } from './router.js'
import { LoginPage } from './pages/login.js'
import { PasswordPage } from './pages/password.js'
import { FleetPage } from './pages/fleet.js'
import { ApprovalsPage } from './pages/approvals.js'
import { PunchesPage } from './pages/punches.js'
import { DeadLettersPage } from './pages/dead-letters.js'
import { DaysPage } from './pages/days.js'
import { DevicesPage } from './pages/devices.js'
import { TerminalsPage } from './pages/terminals.js'
import { OperatorsPage } from './pages/operators.js'
import { AuditPage } from './pages/audit.js'
import { NodesPage } from './pages/nodes.js'

function Page ({ route, who }: { route: string, who: Who }) {
  switch (route) {
    case 'approvals': return <ApprovalsPage who={who} />
    case 'punches': return <PunchesPage />
    case 'days': return <DaysPage />
    case 'dead-letters': return <DeadLettersPage who={who} />
    case 'devices': return <DevicesPage who={who} />
    case 'terminals': return <TerminalsPage who={who} />
    case 'operators': return <OperatorsPage />
    case 'audit': return <AuditPage />
    case 'nodes': return <NodesPage who={who} />
    case 'password': return <PasswordPage forced={false} />
    default: return <FleetPage who={who} />
  }
}

function LiveBadge () {
  const live = useLiveState()
  const text = live === 'live' ? 'live' : live === 'connecting' ? 'connecting…' : 'not live (refreshing)'
  return <span class={`live live-${live}`} data-live={live} title='updates from the gateway as they happen'>{text}</span>
}

export function App () {
  const [who, setWho] = useState<Who | null | undefined>(undefined)
  const route = useRoute()

  const signedIn = useCallback((w: Who) => {
    useCsrfToken(w.csrfToken ?? '')
    setWho(w)
    // A cluster's console has no event stream: its pages poll.
    if (w.mode !== 'cluster') startLive()
  }, [])

  useEffect(() => {
    whenSessionLost(() => { stopLive(); setWho(null) })
    api<Who>('GET', '/session').then(signedIn, () => setWho(null))
  }, [])

  if (who === undefined) return <p class='loading'>Loading…</p>
  if (who === null) return <LoginPage onLogin={signedIn} />
  if (who.mustChangePassword === true) return <PasswordPage forced onChanged={() => setWho({ ...who, mustChangePassword: false })} />

  const cluster = who.mode === 'cluster'
  const pages = pagesFor(who.role, who.mode)
  const shown = route === 'password' || pages.some(p => p.route === route) ? route : defaultRoute(who.mode)
  const logout = async (): Promise<void> => {
    try { await api('DELETE', '/session') } finally { stopLive(); setWho(null) }
  }

  return (
    <div class='frame'>
      <header class='top'>
        <span class='brand'>punchline{cluster && <small data-mode='cluster'> cluster</small>}</span>
        {!cluster && <LiveBadge />}
        <span class='who' data-role={who.role}>{who.name} <small>({who.role})</small></span>
        {!cluster && <a href='/api/v1/report.html' target='_blank' rel='noopener noreferrer' title='the health report, to print'>Report</a>}
        <a href='#/password'>Password</a>
        <button type='button' class='link' onClick={() => { void logout() }}>Log out</button>
      </header>
      <nav class='menu' aria-label='pages'>
        {pages.map(p => <a key={p.route} href={`#/${p.route}`} aria-current={p.route === shown ? 'page' : undefined}>{p.title}</a>)}
      </nav>
      <main class='page'>
        <Page route={shown} who={who} />
      </main>
    </div>
  )
}
