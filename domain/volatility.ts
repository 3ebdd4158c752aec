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
  const perInterval =
    cfg.method === 'ewma' ? ewmaStdev(xs, from, to, cfg.ewmaLambda) : sampleStdev(xs, from, to);
  return toHorizon(perInterval, spanSeconds, to - from, cfg);
}

/**
 * volatilityOfReturns (method 'ewma') of four windows of one series at once, each one return
 * after the last: xs[from + j, to + j) spanning spans[j] seconds, into out[j], j < 4. The same
 * operations in the same order as four single calls, so the same doubles; the four chains of
 * dependent multiply-adds overlap instead of waiting on each other (a backtester that knows its
 * path ahead reduces four steps' windows in the time of about one).
 */
export function ewmaVolatilities4(
  xs: ArrayLike<number>,
  from: number,
  to: number,
  spans: ArrayLike<number>,
  cfg: VolatilityEstimatorConfig,
  out: { [j: number]: number },
): void {
  const lambda = cfg.ewmaLambda;
  const fresh = 1 - lambda;
  let v0 = xs[from]! ** 2;
  let v1 = xs[from + 1]! ** 2;
  let v2 = xs[from + 2]! ** 2;
  let v3 = xs[from + 3]! ** 2;
  for (let i = from + 1; i < to; i++) {
    v0 = ewmaStep(v0, xs[i]!, lambda, fresh);
    v1 = ewmaStep(v1, xs[i + 1]!, lambda, fresh);
    v2 = ewmaStep(v2, xs[i + 2]!, lambda, fresh);
    v3 = ewmaStep(v3, xs[i + 3]!, lambda, fresh);
  }
  const n = to - from;
  out[0] = toHorizon(Math.sqrt(v0), spans[0]!, n, cfg);
  out[1] = toHorizon(Math.sqrt(v1), spans[1]!, n, cfg);
  out[2] = toHorizon(Math.sqrt(v2), spans[2]!, n, cfg);
  out[3] = toHorizon(Math.sqrt(v3), spans[3]!, n, cfg);
}

/** A per-interval deviation scaled to the horizon by the square-root-of-time rule. */
function toHorizon(
  perInterval: number,
  spanSeconds: number,
  count: number,
  cfg: VolatilityEstimatorConfig,
): number {
  const meanIntervalSeconds = spanSeconds / count;
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
  for (let i = from + 1; i < to; i++) variance = ewmaStep(variance, xs[i]!, lambda, fresh);
  return Math.sqrt(variance);
}

/** One RiskMetrics update: the one copy of the formula both loops above run. */
function ewmaStep(variance: number, x: number, lambda: number, fresh: number): number {
  return lambda * variance + fresh * x ** 2;
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
