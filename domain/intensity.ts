import type { StrategyConfig } from './config';
import { DomainValidationError } from './errors';

/*
 * Order-arrival intensity lambda(d) = A exp(-k d): the rate (per second) of taker orders that reach
 * a quote resting d basis points of mid away. A-S and GLFT price their spreads from A and k.
 *
 * The fit is Poisson maximum likelihood with exposure: a quote that rested T_i seconds at distance
 * d_i and was reached n_i times contributes n_i ln(A e^{-k d_i}) - A e^{-k d_i} T_i. Distances that
 * were quoted but never reached count (they pull k up); a log-linear regression of ln(n/T) would
 * have to drop them, and its ln of small Poisson counts is biased as well.
 */

export interface FillObservation {
  /** Distance of the quote from mid, in basis points of mid. */
  distance: number;
  /** Taker orders that reached the quote while it rested there. */
  fills: number;
  /** Seconds the quote rested at that distance. */
  exposureSeconds: number;
}

export interface IntensityParams {
  /** Arrivals per second at distance 0. */
  A: number;
  /** Decay per basis point of mid. */
  k: number;
}

export type IntensityFallbackReason =
  'no_exposure' | 'too_few_fills' | 'too_few_distances' | 'no_decay' | 'unbounded_k' | 'imprecise';

export interface IntensityFit extends IntensityParams {
  usedFallback: boolean;
  reason?: IntensityFallbackReason;
  /** Why the prior was used, in words an operator can act on. */
  detail?: string;
  /** Standard errors from the Fisher information at the estimate; null when the prior is used. */
  stdError: { A: number; k: number } | null;
  fills: number;
  exposureSeconds: number;
  /** Distinct distances (after binning) with exposure. */
  distances: number;
}

export interface IntensityFitOptions {
  /** Fewer fills than this cannot pin k down: the prior is used. */
  minFills?: number;
  /** A fit whose k has a larger relative standard error than this is not trusted. */
  maxRelativeStdError?: number;
  /** Observations are pooled into bins this wide (bps); 0 pools only equal distances. */
  binWidthBps?: number;
}

export const DEFAULT_MIN_FILLS = 20;
export const DEFAULT_MAX_RELATIVE_STD_ERROR = 0.5;

function validate(observations: readonly FillObservation[], prior: IntensityParams): void {
  observations.forEach((o, i) => {
    if (!Number.isFinite(o.distance) || o.distance < 0) {
      throw new DomainValidationError(
        `observations[${i}].distance`,
        `observations[${i}].distance must be a finite non-negative number of bps, got ${o.distance}`,
      );
    }
    if (!Number.isFinite(o.fills) || o.fills < 0) {
      throw new DomainValidationError(
        `observations[${i}].fills`,
        `observations[${i}].fills must be a finite non-negative count, got ${o.fills}`,
      );
    }
    if (!Number.isFinite(o.exposureSeconds) || o.exposureSeconds <= 0) {
      throw new DomainValidationError(
        `observations[${i}].exposureSeconds`,
        `observations[${i}].exposureSeconds must be a positive number of seconds, got ${o.exposureSeconds}`,
      );
    }
  });
  for (const key of ['A', 'k'] as const) {
    if (!Number.isFinite(prior[key]) || prior[key] <= 0) {
      throw new DomainValidationError(
        `prior.${key}`,
        `prior.${key} must be a positive number, got ${prior[key]}`,
      );
    }
  }
}

/** One bin: its fills, exposure, and the exposure-weighted mean distance that represents it. */
interface Bin {
  d: number;
  n: number;
  T: number;
}

/**
 * Pools observations by distance bin. A bin's distance is the exposure-weighted mean of what fell
 * in it, not its centre: the bin width then only limits resolution, it adds no bias of its own.
 */
