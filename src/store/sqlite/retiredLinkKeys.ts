import type { Database } from 'better-sqlite3';
import type { RetiredLinkKey } from '../links.js';

// Saving a retired link key on SQLite, for the writes that retire one (a rotation or delete of the
// link, a delete of its key; links.ts decides which), each inside its own transaction.

export function prepareRetireLinkKey(db: Database): (retired: RetiredLinkKey) => void {
  const insert = db.prepare('INSERT INTO retired_link_keys (public_key, org_id, retired_at, reason) VALUES (?, ?, ?, ?)');
  return (retired) => void insert.run(retired.publicKey, retired.orgId, retired.retiredAt, retired.reason);
}
