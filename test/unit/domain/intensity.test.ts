import { describe, expect, it } from 'vitest';
import { fitIntensity, type FillObservation } from '../../../domain';
import { expectFieldError } from './helpers';

const FALLBACK = { A: 1, k: 1.5 };

/** Deterministic synthetic fills from lambda(d) = A exp(-k d), rounded to whole fills. */
function synthetic(A: number, k: number, distances: number[], exposureSeconds: number): FillObservation[] {
  return distances.map((distance) => ({
    distance,
    exposureSeconds,
    fills: Math.round(A * Math.exp(-k * distance) * exposureSeconds),
  }));
}

describe('fitIntensity', () => {
  it('recovers known A and k from synthetic fills', () => {
    const obs = synthetic(2, 1.5, [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2], 1_000_000);
    const fit = fitIntensity(obs, FALLBACK);
    expect(fit.usedFallback).toBe(false);
    expect(fit.points).toBe(7);
    expect(fit.A).toBeCloseTo(2, 3);
    expect(fit.k).toBeCloseTo(1.5, 3);
  });

  it('recovers a different parameter set (not a constant answer)', () => {
    const fit = fitIntensity(synthetic(0.3, 4, [0, 0.2, 0.4, 0.6, 0.8], 10_000_000), FALLBACK);
    expect(fit.A).toBeCloseTo(0.3, 3);
    expect(fit.k).toBeCloseTo(4, 3);
  });

  it('pools observations at the same distance', () => {
    const whole = synthetic(2, 1.5, [0.1, 0.5, 1], 1_000_000);
    const split = whole.flatMap((o) => [
      { ...o, fills: Math.floor(o.fills / 2), exposureSeconds: 500_000 },
      { ...o, fills: o.fills - Math.floor(o.fills / 2), exposureSeconds: 500_000 },
    ]);
    const a = fitIntensity(whole, FALLBACK);
    const b = fitIntensity(split, FALLBACK);
    expect(b.A).toBeCloseTo(a.A, 12);
    expect(b.k).toBeCloseTo(a.k, 12);
  });

  it('falls back with fewer than 3 distinct distances with fills', () => {
    const obs = [
      ...synthetic(2, 1.5, [0.1, 0.5], 1_000_000),
      { distance: 3, fills: 0, exposureSeconds: 1000 },
    ];
    expect(fitIntensity(obs, FALLBACK)).toEqual({
      A: 1,
      k: 1.5,
      usedFallback: true,
      reason: 'too_few_distances',
      points: 2,
    });
    expect(fitIntensity([], FALLBACK).reason).toBe('too_few_distances');
  });

  it('falls back when fills do not fall with distance', () => {
    const obs = [0.1, 0.5, 1].map((distance, i) => ({ distance, fills: 10 * (i + 1), exposureSeconds: 100 }));
    const fit = fitIntensity(obs, FALLBACK);
    expect(fit).toMatchObject({ usedFallback: true, reason: 'non_negative_slope', A: 1, k: 1.5 });
  });

  it('refuses malformed observations naming the field', () => {
    expectFieldError(
      () => fitIntensity([{ distance: -1, fills: 1, exposureSeconds: 1 }], FALLBACK),
      'observations[0].distance',
    );
    expectFieldError(
      () => fitIntensity([{ distance: 1, fills: Number.NaN, exposureSeconds: 1 }], FALLBACK),
      'observations[0].fills',
    );
    expectFieldError(
      () =>
        fitIntensity(
          [
            { distance: 1, fills: 1, exposureSeconds: 1 },
            { distance: 1, fills: 1, exposureSeconds: 0 },
          ],
          FALLBACK,
        ),
      'observations[1].exposureSeconds',
    );
  });
});
