import { sql, type Kysely, type Transaction } from 'kysely';
import { validateEventPayload, EVENT_VERSIONS, type EventType, type NewEvent } from '../domain/events';
import type { Database } from './types';

export type Executor = Kysely<Database> | Transaction<Database>;

/** `no_stream`: the stream must not exist yet; `any`: append after whatever is there (serialised per stream). */
export type ExpectedVersion = number | 'any' | 'no_stream';

export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(
      `Stream "${streamId}" is at version ${actual} but the writer expected ${String(expected)}: ` +
        'another writer appended first. Reload the stream and decide again.',
    );
    this.name = 'ConcurrencyError';
  }
}

export class IdempotencyConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdempotencyConflictError';
  }
}

export interface StoredEvent {
  globalPosition: string;
  transactionId: string;
  eventId: string;
  streamId: string;
  streamVersion: number;
  type: EventType;
  schemaVersion: number;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface AppendResult {
  /** Version of the stream's last event after the append (or after the earlier identical append). */
  version: number;
  /** 0 when every event was already there: a repeated append. */
  written: number;
}

export interface GlobalCheckpoint {
  transactionId: string;
  globalPosition: string;
}

export const START_OF_LOG: GlobalCheckpoint = { transactionId: '0', globalPosition: '0' };

async function inTransaction<T>(db: Executor, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction
    ? fn(db as Transaction<Database>)
    : (db as Kysely<Database>).transaction().execute(fn);
}

export async function streamVersion(db: Executor, streamId: string): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('stream_version').as('v'))
    .where('stream_id', '=', streamId)
    .executeTakeFirst();
  return Number(row?.v ?? 0);
}

/**
 * Appends events to one stream. Idempotent by event id: repeating the same append writes nothing
 * and succeeds; an append that repeats only some ids is refused. Concurrent writers with the same
 * expected version: one wins, the other gets a ConcurrencyError.
 */
export async function appendToStream(
  db: Executor,
  streamId: string,
  expected: ExpectedVersion,
  events: NewEvent[],
): Promise<AppendResult> {
  const rows = events.map((e) => ({ e, payload: validateEventPayload(e.type, e.payload) }));
  if (new Set(events.map((e) => e.eventId)).size !== events.length) {
    throw new IdempotencyConflictError(`Append to "${streamId}" repeats an event id within one batch.`);
  }
  return inTransaction(db, async (trx) => {
    if (expected === 'any') {
      // Serialises "append wherever the stream is" writers on this stream only.
      await sql`select pg_advisory_xact_lock(hashtextextended(${streamId}, 0))`.execute(trx);
    }
    if (events.length === 0) return { version: await streamVersion(trx, streamId), written: 0 };

    const existing = await trx
      .selectFrom('events')
      .select(['event_id', 'stream_id', 'stream_version'])
      .where(
        'event_id',
        'in',
        events.map((e) => e.eventId),
      )
      .execute();
    if (existing.length === events.length && existing.every((r) => r.stream_id === streamId)) {
      return { version: Math.max(...existing.map((r) => Number(r.stream_version))), written: 0 };
    }
    if (existing.length > 0) {
      throw new IdempotencyConflictError(
        `Append to "${streamId}" overlaps an earlier append only partly (already stored: ` +
          `${existing.map((r) => `${r.event_id} in ${r.stream_id}`).join(', ')}). ` +
          'Retry the exact same batch, or use new event ids for new events.',
      );
    }

    const current = await streamVersion(trx, streamId);
    const ok = expected === 'any' || (expected === 'no_stream' ? current === 0 : current === expected);
    if (!ok) throw new ConcurrencyError(streamId, expected, current);

    try {
      await trx
        .insertInto('events')
        .values(
          rows.map(({ e, payload }, i) => ({
            event_id: e.eventId,
            stream_id: streamId,
            stream_version: current + i + 1,
            type: e.type,
            schema_version: EVENT_VERSIONS[e.type],
            payload: JSON.stringify(payload),
            metadata: JSON.stringify(e.metadata ?? {}),
          })),
        )
        .execute();
    } catch (err) {
      // A concurrent writer took the same version (or stored the same ids) between our read and insert.
      if ((err as { code?: string }).code === '23505') {
        throw new ConcurrencyError(streamId, expected, current + 1);
      }
      throw err;
    }
    return { version: current + events.length, written: events.length };
  });
}

