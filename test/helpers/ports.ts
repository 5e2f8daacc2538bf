/**
 * Loopback ports for tests that start a gateway on fixed ports: one free now, and whether one takes
 * connections (a listener left behind, or none). Shared with the bench: fakes/servers/ports.ts.
 */
export { accepts, freePort } from '../../fakes/servers/ports.js'
