import { DomainValidationError, describeValue } from '../../domain/errors';
import { Big, formatDecimal } from '../../domain/money';
import type { HedgeFill, HedgeOrder, HedgeVenue } from './port';

export interface SimulatedHedgeVenueOptions {
  name?: string;
  /** Price concession per fill in basis points, from 0 up to (not including) 10000. Decimal string or number. */
  slippageBps: string | number;
  /** Fee in basis points of the gross quote value, charged in quote. Decimal string or number. */
  feeBps: string | number;
  /** Decimals of the execution price. */
  priceDecimals: number;
  /** Decimals of the filled base quantity (the venue's lot). */
  baseDecimals: number;
  /** Decimals of quote amounts and fees. */
  quoteDecimals: number;
}

const BPS = new Big(10_000);

function bps(value: string | number, field: string): Big {
  const raw = typeof value === 'number' ? String(value) : value;
  let b: Big;
  try {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error();
    b = new Big(raw);
  } catch {
    throw new DomainValidationError(
      field,
      `${field} must be a decimal number of basis points such as "5", got ${describeValue(value)}`,
    );
  }
  if (b.lt(0) || b.gte(BPS)) {
    throw new DomainValidationError(
      field,
      `${field} must be from 0 to below 10000 basis points, got ${formatDecimal(b)}`,
    );
  }
  return b;
}

function decimals(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 30) {
    throw new DomainValidationError(field, `${field} must be an integer from 0 to 30, got ${String(value)}`);
  }
  return value;
}

/**
 * Deterministic venue for demos and tests: fills everything at the reference price moved
 * against us by the slippage, plus a fee. Every rounding goes in the venue's favour (we pay
 * more, receive less, get no more base than asked), so simulated P&L is never flattered by
 * rounding. `fill` is pure; `execute` only wraps it to satisfy the async port.
 */
export class SimulatedHedgeVenue implements HedgeVenue {
  readonly name: string;
  private readonly slippage: Big;
  private readonly fee: Big;
  private readonly priceDp: number;
  private readonly baseDp: number;
  private readonly quoteDp: number;

  constructor(opts: SimulatedHedgeVenueOptions) {
    this.name = opts.name ?? 'simulated-hedge';
    this.slippage = bps(opts.slippageBps, 'slippageBps');
    this.fee = bps(opts.feeBps, 'feeBps');
    this.priceDp = decimals(opts.priceDecimals, 'priceDecimals');
    this.baseDp = decimals(opts.baseDecimals, 'baseDecimals');
    this.quoteDp = decimals(opts.quoteDecimals, 'quoteDecimals');
  }

  fill(order: HedgeOrder): HedgeFill {
    if (order.side !== 'buy' && order.side !== 'sell') {
      throw new DomainValidationError(
        'side',
        `side must be "buy" or "sell" (of base), got ${describeValue(order.side)}`,
      );
    }
    if (!(order.referencePrice instanceof Big) || order.referencePrice.lte(0)) {
      throw new DomainValidationError('referencePrice', 'referencePrice must be a positive Big');
    }
    if (!(order.baseAmount instanceof Big) || order.baseAmount.lte(0)) {
      throw new DomainValidationError('baseAmount', 'baseAmount must be a positive Big');
    }
    const baseAmount = order.baseAmount.round(this.baseDp, Big.roundDown);
    if (baseAmount.eq(0)) {
      throw new DomainValidationError(
        'baseAmount',
        `baseAmount ${formatDecimal(order.baseAmount)} is below the venue's smallest lot (${this.baseDp} decimals); hedge a larger amount`,
      );
    }
    const buy = order.side === 'buy';
    // Buying we pay more and selling we receive less: round up on buys, down on sells.
    const against = buy ? Big.roundUp : Big.roundDown;
    const factor = buy ? BPS.plus(this.slippage) : BPS.minus(this.slippage);
    const price = order.referencePrice.times(factor).div(BPS).round(this.priceDp, against);
    if (price.eq(0)) {
      throw new DomainValidationError(
        'referencePrice',
        `referencePrice ${formatDecimal(order.referencePrice)} rounds to a zero fill price at ${this.priceDp} price decimals; configure more priceDecimals`,
      );
    }
    const quoteAmount = price.times(baseAmount).round(this.quoteDp, against);
    const fee = quoteAmount.times(this.fee).div(BPS).round(this.quoteDp, Big.roundUp);
    const netQuoteAmount = buy ? quoteAmount.plus(fee) : quoteAmount.minus(fee);
    return { side: order.side, price, baseAmount, quoteAmount, fee, netQuoteAmount };
  }

  /** Fills already given, by client order id, as a real venue remembers them. */
  private readonly fills = new Map<string, HedgeFill>();

  async execute(order: HedgeOrder): Promise<HedgeFill> {
    const known = order.clientOrderId === undefined ? undefined : this.fills.get(order.clientOrderId);
    if (known) return known;
    const fill = this.fill(order);
    if (order.clientOrderId !== undefined) this.fills.set(order.clientOrderId, fill);
    return fill;
  }
}
