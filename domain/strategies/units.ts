import { Big, modelNumberToBig, ONE_BASIS_POINT } from '../money';
import type { ParameterUnits } from '../config';

/*
 * The A-S and GLFT formulas are unit-agnostic: every distance, price and volatility in one unit.
 * The decimal pipeline and the float fast path both run them in the strategy's "model unit" and
 * convert the results to price with the helpers below (see config.ts for the dimensional analysis).
 */

export const BPS_PER_UNIT = 10_000;

/** Quote units in one model unit: a basis point of the mid (mid_relative) or one quote unit (price). */
export function modelUnitPrice(units: ParameterUnits, mid: number): number {
  return units === 'mid_relative' ? mid / BPS_PER_UNIT : 1;
}

/** The mid in model units: always 10,000 bps when mid-relative. */
export function midInModelUnits(units: ParameterUnits, mid: number): number {
  return units === 'mid_relative' ? BPS_PER_UNIT : mid;
}

/**
 * Volatility in model units per sqrt(second), from a relative volatility per horizon:
 * vol x 10^4 / sqrt(h) bps (mid-relative, independent of the mid) or vol x mid / sqrt(h) (price).
 */
export function modelSigma(
  units: ParameterUnits,
  volatility: number,
  horizonSeconds: number,
  mid: number,
): number {
  return (volatility * midInModelUnits(units, mid)) / Math.sqrt(horizonSeconds);
}

/**
 * k per model unit from an intensity fitted per basis point of mid (lambda = A exp(-k d_bps)):
 * unchanged when mid-relative, k x 10^4 / mid per quote unit.
 */
export function kFromBps(units: ParameterUnits, kPerBps: number, mid: number): number {
  return units === 'mid_relative' ? kPerBps : (kPerBps * BPS_PER_UNIT) / mid;
}

/**
 * A model distance as a price. Mid-relative results are multiplied by the exact Big mid, so the
 * quote is exactly proportional to the mid and the mid's own digits are never rounded.
 */
export function modelDistanceToPrice(units: ParameterUnits, x: number, mid: Big, field: string): Big {
  const value = modelNumberToBig(x, field);
  return units === 'mid_relative' ? mid.times(value).times(ONE_BASIS_POINT) : value;
}
