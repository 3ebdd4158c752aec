import { Big, floorToStep, ceilToStep, bigMin, formatDecimal, divideAt, RATIO_DECIMALS } from './money';
import { DomainValidationError } from './errors';

/** Shares carry 18 decimals, like most LP tokens; minted shares always round down to this grid. */
export const SHARE_DECIMALS = 18;
/** Default asset precision for amounts taken or paid out when the caller does not give one. */
export const DEFAULT_ASSET_DECIMALS = 18;

function requireNonNegative(value: Big, field: string): void {
  if (value.lt(0)) {
    throw new DomainValidationError(field, `${field} must not be negative, got "${formatDecimal(value)}"`);
  }
}

function requirePositive(value: Big, field: string): void {
  if (value.lte(0)) {
    throw new DomainValidationError(field, `${field} must be positive, got "${formatDecimal(value)}"`);
  }
}

function gridStep(decimals: number, field: string): Big {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 36) {
    throw new DomainValidationError(field, `${field} must be an integer between 0 and 36, got ${decimals}`);
  }
  return new Big(`1e-${decimals}`);
}

/** Total value in quote units. Value-based throughout: base is always converted at `mid`. */
export function tvl(base: Big, quote: Big, mid: Big): Big {
  requireNonNegative(base, 'reserveBase');
  requireNonNegative(quote, 'reserveQuote');
  requirePositive(mid, 'mid');
  return base.times(mid).plus(quote);
}

/** The empty-pool share: an empty pool holds nothing, so it is defined as perfectly balanced. */
export const EMPTY_POOL_INVENTORY_SHARE = new Big('0.5');

/**
 * Share of the pool's value held in base, in [0, 1]. An empty pool returns 0.5 so that it reports
 * no imbalance (and triggers no rebalancing) rather than dividing by zero.
 */
export function inventoryShare(base: Big, quote: Big, mid: Big): Big {
  const total = tvl(base, quote, mid);
  if (total.eq(0)) return EMPTY_POOL_INVENTORY_SHARE;
  return divideAt(base.times(mid), total, RATIO_DECIMALS, Big.roundHalfUp);
}

/**
 * Base units the pool holds beyond (positive) or below (negative) the amount that would put it
 * exactly at `targetShare` by value.
 */
export function inventoryDeviationBase(base: Big, quote: Big, mid: Big, targetShare: Big): Big {
  const total = tvl(base, quote, mid);
  return base.minus(divideAt(targetShare.times(total), mid, RATIO_DECIMALS, Big.roundHalfUp));
}

export interface DepositInput {
  reserveBase: Big;
  reserveQuote: Big;
  totalShares: Big;
  base: Big;
  quote: Big;
  /** Precision of the pool's amounts; what is taken rounds up to this grid. Default 18. */
  assetDecimals?: number;
}

export interface DepositResult {
  sharesMinted: Big;
  baseTaken: Big;
  quoteTaken: Big;
  /** What the caller offered but the pool did not take: it stays with the LP. */
  baseRefund: Big;
  quoteRefund: Big;
}

/**
 * First deposit: shares = sqrt(base * quote) (the Uniswap v2 convention), which is independent
 * of any price and so cannot be gamed through a stale mid; it needs both assets.
 * Later deposits: the smaller of the two ratios decides; shares round down and the amounts taken
 * round up (capped at what was offered), so the pool's existing LPs never lose value to rounding.
 * No minimum-liquidity lock is applied: pools here are operated, not permissionless.
 */
