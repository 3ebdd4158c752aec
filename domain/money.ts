import Big from 'big.js';
import { DomainValidationError, describeValue } from './errors';

/*
 * Global big.js settings. Divisions (ratios, sqrt) need far more than the default 20 places so
 * that rounding to a tick or lot afterwards is decided by the explicit rounding modes of the helpers here and
 * not by an earlier silent truncation. NE/PE are widened so even `toString()` elsewhere never
 * falls into exponent notation; formatDecimal does not rely on it and uses toFixed().
 */
Big.DP = 40;
Big.NE = -1_000_000;
Big.PE = 1_000_000;

export { Big };

export interface ParseDecimalOptions {
  /** Default false: amounts, prices and sizes are non-negative unless the caller says so. */
  allowNegative?: boolean;
  /** Default true: zero is a valid balance; callers pass false for order sizes and prices. */
  allowZero?: boolean;
  maxDecimals?: number;
  /** Digits before the decimal point: 18 allows values below 1e18. */
  maxIntegerDigits?: number;
}

/*
 * Bounds for values that enter from outside. Prices, sizes, amounts and shares: below 1e18 (a
 * billion billion units, far past any real pool) with at most 18 decimals (the finest unit of
 * common tokens, and the share grid). Basis points: at most 10000 (100%) with at most 4 decimals.
 * Within them every product and quotient the pool computes stays exact at big.js's 40 places, and
 * a value of 44 digits or 1e-25 is refused at the boundary instead of stored.
 */
export const AMOUNT_LIMITS = { maxIntegerDigits: 18, maxDecimals: 18 } as const satisfies ParseDecimalOptions;
export const BPS_LIMITS = { maxIntegerDigits: 5, maxDecimals: 4 } as const satisfies ParseDecimalOptions;

// Plain decimal only: no '+', no exponent, no leading/trailing dot, no hex, no spaces.
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;
// Refuse absurdly long inputs before big.js allocates digit arrays for them.
const MAX_DECIMAL_LENGTH = 100;

function describeExpectation(opts: ParseDecimalOptions): string {
  const allowNegative = opts.allowNegative ?? false;
  const allowZero = opts.allowZero ?? true;
  const sign = allowNegative ? (allowZero ? '' : 'non-zero ') : allowZero ? 'non-negative ' : 'positive ';
  const bounds = [
    opts.maxIntegerDigits === undefined ? undefined : `below 1e${opts.maxIntegerDigits}`,
    opts.maxDecimals === undefined ? undefined : `with at most ${opts.maxDecimals} decimals`,
  ].filter(Boolean);
  return `a ${sign}decimal string such as "12.5"${bounds.length ? ` ${bounds.join(' ')}` : ''}`;
}

/**
 * Strict boundary parser: only decimal strings. JS numbers are refused on purpose because a
 * value like 0.1 + 0.2 has already lost precision by the time it arrives here.
 */
