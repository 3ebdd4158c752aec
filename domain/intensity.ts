import { DomainValidationError } from './errors';

export interface FillObservation {
  /** Distance of the quote from mid, in the same price units as k (quote units). */
  distance: number;
  /** Fills observed while quoting at that distance. */
  fills: number;
  /** Seconds spent quoting at that distance. */
  exposureSeconds: number;
}

export type IntensityFallbackReason = 'too_few_distances' | 'non_negative_slope' | 'degenerate_fit';

export interface IntensityFit {
  A: number;
  k: number;
  usedFallback: boolean;
  reason?: IntensityFallbackReason;
  /** Distinct distances with at least one fill that entered the regression. */
  points: number;
}

/** Fewer distinct distances than this cannot tell a slope from noise. */
export const MIN_FIT_DISTANCES = 3;

function validate(observations: readonly FillObservation[]): void {
  observations.forEach((o, i) => {
    if (!Number.isFinite(o.distance) || o.distance < 0) {
      throw new DomainValidationError(
        `observations[${i}].distance`,
        `observations[${i}].distance must be a finite non-negative number, got ${o.distance}`,
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
}

/**
 * Fits lambda(d) = A exp(-k d) by least squares of ln(fills / exposure) on d. Observations at the
 * same distance are pooled first (fills and exposure summed) so that many short samples weigh the
 * same as one long one. Distances without fills are left out (ln 0 is undefined); the fallback is
 * returned whenever the data cannot support a fit, so callers always get usable parameters.
 */
export function fitIntensity(
  observations: readonly FillObservation[],
  fallback: { A: number; k: number },
): IntensityFit {
  validate(observations);
  const pooled = new Map<number, { fills: number; exposure: number }>();
  for (const o of observations) {
    const acc = pooled.get(o.distance) ?? { fills: 0, exposure: 0 };
    acc.fills += o.fills;
    acc.exposure += o.exposureSeconds;
    pooled.set(o.distance, acc);
  }
  const points = [...pooled.entries()]
    .filter(([, v]) => v.fills > 0)
    .sort(([a], [b]) => a - b)
    .map(([d, v]) => ({ x: d, y: Math.log(v.fills / v.exposure) }));

  const fallbackWith = (reason: IntensityFallbackReason): IntensityFit => ({
    ...fallback,
    usedFallback: true,
    reason,
    points: points.length,
  });
  if (points.length < MIN_FIT_DISTANCES) return fallbackWith('too_few_distances');

  const n = points.length;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
  }
  if (sxx === 0) return fallbackWith('degenerate_fit');
  const slope = sxy / sxx;
  if (slope >= 0) return fallbackWith('non_negative_slope');
  const A = Math.exp(meanY - slope * meanX);
  const k = -slope;
  if (!Number.isFinite(A) || !Number.isFinite(k) || A <= 0) return fallbackWith('degenerate_fit');
  return { A, k, usedFallback: false, points: n };
}
