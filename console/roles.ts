/**
 * What each role may do, as the API's route table has it (docs/API.md, "Who may call what"): the console
 * hides the pages and disables the actions a role cannot take, so nobody is offered a button the API would
 * refuse. The API still checks every call; this only spares the operator the refusal.
 */
import type { Role } from './api/shapes.js'

const HR_UP: readonly Role[] = ['admin', 'hr']
const ADMIN: readonly Role[] = ['admin']

export const MAY = {
  readPunches: HR_UP,
  decideApprovals: HR_UP,
  replayDeadLetters: HR_UP,
  readAudit: HR_UP,
  ackAlarms: HR_UP,
  manageDevices: ADMIN,
  manageTerminals: ADMIN,
  readTerminalProblems: HR_UP,
  manageOperators: ADMIN
} as const

export type Ability = keyof typeof MAY

export function may (role: Role, ability: Ability): boolean {
  return MAY[ability].includes(role)
}
