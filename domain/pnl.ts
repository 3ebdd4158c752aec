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
  /** Trading fees the pool earned since start, in quote; already in the current balances. */
  tradingFeesEarned: Big;
  /** Fees paid to the hedge venue since start, in quote; already taken from the current balances. */
  hedgeFeesPaid: Big;
  /**
   * The capital at risk: the most ever contributed, each contribution valued in quote when it was
   * made. Null when it is not known; a return is then not defined.
   */
  peakCapital: Big | null;
}

export interface PnlResult {
  /** What the starting holdings plus net contributions would be worth today had we only held them. */
  holdValue: Big;
  currentValue: Big;
  /** currentValue - holdValue: the mark-to-market P&L the risk limit uses, every fee included. */
  totalPnl: Big;
  /** totalPnl before fees: what quoting and hedging prices (spread capture minus adverse selection) made. */
  tradePnl: Big;
  feesEarned: Big;
  feesPaid: Big;
  /** feesEarned - feesPaid. */
  fees: Big;
  capitalAtRisk: Big | null;
  /**
   * totalPnl / capitalAtRisk x 100, rounded half-up to 8 decimals. Null (not 0) when no capital was
   * ever at risk or it is not known: a hold value can be zero or negative after withdrawals, and a
   * percentage of that means nothing.
   */
  returnPct: Big | null;
}

/**
 * P&L against a buy-and-hold benchmark at today's mid. Contributions enter the benchmark at
 * their quantities, so adding or removing liquidity never shows up as profit or loss.
 */
export function computePnl(input: PnlInput): PnlResult {
  if (input.mid.lte(0))
    throw new DomainValidationError('mid', `mid must be positive, got "${formatDecimal(input.mid)}"`);
  for (const field of [
    'initialBase',
    'initialQuote',
    'currentBase',
    'currentQuote',
    'tradingFeesEarned',
    'hedgeFeesPaid',
  ] as const) {
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
  const fees = input.tradingFeesEarned.minus(input.hedgeFeesPaid);
  const capital = input.peakCapital !== null && input.peakCapital.gt(0) ? input.peakCapital : null;
  return {
    holdValue,
    currentValue,
    totalPnl,
    tradePnl: totalPnl.minus(fees),
    feesEarned: input.tradingFeesEarned,
    feesPaid: input.hedgeFeesPaid,
    fees,
    capitalAtRisk: input.peakCapital,
    returnPct: capital === null ? null : totalPnl.div(capital).times(100).round(8, Big.roundHalfUp),
  };
}