function toStored(r: {
  global_position: string;
  transaction_id: string;
  event_id: string;
  stream_id: string;
  stream_version: string;
  type: string;
  schema_version: number;
  payload: unknown;
  metadata: Record<string, unknown>;
  created_at: Date;
}): StoredEvent {
  return {
    globalPosition: r.global_position,
    transactionId: String(r.transaction_id),
    eventId: r.event_id,
    streamId: r.stream_id,
    streamVersion: Number(r.stream_version),
    type: r.type as EventType,
    schemaVersion: r.schema_version,
    payload: r.payload as Record<string, unknown>,
    metadata: r.metadata,
    createdAt: r.created_at,
  };
}

export async function readStream(
  db: Executor,
  streamId: string,
  afterVersion = 0,
  limit = 1000,
  types?: readonly EventType[],
): Promise<StoredEvent[]> {
  let q = db
    .selectFrom('events')
    .selectAll()
    .where('stream_id', '=', streamId)
    .where('stream_version', '>', String(afterVersion) as never);
  if (types?.length) q = q.where('type', 'in', types as EventType[]);
  const rows = await q.orderBy('stream_version').limit(limit).execute();
  return rows.map(toStored);
}

/**
 * Reads every stream in commit-safe global order. Only transactions older than every transaction
 * still in flight are visible, so an event committed late by a slow writer is read after the
 * checkpoint, never skipped.
 */
export async function readAll(
  db: Executor,
  after: GlobalCheckpoint = START_OF_LOG,
  limit = 1000,
): Promise<StoredEvent[]> {
  const rows = await sql<Parameters<typeof toStored>[0]>`
    select * from events
    where (transaction_id, global_position) > (${after.transactionId}::xid8, ${after.globalPosition}::bigint)
      and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    order by transaction_id, global_position
    limit ${limit}`.execute(db);
  return rows.rows.map(toStored);
}

export function checkpointOf(event: StoredEvent): GlobalCheckpoint {
  return { transactionId: event.transactionId, globalPosition: event.globalPosition };
}

export async function loadCheckpoint(db: Executor, subscriber: string): Promise<GlobalCheckpoint> {
  const row = await db
    .selectFrom('checkpoints')
    .selectAll()
    .where('subscriber', '=', subscriber)
    .executeTakeFirst();
  return row
    ? { transactionId: String(row.transaction_id), globalPosition: row.global_position }
    : START_OF_LOG;
}

/** Call inside the transaction that writes the projection, so position and read model move together. */
export async function saveCheckpoint(db: Executor, subscriber: string, cp: GlobalCheckpoint): Promise<void> {
  await sql`
    insert into checkpoints (subscriber, transaction_id, global_position)
    values (${subscriber}, ${cp.transactionId}::xid8, ${cp.globalPosition}::bigint)
    on conflict (subscriber) do update
      set transaction_id = excluded.transaction_id, global_position = excluded.global_position, updated_at = now()`.execute(
    db,
  );
}

/**
 * Appends to a stream inside the caller's transaction in two statements (advisory lock, one
 * insert-select that numbers the versions): the quoting session's hot path. Same guarantees as
 * appendToStream with 'any': a full replay of a batch writes nothing, a partial overlap is an error
 * (and rolls the caller's transaction back).
 */
export async function appendInTransaction(
  trx: Transaction<Database>,
  streamId: string,
  events: NewEvent[],
): Promise<{ written: number }> {
  if (events.length === 0) return { written: 0 };
  if (new Set(events.map((e) => e.eventId)).size !== events.length) {
    throw new IdempotencyConflictError(`Append to "${streamId}" repeats an event id within one batch.`);
  }
  const rows = events.map((e) => ({
    id: e.eventId,
    type: e.type,
    v: EVENT_VERSIONS[e.type],
    payload: validateEventPayload(e.type, e.payload),
    metadata: e.metadata ?? {},
  }));
  await sql`select pg_advisory_xact_lock(hashtextextended(${streamId}, 0))`.execute(trx);
  const r = await sql<{ n: string }>`
    with cur as (select coalesce(max(stream_version), 0) as v from events where stream_id = ${streamId}),
    ins as (
      insert into events (event_id, stream_id, stream_version, type, schema_version, payload, metadata)
      select e->>'id', ${streamId}, cur.v + t.ord, e->>'type', (e->>'v')::int, e->'payload', e->'metadata'
        from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) with ordinality as t(e, ord), cur
       order by t.ord
      on conflict (event_id) do nothing
      returning 1)
    select count(*)::text as n from ins`.execute(trx);
  const written = Number(r.rows[0]!.n);
  if (written !== 0 && written !== events.length) {
    throw new IdempotencyConflictError(
      `Append to "${streamId}" overlaps an earlier append only partly (${events.length - written} of ${events.length} ids already stored). ` +
        'Retry the exact same batch, or use new event ids for new events.',
    );
  }
  return { written };
}
