import type { Big } from '../../domain/money';

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
