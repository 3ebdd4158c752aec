import { Big, ceilToStep, decimalPlaces, floorToStep, parseDecimal, truncatedQuotient } from '../../money';
import { DomainValidationError } from '../../errors';

/** Integers up to this size are exact doubles and stay exact through sums and products below it. */
export const EXACT_INTEGER = 2 ** 53;
/** Largest grid index (price in ticks) the fast quoter handles in floats; beyond it, decimals. */
export const MAX_GRID_INDEX = 2 ** 50;
/** Unit roundoff of a double. */
export const U = 2 ** -53;

/**
 * A decimal step (tick or lot) as float, as numerator/10^decimals, and as Big. Decides where a
 * double input falls on the grid exactly, without decimal arithmetic in the common case.
 *
 * Exactness argument: the decimal a double x stands for is its shortest round-trip string X (what
 * `new Big(x)` reads). For the grid point G = n x step, the double g = (n x numerator) / 10^decimals
 * is the correctly rounded value of G when both operands are exact doubles. Rounding is monotone,
 * so x > g implies X > G and x < g implies X < G; x = g implies X = G when G has at most 15
 * significant digits (two such decimals never share a double). Anything else is decided in Big.
 */
export class DecimalGrid {
  readonly big: Big;
  readonly f: number;
  private readonly numerator: number;
  private readonly scale: number;

  constructor(value: string, field: string) {
    this.big = parseDecimal(value, field, { allowZero: false });
    const decimals = decimalPlaces(this.big);
    const numerator = this.big.times(new Big(10).pow(decimals));
    if (decimals > 22 || numerator.gte(1e15)) {
      throw new DomainValidationError(
        field,
        `${field} must have at most 15 significant digits and 22 decimals for fast quoting, got "${value}"`,
      );
    }
    this.f = this.big.toNumber();
    this.numerator = numerator.toNumber();
    this.scale = 10 ** decimals;
  }

  /** floor(X / step) for the decimal X the double x stands for. */
  floorOf(x: number): number {
    switch (this.locate(x)) {
      case CLEAR:
        return this.n;
      case NEAR:
        return this.cmp < 0 ? this.n - 1 : this.n;
      default:
        return this.slowIndex(floorToStep(new Big(x), this.big));
    }
  }

  /** ceil(X / step) for the decimal X the double x stands for. */
  ceilOf(x: number): number {
    switch (this.locate(x)) {
      case CLEAR:
        return this.n + 1;
      case NEAR:
        return this.cmp > 0 ? this.n + 1 : this.n;
      default:
        return this.slowIndex(ceilToStep(new Big(x), this.big));
    }
  }

  /**
   * The double nearest to index x step (what `Number` of the decimal gives), for callers that
   * simulate in doubles: (index x numerator) / 10^decimals is correctly rounded while exact.
   */
  toNumber(index: number): number {
    const m = index * this.numerator;
    return Math.abs(m) < EXACT_INTEGER ? m / this.scale : this.slowNumber(index);
  }

  // Apart from toNumber, which then stays small enough to inline into a caller's loop.
  private slowNumber(index: number): number {
    return new Big(index).times(this.big).toNumber();
  }

  /** Grid index of a Big that lies on the grid. */
  slowIndex(onGrid: Big): number {
    return truncatedQuotient(onGrid, this.big).toNumber();
  }

  // Result registers of locate(), so the hot path allocates nothing.
  private n = 0;
  private cmp = 0;

  /**
   * CLEAR: X lies strictly between grid points n and n + 1. NEAR: n is the nearest grid index
   * and cmp the sign of X - n step. SLOW: only decimals can tell.
   */
  private locate(x: number): number {
    const f = x / this.f;
    if (!(Math.abs(f) < MAX_GRID_INDEX)) return SLOW;
    const n = Math.round(f);
    // f is within 3 roundings of X / step; 8 leaves a margin.
    if (Math.abs(f - n) > 8 * U * Math.abs(f)) {
      this.n = Math.floor(f);
      return CLEAR;
    }
    const m = n * this.numerator;
    if (!(Math.abs(m) < EXACT_INTEGER)) return SLOW;
    const g = m / this.scale;
    this.n = n;
    if (x !== g) {
      this.cmp = x > g ? 1 : -1;
      return NEAR;
    }
    this.cmp = 0;
    return Math.abs(m) < 1e15 ? NEAR : SLOW;
  }
}

const CLEAR = 0;
const NEAR = 1;
const SLOW = 2;
