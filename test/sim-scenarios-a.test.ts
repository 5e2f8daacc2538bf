/**
 * Named scenarios of the library, end to end (test/fixtures/named-scenarios.ts). The library is split in
 * two files so tap runs them side by side.
 */
import t from 'tap'
import { runNamedScenarios } from './fixtures/named-scenarios.js'

runNamedScenarios(t, ['bad-clock', 'flapping-link', 'gateway-restart', 'gps-spoof', 'poison-record', { name: 'large-fleet', scale: 0.01, transport: 'memory' }])
