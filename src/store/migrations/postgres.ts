// Schema steps for the PostgreSQL back end, applied in order, each once (recorded in
// schema_migrations). Step N here matches step N of migrations/sqlite.ts, so both back ends are at
// the same schema version. Never edit a released step: add a new one.
//
// Steps are additive (new tables, indexes, functions, columns with defaults; never a drop, a
// rename or a changed meaning): instances of the previous release keep running, and stay ready,
// on the schema the first upgraded instance migrated (rolling upgrades; README, Several instances).
//
// Differences from SQLite, by design: lists are text[] (not JSON text), times are timestamptz,
// expiry instants are bigint milliseconds, and the hot link replacement is one function (one
// round trip, see replace_link below).
export const POSTGRES_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE orgs (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        org_id text NOT NULL REFERENCES orgs(id),
        public_key text NOT NULL UNIQUE,
        ha1 text NOT NULL,
        private_key_hint text NOT NULL,
        roles text[] NOT NULL,
        access_list text[] NOT NULL,
        description text NOT NULL,
        purpose text NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX api_keys_org ON api_keys(org_id);
      CREATE TABLE service_accounts (
        client_id text PRIMARY KEY,
        org_id text NOT NULL REFERENCES orgs(id),
        secret_hash text NOT NULL,
        roles text[] NOT NULL,
        access_list text[] NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX service_accounts_org ON service_accounts(org_id);
      -- An org's live-migration link is its one LIVE_MIGRATION_LINK key (no separate links table).
      CREATE UNIQUE INDEX api_keys_one_link_per_org ON api_keys(org_id) WHERE purpose = 'LIVE_MIGRATION_LINK';
      CREATE TABLE revoked_access_tokens (
        jti text PRIMARY KEY,
        expires_at bigint NOT NULL
      );
      CREATE TABLE digest_nonce_uses (
        nonce text NOT NULL,
        nc text NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (nonce, nc)
      );
      CREATE TABLE rate_limit_buckets (
        bucket text PRIMARY KEY,
        tokens double precision NOT NULL,
        refilled_at bigint NOT NULL
      );
      CREATE TABLE server_secrets (
        name text PRIMARY KEY,
        value bytea NOT NULL
      );
    `,
  },
  {
    // Live-migration link completion: the source side's inventory and links, and the inventory
    // the Atlas side receives (only valid with the link key it came with). JSON documents are
    // json, not jsonb, so their field order is kept as written.
    version: 2,
    sql: `
      ALTER TABLE orgs ADD COLUMN inventory_version bigint NOT NULL DEFAULT 0;
      CREATE TABLE source_projects (
        id text PRIMARY KEY,
        org_id text NOT NULL REFERENCES orgs(id),
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (org_id, name)
      );
      CREATE TABLE source_deployments (
        project_id text NOT NULL REFERENCES source_projects(id),
        name text NOT NULL,
        deployment json NOT NULL,
        PRIMARY KEY (project_id, name)
      );
      CREATE TABLE source_migration_hosts (
        project_id text NOT NULL REFERENCES source_projects(id),
        hostname text NOT NULL,
        PRIMARY KEY (project_id, hostname)
      );
      CREATE TABLE source_links (
        org_id text PRIMARY KEY REFERENCES orgs(id),
        link_id text NOT NULL,
        atlas_org_id text NOT NULL,
        atlas_org_name text NOT NULL,
        public_key text NOT NULL,
        ha1 text NOT NULL,
        status text NOT NULL,
        reason text,
        synced_version bigint,
        last_attempt_at timestamptz,
        last_synced_at timestamptz,
        created_at timestamptz NOT NULL
      );
      -- Counts only while api_key_id is the org's current link key (reads join the link, writes
      -- check it), so no foreign key to api_keys: a rotation pays no check here.
      CREATE TABLE atlas_inventories (
        org_id text PRIMARY KEY REFERENCES orgs(id),
        api_key_id text NOT NULL,
        projects json NOT NULL,
        received_at timestamptz NOT NULL
      );
    `,
  },
  {
    // Link keys that stopped working (public key only), so `pushlink token inspect` can tell a
    // superseded token from a deleted one. Append-only with no index on the (random) public key:
    // every rotation adds a row on the hot path; the rare lookup scans (step 5 indexes it for
    // pruning and, by org, for the lookup). replace_link, which every create calls, records the key it replaces in the
    // same statement.
    version: 3,
    sql: `
      CREATE TABLE retired_link_keys (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        public_key text NOT NULL,
        org_id text NOT NULL,
        retired_at timestamptz NOT NULL,
        reason text NOT NULL CHECK (reason IN ('ROTATED', 'DELETED'))
      );
      -- Every link-token create replaces the org's link. As one function it is one statement: one
      -- round trip and one transaction. The org's row lock (FOR NO KEY UPDATE, which does not block
      -- the foreign-key checks of other inserts) serialises every change to one org's link across
      -- all instances (deleting a link takes it too); each statement after it sees what the
      -- previous holder committed, so the delete finds the current link key. Returns no row when
      -- the org does not exist. The parameters are the new key's columns.
      CREATE FUNCTION replace_link(
        p_key_id text,
        p_org_id text,
        p_public_key text,
        p_ha1 text,
        p_private_key_hint text,
        p_roles text[],
        p_access_list text[],
        p_description text,
        p_purpose text,
        p_key_created_at timestamptz
      ) RETURNS TABLE (org_name text, org_created_at timestamptz, replaced_public_key text)
      LANGUAGE plpgsql AS $$
      BEGIN
        SELECT o.name, o.created_at INTO org_name, org_created_at FROM orgs o WHERE o.id = p_org_id FOR NO KEY UPDATE;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        WITH deleted AS (
          DELETE FROM api_keys k WHERE k.org_id = p_org_id AND k.purpose = 'LIVE_MIGRATION_LINK' RETURNING k.public_key
        ), retired AS (
          INSERT INTO retired_link_keys (public_key, org_id, retired_at, reason)
          SELECT d.public_key, p_org_id, p_key_created_at, 'ROTATED' FROM deleted d
        )
        SELECT min(d.public_key) INTO replaced_public_key FROM deleted d;
        INSERT INTO api_keys (id, org_id, public_key, ha1, private_key_hint, roles, access_list, description, purpose, created_at)
        VALUES (p_key_id, p_org_id, p_public_key, p_ha1, p_private_key_hint, p_roles, p_access_list, p_description, p_purpose, p_key_created_at);
        RETURN NEXT;
      END
      $$;
    `,
  },
  {
    // Source side: a link deleted or replaced while Atlas may still list what it pushed, kept until
    // the withdrawal reaches Atlas; written in the transaction that removes the link. The index
    // answers "does another link still use this Atlas org and key?", asked on every such write.
    version: 4,
    sql: `
      CREATE TABLE source_link_withdrawals (
        link_id text PRIMARY KEY,
        org_id text NOT NULL REFERENCES orgs(id),
        atlas_org_id text NOT NULL,
        public_key text NOT NULL,
        ha1 text NOT NULL,
        recorded_at timestamptz NOT NULL
      );
      CREATE INDEX source_links_atlas_key ON source_links(atlas_org_id, public_key);
    `,
  },
  {
    // As SQLite's step 5: pruning finds what expired or retired long enough ago through an index
    // (one pruning statement at most PRUNE_CHUNK_ROWS rows), and token inspect's lookup (the org's latest record of a public key)
    // scans the org's records newest first instead of the whole table. On (org_id, seq), not on
    // the random public key: replace_link appends at its org's end. Built inside the migration
    // transaction, each index blocks writes to its table while it is built (seconds for millions
    // of rows), once.
    version: 5,
    sql: `
      CREATE INDEX digest_nonce_uses_expires_at ON digest_nonce_uses (expires_at);
      CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);
      CREATE INDEX retired_link_keys_retired_at ON retired_link_keys (retired_at);
      CREATE INDEX retired_link_keys_org ON retired_link_keys (org_id, seq);
    `,
  },
  {
    // As SQLite's step 6: pruning deletes retired link keys from the start in seq order (the
    // primary key), up to the first record not yet old enough, so the retired_at index only cost
    // every rotation an insert. An older release's pruning finds old rows first in a sequential
    // scan of this append-only table.
    version: 6,
    sql: `
      DROP INDEX retired_link_keys_retired_at;
    `,
  },
  {
    // As SQLite's step 7: Atlas projects and their clusters (store/groups.ts).
    version: 7,
    sql: `
      CREATE TABLE groups (
        id text PRIMARY KEY,
        org_id text NOT NULL REFERENCES orgs(id),
        name text NOT NULL,
        tags jsonb NOT NULL,
        with_default_alerts_settings boolean NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (org_id, name)
      );
      CREATE TABLE clusters (
        group_id text NOT NULL REFERENCES groups(id),
        name text NOT NULL,
        id text NOT NULL UNIQUE,
        spec jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        ready_at timestamptz NOT NULL,
        delete_requested_at timestamptz,
        gone_at timestamptz,
        revision integer NOT NULL,
        PRIMARY KEY (group_id, name)
      );
    `,
  },
  {
    // As SQLite's step 8: live-migration validations and migrations (store/liveMigrations.ts).
    version: 8,
    sql: `
      CREATE TABLE live_migration_validations (
        id text PRIMARY KEY,
        group_id text NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        source_group_id text NOT NULL,
        created_at timestamptz NOT NULL,
        settles_at timestamptz NOT NULL,
        outcome text NOT NULL,
        error_message text
      );
      CREATE INDEX live_migration_validations_group ON live_migration_validations(group_id);
      CREATE TABLE live_migrations (
        id text PRIMARY KEY,
        group_id text NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        org_id text NOT NULL,
        record jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        revision integer NOT NULL
      );
      CREATE INDEX live_migrations_org ON live_migrations(org_id);
    `,
  },
  {
    // As SQLite's step 9: the audit trail (store/events.ts).
    version: 9,
    sql: `
      CREATE TABLE events (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        group_id text,
        event_type_name text NOT NULL,
        created timestamptz NOT NULL,
        subject_id text,
        body jsonb NOT NULL
      );
      CREATE INDEX events_org ON events(org_id, created, seq);
      CREATE INDEX events_group ON events(group_id, created, seq) WHERE group_id IS NOT NULL;
      CREATE INDEX events_subject ON events(subject_id, created) WHERE subject_id IS NOT NULL;
      CREATE INDEX events_created ON events(created);
    `,
  },
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;
