import { Big, formatDecimal } from './money';
import { DomainValidationError } from './errors';

export interface PnlInput {
  initialBase: Big;
  initialQuote: Big;
  /** Liquidity added minus removed since start (may be negative). */
  netBaseContributed: Big;
  netQuoteContributed: Big;
  currentBase: Big;
  currentQuote: Big;
  mid: Big;
  /** Fees earned in quote units; assumed already included in the current balances. */
  fees: Big;
}

export interface PnlResult {
  /** What the starting holdings plus net contributions would be worth today had we only held them. */
  holdValue: Big;
  currentValue: Big;
  /** currentValue - holdValue: the mark-to-market P&L the risk limit uses. */
  totalPnl: Big;
  /** totalPnl without fees: what quoting itself (spread capture minus adverse selection) made. */
  tradePnl: Big;
  fees: Big;
  /** totalPnl / holdValue x 100, rounded half-up to 8 decimals; 0 for a zero hold value. */
  returnPct: Big;
}

/**
 * P&L against a buy-and-hold benchmark at today's mid. Contributions enter the benchmark at
 * their quantities, so adding or removing liquidity never shows up as profit or loss.
 */
export function computePnl(input: PnlInput): PnlResult {
  if (input.mid.lte(0))
    throw new DomainValidationError('mid', `mid must be positive, got "${formatDecimal(input.mid)}"`);
  for (const field of ['initialBase', 'initialQuote', 'currentBase', 'currentQuote'] as const) {
    if (input[field].lt(0))
      throw new DomainValidationError(
        field,
        `${field} must not be negative, got "${formatDecimal(input[field])}"`,
      );
  }
  const holdValue = input.initialBase
    .plus(input.netBaseContributed)
    .times(input.mid)
    .plus(input.initialQuote)
    .plus(input.netQuoteContributed);
  const currentValue = input.currentBase.times(input.mid).plus(input.currentQuote);
  const totalPnl = currentValue.minus(holdValue);
  const returnPct = holdValue.eq(0)
    ? new Big(0)
    : totalPnl.div(holdValue).times(100).round(8, Big.roundHalfUp);
  return {
    holdValue,
    currentValue,
    totalPnl,
    tradePnl: totalPnl.minus(input.fees),
    fees: input.fees,
    returnPct,
  };
}