export function sharesForDeposit(input: DepositInput): DepositResult {
  const { reserveBase, reserveQuote, totalShares, base, quote } = input;
  requireNonNegative(reserveBase, 'reserveBase');
  requireNonNegative(reserveQuote, 'reserveQuote');
  requireNonNegative(totalShares, 'totalShares');
  requireNonNegative(base, 'base');
  requireNonNegative(quote, 'quote');
  const assetDp = input.assetDecimals ?? DEFAULT_ASSET_DECIMALS;
  const assetStep = gridStep(assetDp, 'assetDecimals');
  const shareStep = gridStep(SHARE_DECIMALS, 'shareDecimals');

  if (totalShares.eq(0)) {
    if (reserveBase.gt(0) || reserveQuote.gt(0)) {
      throw new DomainValidationError(
        'totalShares',
        'totalShares is zero while the pool holds reserves; expected shares outstanding for a funded pool',
      );
    }
    requirePositive(base, 'base');
    requirePositive(quote, 'quote');
    const sharesMinted = floorToStep(base.times(quote).sqrt(), shareStep);
    requirePositive(sharesMinted, 'shares');
    return {
      sharesMinted,
      baseTaken: base,
      quoteTaken: quote,
      baseRefund: new Big(0),
      quoteRefund: new Big(0),
    };
  }

  if (reserveBase.eq(0) || reserveQuote.eq(0)) {
    // One-sided pools would let the ratio of one asset be infinite; refuse rather than guess.
    throw new DomainValidationError(
      'reserves',
      'reserves must both be positive when shares are outstanding; expected a two-sided pool',
    );
  }
  // Multiply before dividing so exact ratios (1/3 of 3 shares) stay exact.
  // Quotients rounded toward the pool before the grid rounding, so no double rounding can favour the LP.
  const byBase = divideAt(totalShares.times(base), reserveBase, SHARE_DECIMALS + 2, Big.roundDown);
  const byQuote = divideAt(totalShares.times(quote), reserveQuote, SHARE_DECIMALS + 2, Big.roundDown);
  const sharesMinted = floorToStep(bigMin(byBase, byQuote), shareStep);
  if (sharesMinted.lte(0)) {
    // Name the asset that limits the deposit: the one whose ratio is the smaller.
    const limiting = byQuote.lt(byBase) ? 'quote' : 'base';
    throw new DomainValidationError(
      limiting,
      `${limiting} is too small to mint any share of this pool; expected both base and quote large enough for at least 1e-18 shares`,
    );
  }
  const takeFor = (reserve: Big, offered: Big): Big =>
    bigMin(
      ceilToStep(divideAt(reserve.times(sharesMinted), totalShares, assetDp + 2, Big.roundUp), assetStep),
      offered,
    );
  const baseTaken = takeFor(reserveBase, base);
  const quoteTaken = takeFor(reserveQuote, quote);
  return {
    sharesMinted,
    baseTaken,
    quoteTaken,
    baseRefund: base.minus(baseTaken),
    quoteRefund: quote.minus(quoteTaken),
  };
}

export interface WithdrawalInput {
  reserveBase: Big;
  reserveQuote: Big;
  totalShares: Big;
  shares: Big;
  assetDecimals?: number;
}

export interface WithdrawalResult {
  base: Big;
  quote: Big;
}

/** Pro-rata payout, each asset rounded down to the asset grid in the pool's favour. */
export function withdrawalForShares(input: WithdrawalInput): WithdrawalResult {
  const { reserveBase, reserveQuote, totalShares, shares } = input;
  requireNonNegative(reserveBase, 'reserveBase');
  requireNonNegative(reserveQuote, 'reserveQuote');
  requirePositive(totalShares, 'totalShares');
  requirePositive(shares, 'shares');
  if (shares.gt(totalShares)) {
    throw new DomainValidationError(
      'shares',
      `shares must not exceed totalShares (${formatDecimal(totalShares)}), got "${formatDecimal(shares)}"`,
    );
  }
  const assetDp = input.assetDecimals ?? DEFAULT_ASSET_DECIMALS;
  const assetStep = gridStep(assetDp, 'assetDecimals');
  if (shares.eq(totalShares)) return { base: reserveBase, quote: reserveQuote };
  return {
    base: floorToStep(
      divideAt(reserveBase.times(shares), totalShares, assetDp + 2, Big.roundDown),
      assetStep,
    ),
    quote: floorToStep(
      divideAt(reserveQuote.times(shares), totalShares, assetDp + 2, Big.roundDown),
      assetStep,
    ),
  };
}
