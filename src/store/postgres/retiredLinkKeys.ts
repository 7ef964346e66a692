import type { RetiredLinkKey } from '../links.js';
import { query, type Queryable } from './access.js';

// Saving a retired link key on PostgreSQL, for the writes that retire one (a delete of the link or
// of its key; links.ts decides which), on the client of their transaction. A rotation records the
// key it replaces inside replace_link (migrations/postgres.ts).

const RETIRE_LINK_KEY = {
  name: 'retire-link-key',
  text: 'INSERT INTO retired_link_keys (public_key, org_id, retired_at, reason) VALUES ($1, $2, $3, $4)',
} as const;

export async function retireLinkKey(client: Queryable, retired: RetiredLinkKey): Promise<void> {
  await query(client, RETIRE_LINK_KEY, [retired.publicKey, retired.orgId, retired.retiredAt, retired.reason]);
}
