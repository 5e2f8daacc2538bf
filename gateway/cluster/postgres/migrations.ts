/**
 * The shared store's schema in PostgreSQL, applied in order when a node opens the store; the table
 * `schema_version` records how far a database has come. Append new steps; never edit one that has shipped.
 * Nodes opening at once take turns on an advisory lock, so each step runs once.
 *
 * The ledger mirrors the single box's `punches` (gateway/store/migrations.ts) with its two dedup keys.
 * The outbox differs: SQLite's cursor over ids (docs/DESIGN-NOTES.md, "The outbox is a cursor and id
 * ranges") relies on ids becoming visible in order, which one writer gives; PostgreSQL's identity values
 * are handed out before commit, so with many writers a lower id can commit after a higher one and a
 * cursor would pass it by. Here each stored punch has an `outbox` row until delivered, inserted in the
 * same statement as the punch, and a batch is the outbox rows marked with its key.
 */
import type pg from 'pg'

export const PG_MIGRATIONS: readonly string[] = [
  // 1: the ledger, the outbox, the batches.
  `
  CREATE TABLE punches (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device    text NOT NULL,
    epoch     text NOT NULL,
    seq       bigint NOT NULL,
    ts        bigint NOT NULL,
    tz        integer,
    emp       text NOT NULL,
    kind      text NOT NULL,
    method    text NOT NULL,
    clock     text NOT NULL,
    lat       double precision,
    lon       double precision,
    acc       double precision,
    manual    text,
    flags     text NOT NULL DEFAULT '',
    received  bigint NOT NULL,
    up        bigint,
    person    text,
    source_id text,
    source    text,
    CONSTRAINT punches_identity UNIQUE (device, epoch, seq)
  );
  CREATE UNIQUE INDEX punches_source_id ON punches (device, source_id) WHERE source_id IS NOT NULL;

  -- A batch formed for the upstream: its Idempotency-Key, kept across retries, restarts and nodes, and
  -- who holds it now (claim, owner) until when (lease_until, ms on the database's clock).
  CREATE TABLE forward_batches (
    key         uuid PRIMARY KEY,
    first_id    bigint NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    next_at     bigint NOT NULL,
    created     bigint NOT NULL,
    last_error  text,
    claim       uuid,
    owner       text,
    lease_until bigint
  );
  CREATE INDEX forward_batches_due ON forward_batches (next_at, first_id);

  -- One row per stored punch the upstream has not taken; batch is NULL until a claim puts it in one.
  CREATE TABLE outbox (
    punch_id bigint PRIMARY KEY,
    batch    uuid
  );
  CREATE INDEX outbox_unbatched ON outbox (punch_id) WHERE batch IS NULL;
  CREATE INDEX outbox_batch ON outbox (batch) WHERE batch IS NOT NULL;
  `,
  // 2: what the rules read (gateway/cluster/postgres/group-flagger.ts) and the forwarder's dead letters.
  // The person rules' index ranges, as the single box's migration 3 has them, with the id last as SQLite's
  // rowid is in its index entries: a neighbour's ties then come in the index's order, no sort.
  `
  CREATE INDEX punches_device_emp_ts ON punches (device, emp, ts, id);
  CREATE INDEX punches_person_ts ON punches (person, ts, id) WHERE person IS NOT NULL;

  -- Each device's last big clock correction from its status, for the clock-skew rule: the status reaches
  -- one node, the device's batches any node.
  CREATE TABLE device_clocks (
    device  text PRIMARY KEY,
    jump_ms bigint,
    jump_at bigint,
    updated bigint NOT NULL
  );

  -- The roster (badge to employee per scope), as the single box's; every change bumps roster_version,
  -- which the nodes watch to reload.
  CREATE TABLE roster (
    scope    text NOT NULL,
    badge    text NOT NULL,
    employee text NOT NULL,
    name     text,
    updated  bigint NOT NULL,
    PRIMARY KEY (scope, badge)
  );
  CREATE TABLE roster_version (version bigint NOT NULL);
  INSERT INTO roster_version (version) VALUES (0);

  -- Punches the upstream refused for good, isolated by splitting their batch; out of the outbox until
  -- replayed (replayed: when, ms).
  CREATE TABLE dead_letters (
    punch_id bigint PRIMARY KEY REFERENCES punches (id),
    status   integer,
    reason   text NOT NULL,
    at       bigint NOT NULL,
    kind     text NOT NULL DEFAULT 'refused',
    node     text,
    replayed bigint
  );
  CREATE INDEX dead_letters_open ON dead_letters (at, punch_id) WHERE replayed IS NULL;
  `,
  // 3: the cluster's device registry (gateway/cluster/postgres/device-credentials.ts): what the external
  // broker needs to let a device in, never its secret. Each broker checks its own hash format, so each
  // row keeps one per broker (docs/DESIGN-NOTES.md, "Device credentials on the cluster's broker").
  `
  CREATE TABLE device_credentials (
    id             text PRIMARY KEY,
    mosquitto_hash text NOT NULL,
    nats_hash      text NOT NULL,
    created        bigint NOT NULL,
    updated        bigint NOT NULL
  );
  `,
  // 4: each node's heartbeat (gateway/cluster/postgres/node-heartbeats.ts): one row per node id, upserted
  // every cluster.heartbeatMs, stopped set on a clean shutdown; times in ms on the database's clock.
  `
  CREATE TABLE cluster_nodes (
    node_id           text PRIMARY KEY,
    host              text NOT NULL,
    pid               integer NOT NULL,
    version           text NOT NULL,
    broker            text NOT NULL,
    started           bigint NOT NULL,
    last_seen         bigint NOT NULL,
    interval_ms       integer NOT NULL,
    stopped           bigint,
    acked             bigint NOT NULL DEFAULT 0,
    unacked           bigint NOT NULL DEFAULT 0,
    punches_delivered bigint NOT NULL DEFAULT 0,
    failed            bigint NOT NULL DEFAULT 0,
    lease_lost        bigint NOT NULL DEFAULT 0,
    queued_rows       bigint NOT NULL DEFAULT 0,
    claims_held       integer NOT NULL DEFAULT 0
  );
  `,
  // 5: each device's last status (gateway/cluster/postgres/device-statuses.ts), upserted in batches by the
  // node that took it: the last as sent (a last will included) and the last that described the device.
  // Times are the node's receipt times in ms; a row is replaced only by a status received later.
  `
  CREATE TABLE device_statuses (
    device     text PRIMARY KEY,
    online     boolean NOT NULL,
    last_seen  bigint NOT NULL,
    first_seen bigint NOT NULL,
    status     jsonb NOT NULL,
    described  jsonb,
    node       text NOT NULL
  );
  `,
  // 6: each node's forwarder in its heartbeat (node-heartbeats.ts), for the console's upstream-failing:
  // when it started (NULL: no upstream), its last delivery, its last failure (when, class, HTTP status,
  // error). Times in ms on the node's clock, as its forwarder saw them.
  `
  ALTER TABLE cluster_nodes
    ADD COLUMN up_since          bigint,
    ADD COLUMN up_delivered      bigint,
    ADD COLUMN up_failed_at      bigint,
    ADD COLUMN up_failure_kind   text,
    ADD COLUMN up_failure_status integer,
    ADD COLUMN up_failure_error  text;
  `
]

/** any constant: the key of the advisory lock the nodes' migrations take turns on */
const MIGRATION_LOCK = 0x70756e63

export async function migrate (pool: pg.Pool): Promise<number> {
  const c = await pool.connect()
  try {
    for (;;) {
      await c.query('BEGIN')
      try {
        await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
        await c.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)')
        const row = (await c.query<{ version: number }>('SELECT version FROM schema_version')).rows[0]
        const from = row?.version ?? 0
        if (from > PG_MIGRATIONS.length) {
          throw new Error(`shared store schema version ${from} is newer than this punchline knows (${PG_MIGRATIONS.length}); upgrade punchline`)
        }
        if (from === PG_MIGRATIONS.length) {
          await c.query('COMMIT')
          return from
        }
        await c.query(PG_MIGRATIONS[from])
        if (row === undefined) await c.query('INSERT INTO schema_version (version) VALUES (1)')
        else await c.query('UPDATE schema_version SET version = $1', [from + 1])
        await c.query('COMMIT')
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {})
        throw err
      }
    }
  } finally {
    c.release()
  }
}
