/**
 * A private PostgreSQL server per test file: faults/postgres-server.ts, where the fault suite can use it too
 * (faults/ may not import test/, docs/ARCHITECTURE.md "Folders").
 */
export { postgresBinDir, startPostgres, type PostgresDatabase, type PrivatePostgres } from '../../faults/postgres-server.js'
