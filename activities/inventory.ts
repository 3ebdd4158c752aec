import type { Db } from '../db/connection';
import { appendToStream } from '../db/event-store';
import { lockPool, writeReserves } from '../db/pools';
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

/**
 * Trades the pool's excess asset with the hedge venue so its value share returns to the target,
 * updating reserves and recording `inventory_adjusted` in one transaction. Idempotent by request id.
 */
export async function applyInventoryAdjustment(
  db: Db,
  venue: HedgeVenue,
  input: { poolId: string; requestId: string; targetShare: number; referencePrice: string },
): Promise<InventoryAdjustmentResult> {
  const reference = parseDecimal(input.referencePrice, 'referencePrice', { allowZero: false });
  const eventId = `inventory/${input.poolId}/${input.requestId}`;
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const prior = await trx
      .selectFrom('events')
      .select('payload')
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    if (prior) {
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
    const before = share(pool.reserveBase, pool.reserveQuote, reference);
    const excessBase = inventoryDeviationBase(
      pool.reserveBase,
      pool.reserveQuote,
      reference,
      new Big(input.targetShare),
    );
    const side = excessBase.gt(0) ? 'sell' : 'buy';
    const amount = roundQtyToLot(excessBase.abs(), pool.lotSize);
    if (amount.lt(pool.minSize))
      return { applied: false, inventoryShareBefore: before, inventoryShareAfter: before };

    // The simulated venue answers at once; a remote one would be called before taking the pool lock.
    const fill = await venue.execute({ side, baseAmount: amount, referencePrice: reference });
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
        `the adjustment would leave pool "${pool.id}" with a negative reserve; nothing was traded`,
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
          inventoryShareBefore: before,
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
      inventoryShareBefore: before,
      inventoryShareAfter: after,
    };
  });
}
