import type { AuditChange, EventQuery, EventRecord, EventStore } from '../events.js';
import { query, type PostgresAccess, type Queryable } from './access.js';

// The audit trail on PostgreSQL. `record` runs on the client of the transaction it audits.

interface EventRow {
  id: string;
  org_id: string;
  group_id: string | null;
  event_type_name: string;
  created: Date;
  subject_id: string | null;
  body: Pick<EventRecord, 'actor' | 'remoteAddress' | 'fields'>;
}

const toEvent = (row: EventRow): EventRecord => ({
  id: row.id,
  orgId: row.org_id,
  groupId: row.group_id,
  eventTypeName: row.event_type_name,
  created: row.created.toISOString(),
  subjectId: row.subject_id,
  ...row.body,
});

// As on SQLite: a NULL parameter turns its filter off.
const FILTERS = `org_id = $1 AND created <= $2
  AND ($7::text = 'all' OR ($7 = 'org' AND group_id IS NULL) OR group_id = $3)
  AND ($4::text[] IS NULL OR event_type_name = ANY($4))
  AND ($5::timestamptz IS NULL OR created >= $5)
  AND ($6::timestamptz IS NULL OR created <= $6)`;

const SQL = {
  insert: {
    name: 'events-insert',
    text: 'INSERT INTO events (id, org_id, group_id, event_type_name, created, subject_id, body) VALUES ($1, $2, $3, $4, $5, $6, $7)',
  },
  cancel: { name: 'events-cancel', text: 'DELETE FROM events WHERE subject_id = $1 AND created > $2' },
  list: { name: 'events-list', text: `SELECT * FROM events WHERE ${FILTERS} ORDER BY created DESC, seq DESC LIMIT $8 OFFSET $9` },
  count: { name: 'events-count', text: `SELECT count(*)::int AS n FROM events WHERE ${FILTERS}` },
  get: { name: 'events-get', text: 'SELECT * FROM events WHERE id = $1 AND org_id = $2 AND created <= $3 AND ($4::text IS NULL OR group_id = $4)' },
  prune: { name: 'events-prune', text: 'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE created < $1 ORDER BY created LIMIT $2)' },
} as const;

/** Writes an audited change's events on `client`, inside the change's transaction. */
export async function recordEvents(client: Queryable, change: AuditChange | undefined): Promise<void> {
  if (!change) return;
  if (change.cancel) await query(client, SQL.cancel, [change.cancel.subjectId, change.cancel.after]);
  for (const e of change.events) {
    await query(client, SQL.insert, [e.id, e.orgId, e.groupId, e.eventTypeName, e.created, e.subjectId, JSON.stringify({ actor: e.actor, remoteAddress: e.remoteAddress, fields: e.fields })]);
  }
}

export class PostgresEventStore implements EventStore {
  constructor(private readonly db: PostgresAccess) {}

  async listEvents(q: EventQuery): Promise<{ results: EventRecord[]; totalCount: number }> {
    const scope = q.groupId === undefined ? 'all' : q.groupId === null ? 'org' : 'group';
    const filters = [q.orgId, q.now, q.groupId ?? null, q.eventTypes && q.eventTypes.length > 0 ? q.eventTypes : null, q.minDate ?? null, q.maxDate ?? null, scope];
    const [list, count] = await Promise.all([
      query<EventRow>(this.db.pool, SQL.list, [...filters, q.limit, q.skip]),
      query<{ n: number }>(this.db.pool, SQL.count, filters),
    ]);
    return { results: list.rows.map(toEvent), totalCount: count.rows[0]!.n };
  }

  async getEvent(orgId: string, eventId: string, now: string, groupId?: string): Promise<EventRecord | undefined> {
    const row = (await query<EventRow>(this.db.pool, SQL.get, [eventId, orgId, now, groupId ?? null])).rows[0];
    return row && toEvent(row);
  }

  /** Each chunk is one statement, so one transaction, told to commit observers (as housekeeping prunes). */
  async pruneEvents(before: string, chunkRows: number): Promise<number> {
    let total = 0;
    let deleted = chunkRows;
    // A short chunk was the last (or another instance prunes the rest); closing stops quietly.
    while (deleted === chunkRows && !this.db.isClosed()) {
      deleted = (await this.db.write(SQL.prune, [before, chunkRows])).rowCount ?? 0;
      total += deleted;
    }
    return total;
  }
}
