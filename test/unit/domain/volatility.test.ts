import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Big,
  DEFAULT_POOL_CONFIG,
  estimateVolatility,
  volatilityRegime,
  type PricePoint,
} from '../../../domain';
import { ewmaVolatilities4, volatilityOfReturns } from '../../../domain/volatility';
import { expectFieldError } from './helpers';

const rolling = { method: 'rolling' as const, window: 60, ewmaLambda: 0.94, horizonSeconds: 1 };
const series = (prices: string[], stepMs = 1000): PricePoint[] =>
  prices.map((price, i) => ({ ts: 1_700_000_000_000 + i * stepMs, price }));

describe('estimateVolatility', () => {
  it('is 0 with fewer than 2 returns', () => {
    expect(estimateVolatility([], rolling)).toBe(0);
    expect(estimateVolatility(series(['100']), rolling)).toBe(0);
    expect(estimateVolatility(series(['100', '110']), rolling)).toBe(0);
  });

  it('is 0 for a constant price', () => {
    expect(estimateVolatility(series(['100', '100', '100', '100']), rolling)).toBe(0);
  });

  // Returns r, -r, r with r = ln 1.1 = 0.0953101798043249. Mean r/3, squared deviations
  // (4 + 16 + 4)/9 r^2, sample variance (24/9 r^2)/2 = 4/3 r^2, stdev 2r/sqrt(3) = 0.110054715933077.
  it('rolling: sample stdev of log returns, hand-computed', () => {
    const v = estimateVolatility(series(['100', '110', '100', '110']), rolling);
    expect(v).toBeCloseTo(0.110054715933077, 12);
  });

  it('scales by sqrt(horizon / mean interval)', () => {
    // 1 s ticks, 1 h horizon: x sqrt(3600) = x 60.
    const v = estimateVolatility(series(['100', '110', '100', '110']), { ...rolling, horizonSeconds: 3600 });
    expect(v).toBeCloseTo(0.110054715933077 * 60, 10);
    // 4 s ticks to a 1 h horizon: x sqrt(900) = x 30.
    const slow = estimateVolatility(series(['100', '110', '100', '110'], 4000), {
      ...rolling,
      horizonSeconds: 3600,
    });
    expect(slow).toBeCloseTo(0.110054715933077 * 30, 10);
  });

  // EWMA with lambda 0.5 on r, -r, r: v0 = r^2, v1 = 0.5 r^2 + 0.5 r^2 = r^2, v2 = r^2 -> r.
  it('ewma: RiskMetrics recursion, hand-computed', () => {
    const v = estimateVolatility(series(['100', '110', '100', '110']), {
      ...rolling,
      method: 'ewma',
      ewmaLambda: 0.5,
    });
    expect(v).toBeCloseTo(Math.log(1.1), 12);
    // A late shock weighs more under EWMA than under equal weights.
    const shock = series(['100', '100.1', '100', '100.1', '100', '120']);
    expect(estimateVolatility(shock, { ...rolling, method: 'ewma', ewmaLambda: 0.5 })).toBeGreaterThan(
      estimateVolatility(shock, rolling),
    );
  });

  it('uses only the last `window` returns', () => {
    const calmTail = series(['100', '200', '100', '100', '100', '100']);
    expect(estimateVolatility(calmTail, { ...rolling, window: 3 })).toBe(0);
    expect(estimateVolatility(calmTail, { ...rolling, window: 5 })).toBeGreaterThan(0);
  });

  it('accepts Big prices', () => {
    const pts = series(['100', '110', '100', '110']).map((p) => ({
      ...p,
      price: new Big(p.price as string),
    }));
    expect(estimateVolatility(pts, rolling)).toBeCloseTo(0.110054715933077, 12);
  });

  it('refuses bad points naming the field', () => {
    const pts = series(['100', '101', '102']);
    expectFieldError(
      () => estimateVolatility([pts[0]!, pts[2]!, pts[1]!], rolling),
      'prices[2].ts',
      'time order',
    );
    expectFieldError(
      () => estimateVolatility(series(['100', '0', '102']), rolling),
      'prices[1].price',
      'zero',
    );
    expectFieldError(
      () => estimateVolatility(series(['100', 'abc', '102']), rolling),
      'prices[1].price',
      'got "abc"',
    );
    expectFieldError(
      () => estimateVolatility(series(['100', '101', '102'], 0), rolling),
      'prices',
      'timestamp',
    );
  });
});

describe('volatilityRegime', () => {
  const p = DEFAULT_POOL_CONFIG.spreadPolicy;
  it('moves up only strictly above each threshold', () => {
    expect(volatilityRegime(0, p)).toBe('normal');
    expect(volatilityRegime(0.05, p)).toBe('normal');
    expect(volatilityRegime(0.050001, p)).toBe('high');
    expect(volatilityRegime(0.1, p)).toBe('high');
    expect(volatilityRegime(0.100001, p)).toBe('extreme');
  });
  it('refuses a negative or non-finite volatility', () => {
    expectFieldError(() => volatilityRegime(-0.1, p), 'volatility');
    expectFieldError(() => volatilityRegime(Number.POSITIVE_INFINITY, p), 'volatility');
  });
});

describe('volatility regime hysteresis', () => {
  const policy = DEFAULT_POOL_CONFIG.spreadPolicy; // high above 0.05, extreme above 0.10, hysteresis 0.1

  it('enters a regime strictly above its threshold, whatever the previous one', () => {
    expect(volatilityRegime(0.0501, policy, 'normal')).toBe('high');
    expect(volatilityRegime(0.05, policy, 'normal')).toBe('normal');
    expect(volatilityRegime(0.1001, policy, 'high')).toBe('extreme');
  });

  it('leaves it only at or below threshold x 0.9', () => {
    expect(volatilityRegime(0.0451, policy, 'high')).toBe('high');
    expect(volatilityRegime(0.045, policy, 'high')).toBe('normal');
    expect(volatilityRegime(0.0901, policy, 'extreme')).toBe('extreme');
    expect(volatilityRegime(0.09, policy, 'extreme')).toBe('high');
    expect(volatilityRegime(0.03, policy, 'extreme')).toBe('normal');
  });

  it('is off with a hysteresis of 0', () => {
    expect(volatilityRegime(0.0499, { ...policy, volatilityRegimeHysteresis: 0 }, 'high')).toBe('normal');
  });
});

describe('ewmaVolatilities4', () => {
  it('gives each of four shifted windows exactly the double volatilityOfReturns gives it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: 6, maxLength: 80 }),
        fc.integer({ min: 2, max: 70 }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        fc.array(fc.double({ min: 1, max: 1e5, noNaN: true }), { minLength: 4, maxLength: 4 }),
        (xs, w, lambda, spans) => {
          const n = Math.min(w, xs.length - 3);
          fc.pre(n >= 2);
          const cfg = { method: 'ewma' as const, window: n, ewmaLambda: lambda, horizonSeconds: 3600 };
          const from = xs.length - 3 - n;
          const out = [0, 0, 0, 0];
          ewmaVolatilities4(xs, from, from + n, spans, cfg, out);
          for (let j = 0; j < 4; j++) {
            expect(out[j]).toBe(volatilityOfReturns(xs, from + j, from + n + j, spans[j]!, cfg));
          }
        },
      ),
    );
  });
});
