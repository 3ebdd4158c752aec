import { DomainValidationError } from './errors';
import { Big } from './money';

/*
 * Avellaneda-Stoikov and GLFT take gamma and k in absolute units (config.ts): k per quote unit of
 * distance, gamma per quote unit of price variance. Both are therefore tied to one price scale. At
 * their defaults (gamma 0.1, k 1.5) and a 2% hourly volatility, the level-0 spread is about 20 bps
 * on ETH/USDC at 2,000, 400 bps on BTC/USDC at 60,000, and on ETH/BTC at 0.03 the bid falls below
 * zero (docs/MULTI_ASSET.md has the table).
 *
 * Written relative to the mid instead, gamma = gammaRel / mid and k = kPerBps x 10,000 / mid, every
 * distance both models produce is proportional to the mid (sigma itself is vol x mid): the same
 * relative parameters give the same spread in bps at any price. q is in units of the base order
 * size, so sizing orders by value (pairs.ts baseSizeForQuoteValue) keeps it scale-free too.
 */

export interface RelativeModelParameters {
  /** Risk aversion per unit of relative variance: gamma x mid. */
  gammaRel: number;
  /** Order-arrival decay per basis point of distance from the mid: k x mid / 10,000. */
  kPerBps: number;
}

export interface AbsoluteModelParameters {
  gamma: number;
  k: number;
}

function positive(v: number, field: string): void {
  if (!Number.isFinite(v) || v <= 0) {
    throw new DomainValidationError(field, `${field} must be a positive finite number, got ${String(v)}`);
  }
}

function midNumber(mid: Big): number {
  if (mid.lte(0)) throw new DomainValidationError('mid', `mid must be positive, got "${mid.toFixed()}"`);
  return Number(mid.toPrecision(15));
}

/** The absolute gamma and k the strategies take, for a pool quoting around `mid`. */
export function absoluteModelParameters(mid: Big, rel: RelativeModelParameters): AbsoluteModelParameters {
  positive(rel.gammaRel, 'gammaRel');
  positive(rel.kPerBps, 'kPerBps');
  const m = midNumber(mid);
  return { gamma: rel.gammaRel / m, k: (rel.kPerBps * 10_000) / m };
}

/**
 * The relative form of absolute parameters calibrated at `mid`: how to carry a tuning done on
 * ETH/USDC at 2,000 to a pair at any other price.
 */
export function relativeModelParameters(mid: Big, abs: AbsoluteModelParameters): RelativeModelParameters {
  positive(abs.gamma, 'gamma');
  positive(abs.k, 'k');
  const m = midNumber(mid);
  return { gammaRel: abs.gamma * m, kPerBps: (abs.k * m) / 10_000 };
}
