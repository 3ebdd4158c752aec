import { sql } from 'kysely';
import { DomainValidationError } from '../domain/errors';
import type { Db } from './connection';
import type { Executor } from './event-store';

/*
 * A per-stream subscriber's durable checkpoint (the spread saga's, in the `checkpoints` table). The
 * saga carries its checkpoint in workflow state, which a Temporal reset rewinds to the reset point,
 * and a saga started afresh for the pool begins at 0. The stored checkpoint does not rewind: it only
 * moves forward, by compare-and-set from the value it was read at (and a trigger refuses any
 * backward move), and readers of one subscriber take turns. A reader behind it resumes from it, so
 * no run ever processes an event that an earlier run (or an abandoned branch of a reset) already
 * processed.
 */

export interface StreamPage {
  /** Events by type, from the caller's checkpoint to `lastVersion`, each counted once. */
  counts: Record<string, number>;
  /** Events this call handed over for processing (the rest were processed before). */
  read: number;
  /** The new checkpoint. */
  lastVersion: number;
  /** Events between the caller's checkpoint and the stored one: processed by an earlier run, not again. */
  alreadyProcessed: number;
}

export async function storedStreamCheckpoint(db: Executor, subscriber: string): Promise<number> {
  const row = await db
    .selectFrom('checkpoints')
    .select('stream_version')
    .where('subscriber', '=', subscriber)
    .executeTakeFirst();
  return row?.stream_version ? Number(row.stream_version) : 0;
}

/**
 * Hands the subscriber the events of `streamId` past max(its own checkpoint, the stored one), and
 * moves the stored checkpoint to the last of them by compare-and-set. Events between the caller's
 * checkpoint and the stored one are counted (so the caller's totals stay exact) but not handed over.
 */
export async function readPastCheckpoint(
  db: Db,
  input: { subscriber: string; streamId: string; afterVersion: number; limit: number },
): Promise<StreamPage> {
  const { subscriber, streamId, afterVersion, limit } = input;
  if (!Number.isSafeInteger(afterVersion) || afterVersion < 0) {
    throw new DomainValidationError(
      'afterVersion',
      `afterVersion must be a whole number >= 0, got ${afterVersion}`,
    );
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new DomainValidationError('limit', `limit must be a whole number from 1 to 10000, got ${limit}`);
  }
  // One reader of a subscriber at a time (a run abandoned by a reset may still be finishing a read):
  // the second waits and then finds the checkpoint moved, instead of both reading the same events.
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`checkpoint:${subscriber}`}, 0))`.execute(trx);
    const stored = await storedStreamCheckpoint(trx, subscriber);
    const from = Math.max(afterVersion, stored);
    const counts: Record<string, number> = {};
    let alreadyProcessed = 0;
    if (from > afterVersion) {
      const skipped = await trx
        .selectFrom('events')
        .select(['type', sql<string>`count(*)`.as('n')])
        .where('stream_id', '=', streamId)
        .where('stream_version', '>', String(afterVersion) as never)
        .where('stream_version', '<=', String(from) as never)
        .groupBy('type')
        .execute();
      for (const r of skipped) {
        counts[r.type] = Number(r.n);
        alreadyProcessed += Number(r.n);
      }
    }
    const rows = await trx
      .selectFrom('events')
      .select(['stream_version', 'type'])
      .where('stream_id', '=', streamId)
      .where('stream_version', '>', String(from) as never)
      .orderBy('stream_version')
      .limit(limit)
      .execute();
    if (!rows.length) return { counts, read: 0, lastVersion: from, alreadyProcessed };
    const to = Number(rows[rows.length - 1]!.stream_version);
    if (!(await advance(trx, subscriber, streamId, stored, to))) {
      throw new Error(
        `The checkpoint of "${subscriber}" moved while its reader held the lock (expected ${stored}); ` +
          'something writes the checkpoints table outside readPastCheckpoint.',
      );
    }
    for (const r of rows) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return { counts, read: rows.length, lastVersion: to, alreadyProcessed };
  });
}

/** Compare-and-set: moves the checkpoint from `expected` (0: no row yet) to `to`, or does nothing. */
async function advance(
  db: Executor,
  subscriber: string,
  streamId: string,
  expected: number,
  to: number,
): Promise<boolean> {
  const r = await sql<{ stream_version: string }>`
    insert into checkpoints (subscriber, transaction_id, global_position, stream_version)
    select ${subscriber}, e.transaction_id, e.global_position, e.stream_version
      from events e where e.stream_id = ${streamId} and e.stream_version = ${to}
    on conflict (subscriber) do update
       set transaction_id = excluded.transaction_id, global_position = excluded.global_position,
           stream_version = excluded.stream_version, updated_at = now()
     where coalesce(checkpoints.stream_version, 0) = ${expected} and excluded.stream_version > ${expected}
    returning stream_version`.execute(db);
  return r.rows.length === 1;
}