export function binObservations(observations: readonly FillObservation[], widthBps = 0): FillObservation[] {
  const bins = new Map<number, { n: number; T: number; Td: number }>();
  for (const o of observations) {
    const key = widthBps > 0 ? Math.floor(o.distance / widthBps) : o.distance;
    const b = bins.get(key) ?? { n: 0, T: 0, Td: 0 };
    b.n += o.fills;
    b.T += o.exposureSeconds;
    b.Td += o.exposureSeconds * o.distance;
    bins.set(key, b);
  }
  return [...bins.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, b]) => ({ distance: b.Td / b.T, fills: b.n, exposureSeconds: b.T }));
}

/**
 * Under rate weights w_i = T_i e^{-k d_i}: the weighted mean and variance of d, and sum w.
 * Shifted by the smallest distance so large k cannot underflow every weight.
 */
function moments(bins: readonly Bin[], k: number, dMin: number) {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (const b of bins) {
    const w = b.T * Math.exp(-k * (b.d - dMin));
    s0 += w;
    s1 += w * (b.d - dMin);
    s2 += w * (b.d - dMin) ** 2;
  }
  const mean = s1 / s0;
  return { s0, mean: mean + dMin, variance: Math.max(0, s2 / s0 - mean * mean) };
}

/**
 * Fits A and k by maximising the profile likelihood in k (A has the closed form sum n / sum T e^{-kd}).
 * The score in k is N (m(k) - mean fill distance), where m(k), the rate-weighted mean quoted
 * distance, falls strictly with k: the likelihood is concave with one root, which is bracketed and
 * then found by Newton steps kept inside the bracket. Whenever the data cannot support a fit the
 * prior is returned, with the reason.
 */
export function fitIntensity(
  observations: readonly FillObservation[],
  prior: IntensityParams,
  options: IntensityFitOptions = {},
): IntensityFit {
  validate(observations, prior);
  const minFills = options.minFills ?? DEFAULT_MIN_FILLS;
  const maxRel = options.maxRelativeStdError ?? DEFAULT_MAX_RELATIVE_STD_ERROR;
  const bins: Bin[] = binObservations(observations, options.binWidthBps ?? 0).map((o) => ({
    d: o.distance,
    n: o.fills,
    T: o.exposureSeconds,
  }));
  const N = bins.reduce((s, b) => s + b.n, 0);
  const exposure = bins.reduce((s, b) => s + b.T, 0);
  const summary = { fills: N, exposureSeconds: exposure, distances: bins.length };
  const fallback = (reason: IntensityFallbackReason, detail: string): IntensityFit => ({
    A: prior.A,
    k: prior.k,
    usedFallback: true,
    reason,
    detail,
    stdError: null,
    ...summary,
  });

  if (exposure === 0) return fallback('no_exposure', 'no quote has rested yet; the configured A and k apply');
  if (N < minFills)
    return fallback(
      'too_few_fills',
      `${N} fill(s) observed, fewer than the ${minFills} needed; the configured A and k apply until more arrive`,
    );
  if (bins.length < 2)
    return fallback(
      'too_few_distances',
      `every quote rested at one distance (${bins[0]!.d.toFixed(2)} bps): the decay k cannot be told apart from A`,
    );
  const dMin = bins[0]!.d;
  const fillMean = bins.reduce((s, b) => s + b.n * b.d, 0) / N;
  const score = (k: number) => moments(bins, k, dMin).mean - fillMean;
  // m(0) is the exposure-weighted mean distance; fills no nearer than that show no decay at all.
  if (score(0) <= 0)
    return fallback(
      'no_decay',
      'fills did not become rarer with distance (mean fill distance >= mean quoted distance); the configured A and k apply',
    );
  // Fills only at the nearest distance: the likelihood keeps rising as k grows without bound.
  if (fillMean - dMin <= 1e-12 * Math.max(1, dMin))
    return fallback(
      'unbounded_k',
      `every fill came at the nearest distance (${dMin.toFixed(2)} bps): k is unbounded; the configured A and k apply`,
    );

  const span = bins[bins.length - 1]!.d - dMin;
  let lo = 0;
  let hi = 1 / span;
  for (let i = 0; score(hi) > 0; i++) {
    if (i > 200) return fallback('unbounded_k', 'k could not be bracketed; the configured A and k apply');
    lo = hi;
    hi *= 2;
  }
  let k = (lo + hi) / 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const m = moments(bins, k, dMin);
    const g = m.mean - fillMean;
    if (g > 0) lo = k;
    else hi = k;
    // g'(k) = -variance: a Newton step, replaced by bisection when it leaves the bracket.
    const next = m.variance > 0 ? k + g / m.variance : Number.NaN;
    k = next > lo && next < hi ? next : (lo + hi) / 2;
    if (Math.abs(g) < 1e-13 * Math.max(1, span)) break;
  }

  const m = moments(bins, k, dMin);
  // sum T e^{-k d} = s0 e^{-k dMin}; A = N / that.
  const A = (N / m.s0) * Math.exp(k * dMin);
  // Fisher information for (A, k) at the estimate: Var k = 1 / (N Var_w d);
  // Var A = A^2 E_w[d^2] / (N Var_w d) (E_w[d^2] = Var_w d + mean^2).
  const info = N * m.variance;
  if (!Number.isFinite(A) || !(A > 0) || !(info > 0))
    return fallback('imprecise', 'the fit is numerically degenerate; the configured A and k apply');
  const seK = 1 / Math.sqrt(info);
  const seA = A * Math.sqrt((m.variance + m.mean * m.mean) / info);
  if (seK > maxRel * k)
    return fallback(
      'imprecise',
      `k = ${k.toPrecision(4)} +/- ${seK.toPrecision(2)} per bps is too uncertain (more than ${maxRel * 100}% relative error); quote at more distinct distances or wait for more fills`,
    );
  return { A, k, usedFallback: false, stdError: { A: seA, k: seK }, ...summary };
}