export function parseDecimal(value: unknown, field: string, opts: ParseDecimalOptions = {}): Big {
  const expected = describeExpectation(opts);
  if (typeof value !== 'string') {
    throw new DomainValidationError(field, `${field} must be ${expected}, got ${describeValue(value)}`);
  }
  if (value.length === 0 || value.trim().length === 0) {
    throw new DomainValidationError(field, `${field} must be ${expected}, got an empty string`);
  }
  if (value.length > MAX_DECIMAL_LENGTH) {
    throw new DomainValidationError(
      field,
      `${field} must be ${expected} of at most ${MAX_DECIMAL_LENGTH} characters, got ${value.length} characters`,
    );
  }
  if (!DECIMAL_RE.test(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be ${expected} (plain digits, optional '-' and one '.', no exponent, no '+', no spaces), got ${describeValue(value)}`,
    );
  }
  return checkDecimal(new Big(value), value, field, opts);
}

/**
 * For simulations and internal tooling where numbers are unavoidable. The number is converted
 * through its shortest round-trip string, so 0.1 stays "0.1" (but 0.1 + 0.2 becomes
 * "0.30000000000000004": that is the number the caller actually holds).
 */
export function parseDecimalLoose(value: unknown, field: string, opts: ParseDecimalOptions = {}): Big {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new DomainValidationError(
        field,
        `${field} must be a finite number or ${describeExpectation(opts)}, got ${String(value)}`,
      );
    }
    return checkDecimal(new Big(value), String(value), field, opts);
  }
  return parseDecimal(value, field, opts);
}

function checkDecimal(b: Big, raw: string, field: string, opts: ParseDecimalOptions): Big {
  const allowNegative = opts.allowNegative ?? false;
  const allowZero = opts.allowZero ?? true;
  if (b.lt(0) && !allowNegative) {
    throw new DomainValidationError(
      field,
      `${field} must not be negative, got "${raw}"; expected ${describeExpectation(opts)}`,
    );
  }
  if (b.eq(0) && !allowZero) {
    throw new DomainValidationError(
      field,
      `${field} must not be zero; expected ${describeExpectation(opts)}`,
    );
  }
  if (opts.maxDecimals !== undefined && decimalPlaces(b) > opts.maxDecimals) {
    throw new DomainValidationError(
      field,
      `${field} has ${decimalPlaces(b)} decimals, at most ${opts.maxDecimals} allowed, got ${shortRaw(raw)}; expected ${describeExpectation(opts)}`,
    );
  }
  if (opts.maxIntegerDigits !== undefined && integerDigits(b) > opts.maxIntegerDigits) {
    throw new DomainValidationError(
      field,
      `${field} has ${integerDigits(b)} digits before the decimal point, at most ${opts.maxIntegerDigits} allowed, got ${shortRaw(raw)}; expected ${describeExpectation(opts)}`,
    );
  }
  // Normalise "-0" so it never leaks out as a negative zero.
  return b.eq(0) ? new Big(0) : b;
}

function shortRaw(raw: string): string {
  return raw.length > 40 ? `"${raw.slice(0, 37)}..."` : `"${raw}"`;
}

/** Digits before the decimal point, 0 for a value below 1 (big.js keeps the exponent in `e`). */
export function integerDigits(b: Big): number {
  return b.eq(0) ? 0 : Math.max(0, b.e + 1);
}

/** Number of significant decimals (big.js already strips trailing zeros). */
export function decimalPlaces(b: Big): number {
  return Math.max(0, b.c.length - b.e - 1);
}

/**
 * Canonical boundary form: plain notation, never an exponent, trailing zeros stripped
 * ("1.50" -> "1.5", "2.0" -> "2"), no negative zero. One canonical form makes decimal strings
 * comparable as strings in events and tests.
 */
export function formatDecimal(b: Big): string {
  return b.toFixed();
}

function requirePositiveStep(step: Big, field: string): void {
  if (step.lte(0)) {
    throw new DomainValidationError(
      field,
      `${field} must be a positive step size, got "${formatDecimal(step)}"`,
    );
  }
}

/** Bids round down and asks up, so rounding can only ever make our quote less aggressive. */
export function roundPriceToTick(price: Big, tick: Big, side: 'bid' | 'ask'): Big {
  requirePositiveStep(tick, 'tickSize');
  return side === 'bid' ? floorToStep(price, tick) : ceilToStep(price, tick);
}

/** Quantities round down: never offer more than the caller asked for. */
export function roundQtyToLot(qty: Big, lot: Big): Big {
  requirePositiveStep(lot, 'lotSize');
  return floorToStep(qty, lot);
}

export function isOnGrid(value: Big, step: Big): boolean {
  requirePositiveStep(step, 'step');
  return value.mod(step).eq(0);
}

export function notional(price: Big, qty: Big): Big {
  return price.times(qty);
}

export function floorToStep(value: Big, step: Big): Big {
  requirePositiveStep(step, 'step');
  const q = truncatedQuotient(value, step);
  const exact = q.times(step);
  return value.lt(exact) ? exact.minus(step) : exact;
}

export function ceilToStep(value: Big, step: Big): Big {
  requirePositiveStep(step, 'step');
  const q = truncatedQuotient(value, step);
  const exact = q.times(step);
  return value.gt(exact) ? exact.plus(step) : exact;
}

/**
 * Integer part of value / step. A full division at Big.DP = 40 digits would dominate the cost of
 * a quote; only the integer part is needed, so divide at 0 places rounding toward zero (what
 * big.js's own `mod` does). Synchronous, so the temporary global setting cannot leak.
 */
export function truncatedQuotient(value: Big, step: Big): Big {
  return divideAt(value, step, 0, Big.roundDown);
}

/** a / b to `dp` places with an explicit rounding mode, independent of the global Big.DP. */
export function divideAt(a: Big, b: Big, dp: number, rm: Big.RoundingMode): Big {
  const savedDp = Big.DP;
  const savedRm = Big.RM;
  Big.DP = dp;
  Big.RM = rm;
  try {
    return a.div(b);
  } finally {
    Big.DP = savedDp;
    Big.RM = savedRm;
  }
}

/*
 * Ratios such as an inventory share are compared with thresholds given to a handful of decimals
 * and feed model parameters; 24 places is far past anything that can matter, and a 40-place
 * division of two long reserves was the largest single cost of a quote.
 */
export const RATIO_DECIMALS = 24;

/*
 * Exact constants for scaling by basis points and halves: multiplying by them avoids a 40-digit
 * long division, which costs about as much as the rest of a quote.
 */
export const ONE_BASIS_POINT = new Big('0.0001');
export const HALF = new Big('0.5');

/** Significant digits kept when a Math.* result enters price arithmetic (see modelNumberToBig). */
export const MODEL_SIGNIFICANT_DIGITS = 15;

/**
 * Model maths (log, sqrt, exp) runs in floating point; its results are cut to a fixed number of
 * significant digits before they touch prices, so the binary noise in the last bits of a double
 * can never decide which tick a quote lands on in a way that differs between runs or platforms.
 */
export function modelNumberToBig(x: number, field: string): Big {
  if (!Number.isFinite(x)) {
    throw new DomainValidationError(
      field,
      `${field} must be a finite number, the model produced ${String(x)}`,
    );
  }
  return new Big(x.toPrecision(MODEL_SIGNIFICANT_DIGITS));
}

export function bigMin(a: Big, b: Big): Big {
  return a.lt(b) ? a : b;
}
export function bigMax(a: Big, b: Big): Big {
  return a.gt(b) ? a : b;
}

/** Big from a model parameter such as 0.2: via its shortest string, so 0.2 is exactly "0.2". */
export function ratioToBig(x: number, field: string): Big {
  if (!Number.isFinite(x)) {
    throw new DomainValidationError(field, `${field} must be a finite number, got ${String(x)}`);
  }
  return new Big(x);
}
