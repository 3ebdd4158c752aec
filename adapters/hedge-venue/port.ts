import { Big } from '../../domain/money';
import { DomainValidationError } from '../../domain/errors';

export type HedgeSide = 'buy' | 'sell';

export interface HedgeOrder {
  /** Side of the base asset: 'buy' acquires base and pays quote. */
  side: HedgeSide;
  /** Base quantity requested; must be positive. */
  baseAmount: Big;
  /** Mid price the caller is hedging against (quote per base). */
  referencePrice: Big;
  /** The caller's id for this trade: a venue answers a repeated id with the original fill. */
  clientOrderId?: string;
}

export interface HedgeFill {
  side: HedgeSide;
  /** Execution price after slippage. */
  price: Big;
  /** Base quantity filled (the request rounded down to the venue's base decimals). */
  baseAmount: Big;
  /** Gross quote value, price x baseAmount, before the fee. */
  quoteAmount: Big;
  /** Charged in quote on top of a buy and out of a sell. */
  fee: Big;
  /** Quote that changes hands net of the fee: paid on a buy (quote + fee), received on a sell (quote - fee). */
  netQuoteAmount: Big;
}

/**
 * Where the market maker offloads inventory. Async because a real venue is remote; the caller
 * applies the fill to the pool's reserves in its own database transaction, so a venue never
 * touches Postgres itself.
 */
export interface HedgeVenue {
  readonly name: string;
  execute(order: HedgeOrder): Promise<HedgeFill>;
}

/** A stored hedge order, as both hedge tables keep it (decimal strings). */
export interface StoredHedgeOrder {
  side: HedgeSide;
  base_amount: string;
  reference_price: string;
  client_order_id: string;
}

/**
 * What the venue said to a stored order. A refusal (a validation error) means it did not trade,
 * so the hedge is over; anything else (a timeout, a lost connection) may have traded, so the hedge
 * stays in flight and is asked again under the same client order id.
 */
export type VenueAnswer =
  | { kind: 'filled'; fill: HedgeFill }
  | { kind: 'refused'; reason: string }
  | { kind: 'unanswered'; reason: string };

export async function askVenue(venue: HedgeVenue, order: StoredHedgeOrder): Promise<VenueAnswer> {
  try {
    const fill = await venue.execute({
      side: order.side,
      baseAmount: new Big(order.base_amount),
      referencePrice: new Big(order.reference_price),
      clientOrderId: order.client_order_id,
    });
    return { kind: 'filled', fill };
  } catch (err) {
    if (err instanceof DomainValidationError)
      return { kind: 'refused', reason: `the venue refused the hedge: ${err.message}` };
    return {
      kind: 'unanswered',
      reason: `the venue did not answer (${(err as Error).message ?? String(err)})`,
    };
  }
}
