import { sql } from 'kysely';
import { Big } from '../domain/money';
import type { NewEvent } from '../domain/events';
import { marketMakerStream, orderBookStream, poolOwner } from '../domain/streams';
import type { Db } from './connection';
import { NotFoundError } from './errors';
import { appendToStream } from './event-store';
import { cancelEvent } from './order-book';
import { lockPool, type PoolState } from './pools';

/*
 * The market maker's fence. `pools.mm_generation` is taken anew by the supervisor for every quoting
 * session and bumped by every stop and pause; `pools.mm_attempt` is claimed by each attempt of the
 * session activity under that generation. Every write of a session checks both under the pool's row
 * lock in its own transaction, so after a newer session, a newer attempt, a pause or a stop, an old
 * one can read but never write.
 */

export interface SessionFence {
  /** Decimal string: bigint in Postgres. */
  generation: string;
  attempt: number;
}

/** The session no longer holds the fence: it must stop writing and end. Not an input error. */
export class FencedError extends Error {
  constructor(poolId: string, held: SessionFence, current?: SessionFence) {
    super(
      `Quoting session of pool "${poolId}" was fenced off: it holds generation ${held.generation} attempt ${held.attempt}, ` +
        `the pool is ${current ? `at generation ${current.generation} attempt ${current.attempt}` : 'past it'} ` +
        '(a newer session started, or the market maker was paused or stopped).',
    );
    this.name = 'FencedError';
  }
}

export function checkFence(pool: PoolState, fence: SessionFence): void {
  if (pool.mmGeneration !== fence.generation || pool.mmAttempt !== fence.attempt) {
    throw new FencedError(pool.id, fence, { generation: pool.mmGeneration, attempt: pool.mmAttempt });
  }
}

/** A new generation for a new session: every older session is fenced off from now on. */
export async function takeGeneration(db: Db, poolId: string): Promise<string> {
  const row = await db
    .updateTable('pools')
    .set({ mm_generation: sql`mm_generation + 1` as never, mm_attempt: 0 })
    .where('id', '=', poolId)
    .returning('mm_generation')
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Pool "${poolId}" does not exist; create it first or check the id.`);
  return String(row.mm_generation);
}

/**
 * An attempt of the session activity claims its generation. Attempt numbers only grow, so a retry
 * fences off the attempt it replaces (which may still be running on a worker cut off from the
 * server), and an attempt that starts after a stop finds the generation gone and claims nothing.
 */
export async function claimSessionAttempt(db: Db, poolId: string, fence: SessionFence): Promise<boolean> {
  const row = await db
    .updateTable('pools')
    .set({ mm_attempt: fence.attempt })
    .where('id', '=', poolId)
    .where('mm_generation', '=', fence.generation)
    .where('mm_attempt', '<', fence.attempt)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Pause or stop: bumps the generation and cancels every resting quote of the pool's market maker in
 * one transaction, with the events that record why. Whatever session was running can never write
 * again; a retry after commit cancels nothing more and writes no event twice.
 */
export async function haltQuoting(
  db: Db,
  input: {
    poolId: string;
    reason: string;
    events?: (cancelled: number) => NewEvent[];
    /**
     * Halt only the session of this generation. A pause's late retry (its first attempt timed out
     * after committing) then cannot cancel the quotes of a session started after the resume.
     */
    ifGeneration?: string;
  },
): Promise<{ cancelled: number; generation: string; halted: boolean }> {
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    if (input.ifGeneration !== undefined && pool.mmGeneration !== input.ifGeneration) {
      return { cancelled: 0, generation: pool.mmGeneration, halted: false };
    }
    // The database's own halt (migration 0003): callers without rights over the pool's quotes (an
    // operator's client stopping a pool whose workflow is gone) may still take the risk off.
    const { rows } = await sql<{ order_id: string | null; remaining: string | null; generation: string }>`
      select order_id, remaining::text, generation::text
        from lpmm_halt_market_maker(${input.poolId}, ${input.reason})`.execute(trx);
    const halted = rows.filter((r) => r.order_id !== null);
    if (halted.length) {
      await appendToStream(
        trx,
        orderBookStream(input.poolId),
        'any',
        halted.map((r) =>
          cancelEvent(
            { id: r.order_id!, pool_id: input.poolId, owner: poolOwner(input.poolId) },
            new Big(r.remaining!),
            input.reason,
          ),
        ),
      );
    }
    const events = input.events?.(halted.length) ?? [];
    if (events.length) await appendToStream(trx, marketMakerStream(input.poolId), 'any', events);
    return { cancelled: halted.length, generation: rows[0]!.generation, halted: true };
  });
}
