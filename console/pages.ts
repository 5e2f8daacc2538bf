/** The console's pages: their route, their name in the menu, and which roles see them. */
import type { Role } from './api/shapes.js'

export interface PageEntry {
  route: string
  title: string
  roles: readonly Role[]
}

const ALL: readonly Role[] = ['admin', 'hr', 'viewer']
const HR_UP: readonly Role[] = ['admin', 'hr']

export const PAGES: readonly PageEntry[] = [
  { route: 'fleet', title: 'Fleet', roles: ALL },
  { route: 'approvals', title: 'Approvals', roles: HR_UP },
  { route: 'punches', title: 'Punches', roles: HR_UP },
  { route: 'days', title: 'Days', roles: HR_UP },
  { route: 'dead-letters', title: 'Dead letters', roles: HR_UP },
  { route: 'devices', title: 'Devices', roles: ALL },
  { route: 'terminals', title: 'Terminals', roles: ALL },
  { route: 'operators', title: 'Operators', roles: ['admin'] },
  { route: 'audit', title: 'Audit log', roles: HR_UP }
]

export const DEFAULT_ROUTE = 'fleet'
