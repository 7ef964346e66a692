// Schema steps for the SQLite back end, applied in order, each once (recorded in schema_migrations).
// Never edit a released step: add a new one. Version numbers ascend but may leave gaps; each
// missing step is applied on open. Tables keyed by text ids are WITHOUT ROWID: the key is the
// table's own b-tree, one index fewer to update on the hot write.
//
// Steps are additive (new tables, indexes, functions, columns with defaults; never a dropped table
// or column, a rename or a changed meaning), so code still runs on a schema a newer release
// extended, and readiness (ping) accepts one; see README, Several instances. An index no query of
// the current code needs may be dropped: an older release's queries stay valid, only their plan
// changes (step 6 says what that costs).
export const SQLITE_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE orgs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        public_key TEXT NOT NULL UNIQUE,
        ha1 TEXT NOT NULL,
        private_key_hint TEXT NOT NULL,
        roles TEXT NOT NULL,
        access_list TEXT NOT NULL,
        description TEXT NOT NULL,
        purpose TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX api_keys_org ON api_keys(org_id);
      CREATE TABLE service_accounts (
        client_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        secret_hash TEXT NOT NULL,
        roles TEXT NOT NULL,
        access_list TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX service_accounts_org ON service_accounts(org_id);
      -- An org's live-migration link is its one LIVE_MIGRATION_LINK key (no separate links table,
      -- nothing to keep in step): rotating it is a delete and an insert.
      CREATE UNIQUE INDEX api_keys_one_link_per_org ON api_keys(org_id) WHERE purpose = 'LIVE_MIGRATION_LINK';
      CREATE TABLE revoked_access_tokens (
        jti TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE digest_nonce_uses (
        nonce TEXT NOT NULL,
        nc TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (nonce, nc)
      ) WITHOUT ROWID;
      CREATE TABLE rate_limit_buckets (
        bucket TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        refilled_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
      );
    `,
  },
  {
    // Live-migration link completion: the source side's inventory and links, and the inventory
    // the Atlas side receives (only valid with the link key it came with).
    version: 2,
    sql: `
      ALTER TABLE orgs ADD COLUMN inventory_version INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE source_projects (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (org_id, name)
      ) WITHOUT ROWID;
      CREATE TABLE source_deployments (
        project_id TEXT NOT NULL REFERENCES source_projects(id),
        name TEXT NOT NULL,
        deployment TEXT NOT NULL,
        PRIMARY KEY (project_id, name)
      ) WITHOUT ROWID;
      CREATE TABLE source_migration_hosts (
        project_id TEXT NOT NULL REFERENCES source_projects(id),
        hostname TEXT NOT NULL,
        PRIMARY KEY (project_id, hostname)
      ) WITHOUT ROWID;
      CREATE TABLE source_links (
        org_id TEXT PRIMARY KEY REFERENCES orgs(id),
        link_id TEXT NOT NULL,
        atlas_org_id TEXT NOT NULL,
        atlas_org_name TEXT NOT NULL,
        public_key TEXT NOT NULL,
        ha1 TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        synced_version INTEGER,
        last_attempt_at TEXT,
        last_synced_at TEXT,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      -- The inventory counts only while api_key_id is the org's current link key: reads join it,
      -- and writes check it. No foreign key to api_keys, so the hot write (a rotation
      -- deleting the old link key) pays no check here; a stale row is replaced by the next push.
      CREATE TABLE atlas_inventories (
        org_id TEXT PRIMARY KEY REFERENCES orgs(id),
        api_key_id TEXT NOT NULL,
        projects TEXT NOT NULL,
        received_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    // Link keys that stopped working, so `pushlink token inspect` can tell a superseded token from
    // a deleted one. Only the public key is kept. A rowid table with no other index: every create
    // that rotates a link appends a row here on the hot path, and appending in rowid order dirties
    // one page per commit, where a b-tree keyed by (random) public key would dirty one page per
    // row and grow the WAL accordingly. Lookups (token inspect, rare) scan. No foreign key to
    // orgs: orgs are never deleted. (Step 5 indexes it for pruning and, by org, for the lookup.)
    sql: `
      CREATE TABLE retired_link_keys (
        public_key TEXT NOT NULL,
        org_id TEXT NOT NULL,
        retired_at TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('ROTATED', 'DELETED'))
      );
    `,
  },
  {
    version: 4,
    // Source side: a link deleted or replaced while Atlas may still list what it pushed, kept until
    // the withdrawal reaches Atlas (it may be down when the link goes). Written in the transaction
    // that removes the link, so no withdrawal is lost to a crash or an unreachable Atlas. The index
    // answers "does another link still use this Atlas org and key?", asked on every such write.
    sql: `
      CREATE TABLE source_link_withdrawals (
        link_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        atlas_org_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        ha1 TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX source_links_atlas_key ON source_links(atlas_org_id, public_key);
    `,
  },
  {
    version: 5,
    // Pruning finds what expired (or retired long enough ago) through an index instead of
    // scanning the whole table, one step at most PRUNE_CHUNK_ROWS rows. These times grow with
    // time, so the hot writes (a nonce use, a rotation) append to the index. Token inspect's
    // lookup, with 90 days of rotations kept, would be a long scan: it searches the org's records
    // instead (the token names the org). An index on the org, not on the (random) public key: a
    // rotation appends at its org's end (rowid grows), where a public key index took a random
    // insert on every create and halved the store's rotation rate in a benchmark (with a few
    // orgs; with hundreds rotating at once, both cost alike).
    sql: `
      CREATE INDEX digest_nonce_uses_expires_at ON digest_nonce_uses(expires_at);
      CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens(expires_at);
      CREATE INDEX retired_link_keys_retired_at ON retired_link_keys(retired_at);
      CREATE INDEX retired_link_keys_org ON retired_link_keys(org_id);
    `,
  },
  {
    version: 6,
    // Pruning retired link keys no longer needs an index on retired_at: rows are appended in
    // retirement order, so it deletes from the table's start in rowid order, a bounded chunk at a
    // time, up to the first record not yet old enough (store.ts, pruneExpired). The index cost
    // every rotation an insert: about 4 µs of a rotation's 47 µs of CPU in a store micro-benchmark
    // (60,000 rotations, medians of 5), and a database a fifth larger. An older release's pruning,
    // run on this schema during a rolling upgrade, scans in rowid order: it finds the old records
    // first, and reads the table through once when none is left.
    sql: `
      DROP INDEX retired_link_keys_retired_at;
    `,
  },
  {
    version: 7,
    // Atlas projects and their clusters (store/groups.ts). A cluster keeps its row through
    // DELETING and until its project is next written after it is gone; its key is (group, name),
    // the lookup every watcher's poll makes. Lists (tags, spec) are JSON text, as elsewhere here.
    sql: `
      CREATE TABLE groups (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        tags TEXT NOT NULL,
        with_default_alerts_settings INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX groups_org_name ON groups(org_id, name);
      CREATE TABLE clusters (
        group_id TEXT NOT NULL REFERENCES groups(id),
        name TEXT NOT NULL,
        id TEXT NOT NULL UNIQUE,
        spec TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ready_at TEXT NOT NULL,
        delete_requested_at TEXT,
        gone_at TEXT,
        revision INTEGER NOT NULL,
        PRIMARY KEY (group_id, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    // Live-migration validations and migrations (store/liveMigrations.ts). They go with their
    // project. A migration is one JSON record (its fields change together, on every report).
    sql: `
      CREATE TABLE live_migration_validations (
        id TEXT PRIMARY KEY,
        group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        source_group_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        settles_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error_message TEXT
      ) WITHOUT ROWID;
      CREATE INDEX live_migration_validations_group ON live_migration_validations(group_id);
      CREATE TABLE live_migrations (
        id TEXT PRIMARY KEY,
        group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        org_id TEXT NOT NULL,
        record TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revision INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX live_migrations_org ON live_migrations(org_id);
    `,
  },
  {
    version: 9,
    // The audit trail (store/events.ts). Not tied to orgs or projects by a foreign key: an event
    // outlives what it is about. `seq` orders events of the same instant as they were written; the
    // body (actor, address, Atlas's fields) is JSON, as it is only ever read whole.
    sql: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        group_id TEXT,
        event_type_name TEXT NOT NULL,
        created TEXT NOT NULL,
        subject_id TEXT,
        body TEXT NOT NULL
      );
      CREATE INDEX events_org ON events(org_id, created, seq);
      CREATE INDEX events_group ON events(group_id, created, seq) WHERE group_id IS NOT NULL;
      CREATE INDEX events_subject ON events(subject_id, created) WHERE subject_id IS NOT NULL;
      CREATE INDEX events_created ON events(created);
    `,
  },
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;
/** How many steps a current database has applied (with gaps, fewer than the highest version). */
export const SQLITE_SCHEMA_STEPS = SQLITE_MIGRATIONS.length;
