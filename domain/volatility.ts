import { Big, parseDecimal } from './money';
import { DomainValidationError } from './errors';
import type { SpreadPolicy, VolatilityConfig } from './config';

export type VolatilityRegime = 'normal' | 'high' | 'extreme';

export interface PricePoint {
  /** Epoch milliseconds. Passed in by the caller: the domain never reads a clock. */
  ts: number;
  price: Big | string;
}

export type VolatilityEstimatorConfig = Pick<
  VolatilityConfig,
  'method' | 'window' | 'ewmaLambda' | 'horizonSeconds'
>;

function toPrice(point: PricePoint, index: number): number {
  const field = `prices[${index}].price`;
  const price =
    typeof point.price === 'string' ? parseDecimal(point.price, field, { allowZero: false }) : point.price;
  if (price.lte(0)) {
    throw new DomainValidationError(
      field,
      `${field} must be positive to take a log return, got "${price.toFixed()}"`,
    );
  }
  // Volatility is a model parameter: double precision is ample for a log return.
  return Number(price.toFixed());
}

/**
 * Standard deviation of log returns over the last `window` returns, scaled from the mean
 * sampling interval to `horizonSeconds` by the square-root-of-time rule, so a threshold of 0.05
 * means "5% per horizon" whatever the tick rate. `rolling` is the sample standard deviation
 * (n - 1); `ewma` is RiskMetrics (zero mean, seeded with the first squared return), which reacts
 * faster to a burst. Fewer than 2 returns gives 0: no evidence of movement is not evidence of risk,
 * and the price-age risk limit covers a silent feed. Points must be in time order.
 */
export function estimateVolatility(prices: readonly PricePoint[], cfg: VolatilityEstimatorConfig): number {
  const recent = prices.slice(Math.max(0, prices.length - (cfg.window + 1)));
  const offset = prices.length - recent.length;
  if (recent.length < 3) return 0;

  const values: number[] = [];
  for (let i = 0; i < recent.length; i++) {
    const point = recent[i]!;
    const field = `prices[${offset + i}].ts`;
    if (!Number.isFinite(point.ts))
      throw new DomainValidationError(
        field,
        `${field} must be a finite epoch-millisecond timestamp, got ${point.ts}`,
      );
    const prev = recent[i - 1];
    if (prev && point.ts < prev.ts) {
      throw new DomainValidationError(
        field,
        `${field} must not be earlier than the previous point (${prev.ts}), got ${point.ts}; expected points in time order`,
      );
    }
    values.push(toPrice(point, offset + i));
  }
  const returns: number[] = [];
  for (let i = 1; i < values.length; i++) returns.push(Math.log(values[i]! / values[i - 1]!));

  const spanSeconds = (recent[recent.length - 1]!.ts - recent[0]!.ts) / 1000;
  if (spanSeconds <= 0) {
    throw new DomainValidationError(
      'prices',
      'prices all share one timestamp; expected points spread over time so the volatility can be scaled to its horizon',
    );
  }
  return volatilityOfReturns(returns, 0, returns.length, spanSeconds, cfg);
}

/**
 * The scaled volatility of log returns xs[from..to) spanning `spanSeconds` (the estimator's last
 * step, shared with the backtester's incremental window so both compute the same double).
 */
export function volatilityOfReturns(
  xs: ArrayLike<number>,
  from: number,
  to: number,
  spanSeconds: number,
  cfg: VolatilityEstimatorConfig,
): number {
  const meanIntervalSeconds = spanSeconds / (to - from);
  const perInterval =
    cfg.method === 'ewma' ? ewmaStdev(xs, from, to, cfg.ewmaLambda) : sampleStdev(xs, from, to);
  return perInterval * Math.sqrt(cfg.horizonSeconds / meanIntervalSeconds);
}

function sampleStdev(xs: ArrayLike<number>, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum = sum + xs[i]!;
  const mean = sum / (to - from);
  let ss = 0;
  for (let i = from; i < to; i++) ss = ss + (xs[i]! - mean) ** 2;
  return Math.sqrt(ss / (to - from - 1));
}

function ewmaStdev(xs: ArrayLike<number>, from: number, to: number, lambda: number): number {
  let variance = xs[from]! ** 2;
  const fresh = 1 - lambda;
  for (let i = from + 1; i < to; i++) variance = lambda * variance + fresh * xs[i]! ** 2;
  return Math.sqrt(variance);
}

/** Strictly above a threshold moves up a regime: exactly 5% is still normal. */
const REGIME_RANK: Readonly<Record<VolatilityRegime, number>> = { normal: 0, high: 1, extreme: 2 };

/**
 * The regime of a volatility estimate. Entering a regime takes a value strictly above its
 * threshold; with `previous` given, leaving it takes a value at or below threshold x (1 - hysteresis).
 */
export function volatilityRegime(
  volatility: number,
  policy: Pick<SpreadPolicy, 'highVolatilityThreshold' | 'extremeVolatilityThreshold'> & {
    volatilityRegimeHysteresis?: number;
  },
  previous?: VolatilityRegime,
): VolatilityRegime {
  if (!Number.isFinite(volatility) || volatility < 0) {
    throw new DomainValidationError(
      'volatility',
      `volatility must be a finite non-negative number, got ${volatility}`,
    );
  }
  const raw: VolatilityRegime =
    volatility > policy.extremeVolatilityThreshold
      ? 'extreme'
      : volatility > policy.highVolatilityThreshold
        ? 'high'
        : 'normal';
  if (!previous || REGIME_RANK[previous] <= REGIME_RANK[raw]) return raw;
  const stay = 1 - (policy.volatilityRegimeHysteresis ?? 0);
  if (previous === 'extreme' && volatility > policy.extremeVolatilityThreshold * stay) return 'extreme';
  if (volatility > policy.highVolatilityThreshold * stay) return 'high';
  return 'normal';
}