/**
 * The strategy's configured intensity, per bp of mid: the prior a fit falls back to and is compared
 * with. A strategy in price units has k per quote unit, which is k x mid / 10^4 per bp at this mid.
 * A-S prices from k alone; its A (1 per second) only completes the pair. Null for rule_based.
 */
export function configuredIntensity(strategy: StrategyConfig, mid: number): IntensityParams | null {
  if (strategy.kind === 'rule_based') return null;
  // Read loosely: A-S has no A, and GLFT may carry a configured intensity (in its own units).
  const s = strategy as { k: number; A?: number; intensity?: IntensityParams; parameterUnits?: string };
  const own = s.intensity ?? { A: s.A ?? 1, k: s.k };
  return s.parameterUnits === 'price' ? { A: own.A, k: (own.k * mid) / 10_000 } : own;
}

/** Exposure and fills of one distance bin, as the quoting session accumulates and stores them. */
export interface ExposureBin {
  /** floor(distance / bin width): the storage key only; the fit uses the mean distance. */
  bin: number;
  exposureSeconds: number;
  /** Sum of seconds x distance (bps): distanceSeconds / exposureSeconds is the bin's mean distance. */
  distanceSeconds: number;
  fills: number;
}

/** Adds one rest of a quote (how long, how far, how many takers reached it) to its bin. */
export function addExposure(
  bins: ExposureBin[],
  rest: { distanceBps: number; seconds: number; fills: number },
  binWidthBps: number,
): void {
  if (!(rest.seconds > 0) || !(rest.distanceBps >= 0) || !Number.isFinite(rest.distanceBps)) return;
  const bin = Math.floor(rest.distanceBps / binWidthBps);
  let b = bins.find((x) => x.bin === bin);
  if (!b) {
    b = { bin, exposureSeconds: 0, distanceSeconds: 0, fills: 0 };
    bins.push(b);
  }
  b.exposureSeconds += rest.seconds;
  b.distanceSeconds += rest.seconds * rest.distanceBps;
  b.fills += rest.fills;
}

/** Stored bins as fit observations (each at its exposure-weighted mean distance). */
export function observationsOf(bins: readonly ExposureBin[]): FillObservation[] {
  return bins
    .filter((b) => b.exposureSeconds > 0)
    .map((b) => ({
      distance: b.distanceSeconds / b.exposureSeconds,
      fills: b.fills,
      exposureSeconds: b.exposureSeconds,
    }));
}
