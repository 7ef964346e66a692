import type { Database } from 'better-sqlite3';
import type { AuditChange, EventQuery, EventRecord, EventStore } from '../events.js';
import type { GroupCommitter } from '../groupCommit.js';

// The audit trail on SQLite. `record` runs inside the transaction of the write it audits (group
// commit calls it right after the write); reads run at once, refused as every read is once the
// store failed; pruning goes through group commit, as every other write does.

interface EventRow {
  id: string;
  org_id: string;
  group_id: string | null;
  event_type_name: string;
  created: string;
  subject_id: string | null;
  body: string;
}

const toEvent = (row: EventRow): EventRecord => {
  const body = JSON.parse(row.body) as Pick<EventRecord, 'actor' | 'remoteAddress' | 'fields'>;
  return { id: row.id, orgId: row.org_id, groupId: row.group_id, eventTypeName: row.event_type_name, created: row.created, subjectId: row.subject_id, ...body };
};

// Optional filters as one statement: a NULL parameter turns its condition off, and the event
// types come as a JSON list (json_each), so no SQL is built per request.
const FILTERS = `org_id = @orgId AND created <= @now
  AND (@scope = 'all' OR (@scope = 'org' AND group_id IS NULL) OR group_id = @groupId)
  AND (@types IS NULL OR event_type_name IN (SELECT value FROM json_each(@types)))
  AND (@minDate IS NULL OR created >= @minDate)
  AND (@maxDate IS NULL OR created <= @maxDate)`;

export class SqliteEventStore implements EventStore {
  private readonly insert;
  private readonly cancel;
  private readonly list;
  private readonly count;
  private readonly get;
  private readonly prune;

  constructor(
    db: Database,
    private readonly committer: GroupCommitter,
    /** Throws when the store stopped serving (a failed fsync). */
    private readonly guard: () => void,
    private readonly closing: () => boolean,
  ) {
    this.insert = db.prepare(
      'INSERT INTO events (id, org_id, group_id, event_type_name, created, subject_id, body) VALUES (@id, @orgId, @groupId, @eventTypeName, @created, @subjectId, @body)',
    );
    this.cancel = db.prepare('DELETE FROM events WHERE subject_id = ? AND created > ?');
    this.list = db.prepare(`SELECT * FROM events WHERE ${FILTERS} ORDER BY created DESC, seq DESC LIMIT @limit OFFSET @skip`);
    this.count = db.prepare(`SELECT count(*) FROM events WHERE ${FILTERS}`).pluck();
    this.get = db.prepare('SELECT * FROM events WHERE id = ? AND org_id = ? AND created <= ? AND (? IS NULL OR group_id = ?)');
    this.prune = db.prepare('DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE created < ? ORDER BY created LIMIT ?)');
  }

  /** Writes an audited change's events; call inside the change's transaction. */
  record(change: AuditChange): void {
    if (change.cancel) this.cancel.run(change.cancel.subjectId, change.cancel.after);
    for (const e of change.events) {
      this.insert.run({ ...e, body: JSON.stringify({ actor: e.actor, remoteAddress: e.remoteAddress, fields: e.fields }) });
    }
  }

  async listEvents(q: EventQuery): Promise<{ results: EventRecord[]; totalCount: number }> {
    this.guard();
    const params = {
      orgId: q.orgId,
      now: q.now,
      scope: q.groupId === undefined ? 'all' : q.groupId === null ? 'org' : 'group',
      groupId: q.groupId ?? null,
      types: q.eventTypes && q.eventTypes.length > 0 ? JSON.stringify(q.eventTypes) : null,
      minDate: q.minDate ?? null,
      maxDate: q.maxDate ?? null,
    };
    const results = (this.list.all({ ...params, limit: q.limit, skip: q.skip }) as EventRow[]).map(toEvent);
    return { results, totalCount: this.count.get(params) as number };
  }

  async getEvent(orgId: string, eventId: string, now: string, groupId?: string): Promise<EventRecord | undefined> {
    this.guard();
    const row = this.get.get(eventId, orgId, now, groupId ?? null, groupId ?? null) as EventRow | undefined;
    return row && toEvent(row);
  }

  /** Each chunk is a write of its own, batched with the requests' writes (as housekeeping prunes). */
  async pruneEvents(before: string, chunkRows: number): Promise<number> {
    let total = 0;
    let deleted = chunkRows;
    // A short chunk was the last; closing stops pruning quietly (the next run picks it up).
    while (deleted === chunkRows && !this.closing()) {
      deleted = await this.committer.transact(() => this.prune.run(before, chunkRows).changes);
      total += deleted;
    }
    return total;
  }
}
