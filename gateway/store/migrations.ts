/**
 * Schema migrations of the gateway's SQLite file, applied in order at open; `PRAGMA user_version` records
 * how far a file has come. Append new steps; never edit a step that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the spine.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT,
    created     INTEGER NOT NULL,
    last_seen   INTEGER,
    status      TEXT
  ) WITHOUT ROWID;

  -- One row per punch ever stored. AUTOINCREMENT keeps ids monotonic even after old rows are purged,
  -- which the forwarder relies on: it forwards by id ranges past a cursor (see docs/DESIGN-NOTES.md).
  CREATE TABLE punches (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    device   TEXT NOT NULL,
    epoch    TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    ts       INTEGER NOT NULL,
    tz       INTEGER,
    emp      TEXT NOT NULL,
    kind     TEXT NOT NULL,
    method   TEXT NOT NULL,
    clock    TEXT NOT NULL,
    lat      REAL,
    lon      REAL,
    acc      REAL,
    manual   TEXT,
    flags    TEXT NOT NULL DEFAULT '',
    received INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX punches_identity ON punches (device, epoch, seq);

  -- The outbox: batches of consecutive punch ids handed to the upstream, each with the Idempotency-Key
  -- it keeps across retries and restarts. Punches past meta.forward_cursor are not in any batch yet.
  CREATE TABLE forward_batches (
    key        TEXT PRIMARY KEY,
    first_id   INTEGER NOT NULL,
    last_id    INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL DEFAULT 0,
    created    INTEGER NOT NULL,
    last_error TEXT
  ) WITHOUT ROWID;
  CREATE INDEX forward_batches_order ON forward_batches (first_id);

  CREATE TABLE dead_letters (
    punch_id INTEGER PRIMARY KEY,
    status   INTEGER,
    reason   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    replayed INTEGER
  );

  INSERT INTO meta (key, value) VALUES ('forward_cursor', '0');
  `,
  // 2: the device's uptime at the punch, for correcting punches taken with an unsynced clock.
  `
  ALTER TABLE punches ADD COLUMN up INTEGER;
  `,
  // 3: a site's gateway: the person a punch belongs to (roster), indexes for the rules that look at a person's
  // earlier punches and for retention, the roster, and dead letters that wait for a mapping rather than a fix.
  `
  ALTER TABLE punches ADD COLUMN person TEXT;
  CREATE INDEX punches_device_emp_ts ON punches (device, emp, ts);
  CREATE INDEX punches_person_ts ON punches (person, ts) WHERE person IS NOT NULL;
  CREATE INDEX punches_received ON punches (received);

  -- badge/card/PIN/template id as the device saw it → employee, per scope: 'device:<id>', 'site:<id>' or '*'.
  -- The same PIN on two terminals is two rows with two scopes, never one person.
  CREATE TABLE roster (
    scope    TEXT NOT NULL,
    badge    TEXT NOT NULL,
    employee TEXT NOT NULL,
    name     TEXT,
    updated  INTEGER NOT NULL,
    PRIMARY KEY (scope, badge)
  ) WITHOUT ROWID;

  -- 'refused': the upstream refused the record (an operator fixes and replays it);
  -- 'unmapped': nobody knows the person yet; replayed by itself when a roster entry maps it.
  ALTER TABLE dead_letters ADD COLUMN kind TEXT NOT NULL DEFAULT 'refused';
  INSERT INTO meta (key, value) VALUES ('roster_version', '0');
  `,
  // 4: devices asked to resend after a restore (meta.restored_at), so each is asked once per restore and
  // an operator can see what was asked (gateway/restore-resend.ts).
  `
  CREATE TABLE restore_resends (
    restored_at INTEGER NOT NULL,
    device      TEXT NOT NULL,
    asked_at    INTEGER NOT NULL,
    asked       TEXT NOT NULL,
    PRIMARY KEY (restored_at, device)
  ) WITHOUT ROWID;
  `
]
