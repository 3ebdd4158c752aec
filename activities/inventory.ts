import type { Db } from '../db/connection';
import { checkFence, type SessionFence } from '../db/fence';
import { appendToStream, type Executor } from '../db/event-store';
import { getPool, lockPool, writeReserves } from '../db/pools';
import { DomainValidationError } from '../domain/errors';
import { Big, formatDecimal, parseDecimal, roundQtyToLot } from '../domain/money';
import { inventoryDeviationBase, inventoryShare } from '../domain/pool';
import { poolStream } from '../domain/streams';
import type { HedgeVenue } from '../adapters/hedge-venue/port';

export type { HedgeVenue };

export interface InventoryAdjustmentResult {
  applied: boolean;
  side?: 'buy' | 'sell';
  baseAmount?: string;
  quoteAmount?: string;
  inventoryShareBefore: string;
  inventoryShareAfter: string;
}

const share = (base: Big, quote: Big, mid: Big) =>
  formatDecimal(inventoryShare(base, quote, mid).round(8, Big.roundHalfEven));

async function priorAdjustment(
  db: Executor,
  eventId: string,
): Promise<InventoryAdjustmentResult | undefined> {
  const prior = await db
    .selectFrom('events')
    .select('payload')
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  if (!prior) return undefined;
  const p = prior.payload as Record<string, string>;
  return {
    applied: false,
    side: p.side as 'buy' | 'sell',
    baseAmount: p.baseAmount,
    quoteAmount: p.quoteAmount,
    inventoryShareBefore: p.inventoryShareBefore!,
    inventoryShareAfter: p.inventoryShareAfter!,
  };
}

/**
 * Trades the pool's excess asset with the hedge venue so its value share returns to the target,
 * then books the fill (reserves and `inventory_adjusted`) in one transaction. The venue is called
 * before the pool lock is taken, with the event id as its client order id: a retry after a failed
 * booking gets the same fill back instead of trading twice. Idempotent by request id.
 */
export async function applyInventoryAdjustment(
  db: Db,
  venue: HedgeVenue,
  input: {
    poolId: string;
    requestId: string;
    targetShare: number;
    referencePrice: string;
    /** A quoting session's flatten: refused before the venue and at booking unless it holds the fence. */
    fence?: SessionFence;
  },
): Promise<InventoryAdjustmentResult> {
  const reference = parseDecimal(input.referencePrice, 'referencePrice', { allowZero: false });
  const eventId = `inventory/${input.poolId}/${input.requestId}`;
  const done = await priorAdjustment(db, eventId);
  if (done) return done;

  const seen = await getPool(db, input.poolId);
  if (input.fence) checkFence(seen, input.fence);
  const before = share(seen.reserveBase, seen.reserveQuote, reference);
  const excessBase = inventoryDeviationBase(
    seen.reserveBase,
    seen.reserveQuote,
    reference,
    new Big(input.targetShare),
  );
  const side = excessBase.gt(0) ? 'sell' : 'buy';
  const amount = roundQtyToLot(excessBase.abs(), seen.lotSize);
  if (amount.lt(seen.minSize))
    return { applied: false, inventoryShareBefore: before, inventoryShareAfter: before };
  const fill = await venue.execute({
    side,
    baseAmount: amount,
    referencePrice: reference,
    clientOrderId: eventId,
  });

  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const raced = await priorAdjustment(trx, eventId);
    // The venue has filled by now; a session fenced off since must still not book (the id lets an
    // operator reconcile the venue's fill), and a newer session will flatten under its own key.
    if (!raced && input.fence) checkFence(pool, input.fence);
    if (raced) return raced;
    // Booked against the reserves as they are now: fills may have moved them since the read above.
    const shareBefore = share(pool.reserveBase, pool.reserveQuote, reference);
    if (side === 'sell') {
      pool.reserveBase = pool.reserveBase.minus(fill.baseAmount);
      pool.reserveQuote = pool.reserveQuote.plus(fill.netQuoteAmount);
    } else {
      pool.reserveBase = pool.reserveBase.plus(fill.baseAmount);
      pool.reserveQuote = pool.reserveQuote.minus(fill.netQuoteAmount);
    }
    if (pool.reserveBase.lt(0) || pool.reserveQuote.lt(0)) {
      throw new DomainValidationError(
        'baseAmount',
        `the hedge fill ${eventId} (${side} ${formatDecimal(fill.baseAmount)}) would leave pool "${pool.id}" with a negative reserve; ` +
          'it was not booked: reconcile it with the venue by its client order id',
      );
    }
    await writeReserves(trx, pool);
    const after = share(pool.reserveBase, pool.reserveQuote, reference);
    await appendToStream(trx, poolStream(pool.id), 'any', [
      {
        eventId,
        type: 'inventory_adjusted',
        payload: {
          poolId: pool.id,
          venue: venue.name,
          side,
          baseAmount: formatDecimal(fill.baseAmount),
          quoteAmount: formatDecimal(fill.quoteAmount),
          price: formatDecimal(fill.price),
          fee: formatDecimal(fill.fee),
          inventoryShareBefore: shareBefore,
          inventoryShareAfter: after,
          reserveBase: formatDecimal(pool.reserveBase),
          reserveQuote: formatDecimal(pool.reserveQuote),
        },
      },
    ]);
    return {
      applied: true,
      side,
      baseAmount: formatDecimal(fill.baseAmount),
      quoteAmount: formatDecimal(fill.quoteAmount),
      inventoryShareBefore: shareBefore,
      inventoryShareAfter: after,
    };
  });
}
