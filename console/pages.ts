/**
 * The console's pages: their route, their name in the menu, which roles see them, and where they have data:
 * a single box's gateway, a cluster's console (`punchline console --cluster`), or both.
 */
import type { ApiMode, Role } from './api/shapes.js'

export interface PageEntry {
  route: string
  title: string
  roles: readonly Role[]
  /** absent: a single box's page only */
  modes?: readonly ApiMode[]
}

const BOTH: readonly ApiMode[] = ['single', 'cluster']

const ALL: readonly Role[] = ['admin', 'hr', 'viewer']
const HR_UP: readonly Role[] = ['admin', 'hr']

export const PAGES: readonly PageEntry[] = [
  { route: 'fleet', title: 'Fleet', roles: ALL },
  { route: 'approvals', title: 'Approvals', roles: HR_UP },
  { route: 'punches', title: 'Punches', roles: HR_UP },
  { route: 'days', title: 'Days', roles: HR_UP },
  { route: 'nodes', title: 'Nodes', roles: ALL, modes: ['cluster'] },
  { route: 'dead-letters', title: 'Dead letters', roles: HR_UP, modes: BOTH },
  { route: 'devices', title: 'Devices', roles: ALL, modes: BOTH },
  { route: 'terminals', title: 'Terminals', roles: ALL },
  { route: 'operators', title: 'Operators', roles: ['admin'], modes: BOTH },
  { route: 'audit', title: 'Audit log', roles: HR_UP, modes: BOTH }
]

/** The pages a role sees where it is: a cluster's console has no fleet, punches or terminals of its own; its devices are the shared store's. */
export function pagesFor (role: Role, mode: ApiMode = 'single'): PageEntry[] {
  return PAGES.filter(p => p.roles.includes(role) && (p.modes ?? ['single']).includes(mode))
}

export function defaultRoute (mode: ApiMode = 'single'): string {
  return mode === 'cluster' ? 'nodes' : 'fleet'
}
