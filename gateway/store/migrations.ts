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
  `,
  // 5: what the upstream has not accepted yet, kept as it changes so that watermarks, backlog counts and
  // dead-letter views cost index probes, not a pass over the backlog (docs/DESIGN-NOTES.md, "Watermarks and
  // backlog figures"). `pending` holds one row per stored punch not yet delivered: past the cursor, in an
  // outbox batch, or parked in dead letters; a trigger adds every new punch, ForwardStore.complete() removes
  // what a delivery settles. Totals follow their rows through triggers, in the same transactions.
  `
  CREATE TABLE pending (
    id     INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    ts     INTEGER NOT NULL
  );
  CREATE INDEX pending_device_ts ON pending (device, ts);
  INSERT INTO pending (id, device, ts)
    SELECT id, device, ts FROM punches WHERE id > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'forward_cursor');
  INSERT OR IGNORE INTO pending (id, device, ts)
    SELECT p.id, p.device, p.ts FROM forward_batches b JOIN punches p ON p.id BETWEEN b.first_id AND b.last_id;
  INSERT OR IGNORE INTO pending (id, device, ts)
    SELECT p.id, p.device, p.ts FROM dead_letters d JOIN punches p ON p.id = d.punch_id WHERE d.replayed IS NULL;

  CREATE TABLE pending_total (n INTEGER NOT NULL);
  INSERT INTO pending_total (n) SELECT count(*) FROM pending;

  CREATE TRIGGER punches_pending AFTER INSERT ON punches BEGIN
    INSERT INTO pending (id, device, ts) VALUES (new.id, new.device, new.ts);
  END;
  -- Retention deletes only delivered punches; should anything else ever delete one, it leaves no ghost.
  CREATE TRIGGER punches_pending_gone AFTER DELETE ON punches BEGIN
    DELETE FROM pending WHERE id = old.id;
  END;
  CREATE TRIGGER pending_added AFTER INSERT ON pending BEGIN
    UPDATE pending_total SET n = n + 1;
  END;
  CREATE TRIGGER pending_settled AFTER DELETE ON pending BEGIN
    UPDATE pending_total SET n = n - 1;
  END;

  -- Dead letters not replayed, by kind; and the order the API lists them in.
  CREATE TABLE dead_letter_open (
    kind TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO dead_letter_open (kind, n) SELECT kind, count(*) FROM dead_letters WHERE replayed IS NULL GROUP BY kind;
  CREATE TRIGGER dead_letter_opened AFTER INSERT ON dead_letters WHEN new.replayed IS NULL BEGIN
    INSERT INTO dead_letter_open (kind, n) VALUES (new.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1;
  END;
  -- A replay closes one; parking the same punch again (an upsert) reopens it, perhaps under another kind.
  CREATE TRIGGER dead_letter_changed AFTER UPDATE ON dead_letters BEGIN
    UPDATE dead_letter_open SET n = n - 1 WHERE kind = old.kind AND old.replayed IS NULL;
    INSERT INTO dead_letter_open (kind, n) SELECT new.kind, 1 WHERE new.replayed IS NULL
      ON CONFLICT (kind) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER dead_letter_removed AFTER DELETE ON dead_letters WHEN old.replayed IS NULL BEGIN
    UPDATE dead_letter_open SET n = n - 1 WHERE kind = old.kind;
  END;
  CREATE INDEX dead_letters_open_at ON dead_letters (at, punch_id) WHERE replayed IS NULL;
  CREATE INDEX dead_letters_unmapped ON dead_letters (punch_id) WHERE replayed IS NULL AND kind = 'unmapped';
  `,
  // 6: who may use the HTTP API (gateway/http/v1/): operators with a role and a scrypt password hash, API
  // tokens for integrations (only their SHA-256 is kept: they are random, not chosen), browser sessions
  // (the cookie's SHA-256, so a copy of the file opens no session), and the audit log of every change.
  `
  CREATE TABLE operators (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'hr', 'viewer')),
    password_hash TEXT NOT NULL,
    created       INTEGER NOT NULL,
    disabled      INTEGER
  ) WITHOUT ROWID;

  CREATE TABLE api_tokens (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'hr', 'viewer')),
    token_hash BLOB NOT NULL UNIQUE,
    created    INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    disabled   INTEGER
  ) WITHOUT ROWID;

  CREATE TABLE sessions (
    id_hash  BLOB PRIMARY KEY,
    operator TEXT NOT NULL,
    csrf     TEXT NOT NULL,
    created  INTEGER NOT NULL,
    expires  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_operator ON sessions (operator);

  CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
  );
  `,
  // 7: the console's charts (gateway/history/history-sampler.ts): one row per sample, pruned to a window.
  `
  CREATE TABLE history (
    t              INTEGER PRIMARY KEY,
    backlog        INTEGER NOT NULL,
    delivered      INTEGER NOT NULL,
    received       INTEGER NOT NULL,
    devices_online INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 8: ZKTeco terminals pushing over ADMS / iclock (gateway/adms/, docs/ADMS.md). A terminal is known by
  // its serial number and writes punches as the device id it was registered with. Every body it posts is
  // kept as it came, before it is parsed, with what the parse made of it. Commands wait in a queue until
  // the terminal's next heartbeat takes them. A punch from such a source carries the identity the source
  // gives it (`source_id`, derived from the line's content), so a resend, even after a restore, is known.
  `
  CREATE TABLE adms_terminals (
    sn           TEXT PRIMARY KEY,
    device       TEXT NOT NULL UNIQUE,
    zone         TEXT NOT NULL,
    created      INTEGER NOT NULL,
    last_seen    INTEGER,
    address      TEXT,
    -- the Stamp of the last attendance upload stored; NULL: ask for everything at the next handshake
    attlog_stamp TEXT,
    -- the epoch and next seq its punches are stored under: the gateway's order of arrival, renewed at a
    -- restore so a seq is never given twice (their identity upstream is source_id)
    epoch        TEXT NOT NULL,
    next_seq     INTEGER NOT NULL DEFAULT 1,
    -- when the terminal last confirmed a clock set by the gateway; NULL: its clock is its own
    clock_set    INTEGER,
    firmware     TEXT,
    info         TEXT
  ) WITHOUT ROWID;

  CREATE TABLE adms_bodies (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    sn       TEXT NOT NULL,
    tbl      TEXT NOT NULL,
    stamp    TEXT,
    received INTEGER NOT NULL,
    body     BLOB NOT NULL,
    -- what the parse made of it: lines that became punches, and the problems by line (JSON); NULL until parsed
    records  INTEGER,
    problems TEXT
  );
  CREATE INDEX adms_bodies_received ON adms_bodies (received);

  CREATE TABLE adms_commands (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    sn     TEXT NOT NULL,
    kind   TEXT NOT NULL,
    text   TEXT NOT NULL,
    queued INTEGER NOT NULL,
    sent   INTEGER,
    done   INTEGER,
    code   INTEGER,
    result TEXT
  );
  CREATE INDEX adms_commands_open ON adms_commands (sn, id) WHERE done IS NULL;

  ALTER TABLE punches ADD COLUMN source_id TEXT;
  -- what the source said beside the punch, as JSON (a terminal's raw state and verify codes, its line)
  ALTER TABLE punches ADD COLUMN source TEXT;
  CREATE UNIQUE INDEX punches_source_id ON punches (device, source_id) WHERE source_id IS NOT NULL;
  `,
  // 9: what operators decide. Make-up punches (gateway/store/makeup-store.ts): pending until hr approves or
  // rejects; an approved one becomes a punch of its own (punch_row) under the gateway's make-up epoch, so
  // it goes upstream through the outbox like any punch and its id never changes (docs/API.md, "Make-up
  // punches"). `month` is the punch's local calendar month, what a site's monthly limit counts. And reviews
  // of flagged punches (gateway/store/review-store.ts), whose decisions go upstream (docs/PROTOCOL.md).
  `
  CREATE TABLE makeups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    emp          TEXT NOT NULL,
    ts           INTEGER NOT NULL,
    tz           INTEGER NOT NULL,
    month        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    evidence     TEXT,
    device       TEXT,
    site         TEXT NOT NULL,
    exceptions   TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    decided_by   TEXT,
    decided_at   INTEGER,
    comment      TEXT,
    punch_row    INTEGER UNIQUE
  );
  CREATE INDEX makeups_emp_month ON makeups (emp, month, status);
  CREATE INDEX makeups_status ON makeups (status, id);
  INSERT INTO meta (key, value) VALUES ('makeup_epoch', lower(hex(randomblob(4))));
  -- One piece of evidence per make-up (a photo, a scanned note), bounded in size, kept with the request.
  CREATE TABLE makeup_attachments (
    makeup   INTEGER PRIMARY KEY,
    type     TEXT NOT NULL,
    bytes    BLOB NOT NULL,
    sha256   TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at INTEGER NOT NULL
  );

  -- Punches a human should look at (gateway/store/review-store.ts, REVIEW_FLAGS): one row each, open until
  -- hr confirms or disputes it. The row keeps the punch's upstream id, so a decision still goes upstream
  -- after retention purged the punch. batch is the Idempotency-Key the decision is sent under (kept
  -- across retries and restarts), sent when the upstream took it, refused why it never will.
  CREATE TABLE reviews (
    punch_id    INTEGER PRIMARY KEY,
    upstream_id TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'disputed')),
    decided_by  TEXT,
    decided_at  INTEGER,
    comment     TEXT,
    batch       TEXT,
    sent        INTEGER,
    refused     TEXT
  );
  CREATE INDEX reviews_status ON reviews (status, punch_id);
  CREATE INDEX reviews_unsent ON reviews (batch, decided_at) WHERE status <> 'open' AND sent IS NULL AND refused IS NULL;
  INSERT INTO reviews (punch_id, upstream_id)
    SELECT id, COALESCE(source_id, device || ':' || epoch || ':' || seq) FROM punches
    WHERE (',' || flags || ',') GLOB '*,late-sync,*' OR (',' || flags || ',') GLOB '*,expired,*'
       OR (',' || flags || ',') GLOB '*,clock-skew,*' OR (',' || flags || ',') GLOB '*,future,*'
       OR (',' || flags || ',') GLOB '*,gps-jump,*' OR (',' || flags || ',') GLOB '*,outside-geofence,*';
  -- On the commit path of every punch: a comparison with '' for most, the GLOBs only for flagged ones.
  CREATE TRIGGER punches_review AFTER INSERT ON punches
    WHEN new.flags <> '' AND ((',' || new.flags || ',') GLOB '*,late-sync,*' OR (',' || new.flags || ',') GLOB '*,expired,*'
       OR (',' || new.flags || ',') GLOB '*,clock-skew,*' OR (',' || new.flags || ',') GLOB '*,future,*'
       OR (',' || new.flags || ',') GLOB '*,gps-jump,*' OR (',' || new.flags || ',') GLOB '*,outside-geofence,*')
  BEGIN
    -- The id the punch went upstream under: a terminal's punch has its own (source_id, migration 8).
    INSERT INTO reviews (punch_id, upstream_id) VALUES (new.id, COALESCE(new.source_id, new.device || ':' || new.epoch || ':' || new.seq));
  END;
  -- Retention purges delivered punches; an open review of one goes with it, a decision stays until sent.
  CREATE TRIGGER punches_review_gone AFTER DELETE ON punches BEGIN
    DELETE FROM reviews WHERE punch_id = old.id AND status = 'open';
  END;
  `,
  // 10: a new punch's pending row, the pending total and its open review are filed once per transaction by
  // PunchStore.write in set-based statements, no longer by these triggers row by row: on the commit thread
  // they were half of the work per punch (docs/DESIGN-NOTES.md, "The pending set and reviews filed per
  // transaction"). Their delete-side twins stay: deletes are rare and come from several places.
  `
  DROP TRIGGER punches_pending;
  DROP TRIGGER pending_added;
  DROP TRIGGER punches_review;
  `
]
