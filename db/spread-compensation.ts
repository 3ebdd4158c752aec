import { Big, bigMin, formatDecimal, parseDecimal } from '../domain/money';
import { poolStream } from '../domain/streams';
import type { Db } from './connection';
import { appendToStream } from './event-store';
import { lockPool, validRequestId, writeReserves } from './pools';

export interface SpreadCompensation {
  outcome: 'restored' | 'withheld';
  /** The pool's spread after the compensation. */
  spreadBps: string;
  /** Why nothing was written, when withheld. */
  reason?: 'would_narrow' | 'changed_since';
}

/**
 * The saga's compensation of a spread change whose later step (the rebalance request) failed. It
 * leaves the pool safer, never narrower, and it writes only what it owns:
 * - compare-and-set: it writes only while the spread is still the value this saga set; someone
 *   else's change since (the next iteration, an operator) is left alone;
 * - never narrower: the failed step was meant to cut the imbalance, which therefore persists; the
 *   wider of the two spreads is the safe one, so a restore that would narrow it is withheld.
 *   The saga's ordinary policy narrows it later, once the imbalance is gone.
 * Either way the outcome is an event saying what happened and why, in the same transaction.
 * Idempotent by the request id.
 */
export async function compensateSpread(
  db: Db,
  input: {
    poolId: string;
    requestId: string;
    restoreToBps: string;
    attemptedSpreadBps: string;
    error: string;
    sagaId: string;
  },
): Promise<SpreadCompensation> {
  const restoreTo = parseDecimal(input.restoreToBps, 'restoreToBps', { allowZero: false, maxDecimals: 8 });
  const attempted = parseDecimal(input.attemptedSpreadBps, 'attemptedSpreadBps', {
    allowZero: false,
    maxDecimals: 8,
  });
  const key = `spread/${input.poolId}/${validRequestId(input.requestId)}`;
  const restoredId = `${key}/compensated`;
  const withheldId = `${key}/compensation_withheld`;
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const prior = await trx
      .selectFrom('events')
      .select(['event_id', 'payload'])
      .where('event_id', 'in', [restoredId, withheldId])
      .executeTakeFirst();
    if (prior) {
      const p = prior.payload as Record<string, string>;
      return prior.event_id === restoredId
        ? { outcome: 'restored', spreadBps: p.restoredSpreadBps! }
        : {
            outcome: 'withheld',
            spreadBps: p.currentSpreadBps!,
            reason: p.reason as 'would_narrow' | 'changed_since',
          };
    }
    const current = pool.spreadBps;
    // Bounds may have been tightened since the spread was last at this value.
    const target = bigMin(restoreTo, new Big(pool.config.spreadPolicy.maxSpreadBps));
    const reason = !current.eq(attempted) ? 'changed_since' : target.lt(current) ? 'would_narrow' : null;
    if (reason) {
      await appendToStream(trx, poolStream(pool.id), 'any', [
        {
          eventId: withheldId,
          type: 'spread_compensation_withheld',
          payload: {
            poolId: pool.id,
            attemptedSpreadBps: formatDecimal(attempted),
            restoreToBps: formatDecimal(restoreTo),
            currentSpreadBps: formatDecimal(current),
            reason,
            error: input.error.slice(0, 2000),
            sagaId: input.sagaId,
          },
        },
      ]);
      return { outcome: 'withheld', spreadBps: formatDecimal(current), reason };
    }
    pool.spreadBps = target;
    await writeReserves(trx, pool);
    await appendToStream(trx, poolStream(pool.id), 'any', [
      {
        eventId: `${key}/restore`,
        type: 'spread_adjusted',
        payload: {
          poolId: pool.id,
          oldSpreadBps: formatDecimal(current),
          newSpreadBps: formatDecimal(target),
          reasons: ['compensation'],
          sagaId: input.sagaId,
        },
      },
      {
        eventId: restoredId,
        type: 'spread_adjustment_compensated',
        payload: {
          poolId: pool.id,
          attemptedSpreadBps: formatDecimal(attempted),
          restoredSpreadBps: formatDecimal(target),
          error: input.error.slice(0, 2000),
          sagaId: input.sagaId,
        },
      },
    ]);
    return { outcome: 'restored', spreadBps: formatDecimal(target) };
  });
}
