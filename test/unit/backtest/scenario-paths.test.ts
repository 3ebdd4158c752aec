import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32, SECONDS_PER_YEAR } from '../../../adapters/price-feed/simulated-gbm';
import type { PriceProcessSpec } from '../../../backtest/types';
import {
  csvPath,
  jumpPath,
  parseCsvPrices,
  regimeSwitchSimulation,
  resampleCsv,
  scenarioPath,
} from '../../../backtest/scenario-paths';

/** Mean, variance and excess kurtosis of the log increments of a path. */
function logMoments(path: Float64Array) {
  const n = path.length - 1;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.log(path[i + 1]! / path[i]!);
  const mean = x.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m4 = 0;
  for (const v of x) {
    m2 += (v - mean) ** 2;
    m4 += (v - mean) ** 4;
  }
  m2 /= n;
  m4 /= n;
  // Standard error of the sample variance: sqrt((m4 - m2^2) / n).
  const varianceSe = Math.sqrt((m4 - m2 * m2) / n);
  return { n, mean, variance: m2, varianceSe, excessKurtosis: m4 / (m2 * m2) - 3 };
}

const STEPS = 100_000;

describe('jump diffusion paths', () => {
  it('without jumps has GBM log increments: mean (mu - sigma^2/2) dt, variance sigma^2 dt, no fat tails', () => {
    const spec = {
      kind: 'jump',
      drift: 0.5,
      volatility: 0.8,
      jumpsPerYear: 0,
      jumpMean: 0,
      jumpStd: 0,
    } as const;
    const path = jumpPath(spec, mulberry32(1), STEPS, 1, 2000);
    expect(path).toHaveLength(STEPS + 1);
    expect(path[0]).toBe(2000);
    const dt = 1 / SECONDS_PER_YEAR;
    const m = logMoments(path);
    const variance = 0.64 * dt;
    expect(m.variance / variance).toBeGreaterThan(0.98);
    expect(m.variance / variance).toBeLessThan(1.02);
    // Within 4 standard errors of the mean.
    expect(Math.abs(m.mean - (0.5 - 0.32) * dt)).toBeLessThan(4 * Math.sqrt(variance / m.n));
    expect(Math.abs(m.excessKurtosis)).toBeLessThan(0.1);
  });

  it('with jumps has the Merton variance and fat tails, and a compensated drift', () => {
    // 0.01 jumps per second, log size N(-0.002, 0.004^2).
    const lambda = 0.01 * SECONDS_PER_YEAR;
    const spec = {
      kind: 'jump',
      drift: 0,
      volatility: 0.8,
      jumpsPerYear: lambda,
      jumpMean: -0.002,
      jumpStd: 0.004,
    } as const;
    const path = jumpPath(spec, mulberry32(2), STEPS, 1, 2000);
    const dt = 1 / SECONDS_PER_YEAR;
    const m = logMoments(path);
    const variance = 0.64 * dt + lambda * dt * (0.004 ** 2 + 0.002 ** 2);
    // Most of the variance comes from ~1,000 jumps, so the tolerance is the estimate's own error.
    expect(Math.abs(m.variance - variance)).toBeLessThan(4 * m.varianceSe);
    expect(m.varianceSe / variance).toBeLessThan(0.05);
    expect(m.excessKurtosis).toBeGreaterThan(5);
    // E[S_{t+1}/S_t] = e^(drift dt) = 1: the jumps' mean is paid back by the drift.
    let gross = 0;
    for (let i = 0; i < STEPS; i++) gross += path[i + 1]! / path[i]!;
    expect(Math.abs(gross / STEPS - 1)).toBeLessThan(4 * Math.sqrt(variance / STEPS));
  });

  it('is reproducible from the seed', () => {
    const spec = {
      kind: 'jump',
      drift: 0,
      volatility: 0.8,
      jumpsPerYear: 1e6,
      jumpMean: 0,
      jumpStd: 0.01,
    } as const;
    expect(jumpPath(spec, mulberry32(9), 500, 1, 100)).toEqual(jumpPath(spec, mulberry32(9), 500, 1, 100));
    expect(jumpPath(spec, mulberry32(9), 500, 1, 100)).not.toEqual(
      jumpPath(spec, mulberry32(10), 500, 1, 100),
    );
  });

  it('refuses nonsense parameters with the field named', () => {
    const spec = {
      kind: 'jump',
      drift: 0,
      volatility: -1,
      jumpsPerYear: 0,
      jumpMean: 0,
      jumpStd: 0,
    } as const;
    expect(() => jumpPath(spec, mulberry32(1), 10, 1, 100)).toThrow(/price\.volatility must be >= 0, got -1/);
  });
});

describe('regime switch paths', () => {
  const spec: Extract<PriceProcessSpec, { kind: 'regime_switch' }> = {
    kind: 'regime_switch',
    drift: 0,
    regimes: [
      { volatility: 0.4, leaveRatePerYear: SECONDS_PER_YEAR / 2000 },
      { volatility: 2.4, leaveRatePerYear: SECONDS_PER_YEAR / 500 },
    ],
  } as const;

  it('spends time in both regimes, in proportion to their mean stays, with each regime its own volatility', () => {
    const { prices, regime } = regimeSwitchSimulation(spec, mulberry32(5), STEPS, 1, 2000);
    const dt = 1 / SECONDS_PER_YEAR;
    const inStress = regime.reduce((a, r) => a + r, 0) / STEPS;
    // Stationary share of the stressed regime: 500 / (2000 + 500) = 0.2.
    expect(inStress).toBeGreaterThan(0.1);
    expect(inStress).toBeLessThan(0.3);
    let switches = 0;
    for (let i = 2; i <= STEPS; i++) if (regime[i] !== regime[i - 1]) switches++;
    expect(switches).toBeGreaterThan(40); // ~80 expected
    const variance = [0, 0];
    const count = [0, 0];
    for (let i = 1; i <= STEPS; i++) {
      const r = regime[i]!;
      variance[r] = variance[r]! + Math.log(prices[i]! / prices[i - 1]!) ** 2;
      count[r] = count[r]! + 1;
    }
    expect(variance[0]! / count[0]! / (0.16 * dt)).toBeCloseTo(1, 1);
    expect(variance[1]! / count[1]! / (5.76 * dt)).toBeCloseTo(1, 1);
  });

  it('stays in its only regime when there is one', () => {
    const one: Extract<PriceProcessSpec, { kind: 'regime_switch' }> = {
      kind: 'regime_switch',
      drift: 0,
      regimes: [{ volatility: 0.5, leaveRatePerYear: 1e9 }],
    };
    const { regime } = regimeSwitchSimulation(one, mulberry32(1), 1000, 1, 10);
    expect(regime.every((r) => r === 0)).toBe(true);
  });
});

describe('CSV replay', () => {
  it('reads timestamp,price rows and holds the last price at or before each step', () => {
    const csv = parseCsvPrices(
      [
        'timestamp,price',
        '2024-01-01T00:00:00Z,100',
        '2024-01-01T00:00:01.500Z,101',
        '2024-01-01T00:00:02Z,102.5',
        '2024-01-01T00:00:05Z,99',
      ].join('\n'),
      'prices.csv',
    );
    expect(Array.from(resampleCsv(csv, 5, 1))).toEqual([100, 100, 102.5, 102.5, 102.5, 99]);
    expect(Array.from(resampleCsv(csv, 2, 2))).toEqual([100, 102.5, 102.5]);
  });

  it('reads a price-only file as one row per step, header optional', () => {
    expect(Array.from(resampleCsv(parseCsvPrices('price\n10\n10.5\n\n# gap\n11\n'), 2, 1))).toEqual([
      10, 10.5, 11,
    ]);
    expect(Array.from(resampleCsv(parseCsvPrices('1\n2\n3\n4'), 3, 60))).toEqual([1, 2, 3, 4]);
  });

  it('refuses a bad row with its line number', () => {
    expect(() => parseCsvPrices('price\n10\n-3\n11', 'p.csv')).toThrow(/p\.csv line 3: .*price/);
    expect(() => parseCsvPrices('10\n10.5\nabc', 'p.csv')).toThrow(/p\.csv line 3/);
    expect(() => parseCsvPrices('10\n10.5,3\n11', 'p.csv')).toThrow(/p\.csv line 2: has 2 fields/);
    expect(() =>
      parseCsvPrices('timestamp,price\n2024-01-01T00:00:00Z,100\n2024-01-01T00:00:01Z,x\n', 't.csv'),
    ).toThrow(/t\.csv line 3/);
    expect(() => parseCsvPrices('a,b,c\n1,2,3', 'w.csv')).toThrow(/w\.csv line 2: has 3 fields/);
    expect(() => parseCsvPrices('price\n\n', 'e.csv')).toThrow(/no data rows/);
  });

  it('refuses a file shorter than the run instead of inventing prices', () => {
    expect(() => resampleCsv(parseCsvPrices('1\n2\n3', 'short.csv'), 5, 1)).toThrow(
      /short\.csv has 3 prices but the run needs 6/,
    );
    const timed = parseCsvPrices('1704067200000,100\n1704067210000,101', 'ten.csv');
    expect(() => resampleCsv(timed, 20, 1)).toThrow(/ten\.csv spans 10 s but the run needs 20 s/);
  });

  it('replays a file from disk through the scenario dispatcher, the same prices for every seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-csv-'));
    const file = join(dir, 'eth.csv');
    writeFileSync(file, '2000\n2001\n1999.5\n2002\n');
    const a = scenarioPath({ kind: 'csv', file }, mulberry32(1), 3, 1, 2000);
    expect(Array.from(a)).toEqual([2000, 2001, 1999.5, 2002]);
    expect(csvPath({ kind: 'csv', file }, mulberry32(2), 3, 1)).toEqual(a);
    expect(() =>
      scenarioPath({ kind: 'csv', file: join(dir, 'missing.csv') }, mulberry32(1), 3, 1, 1),
    ).toThrow(/cannot read price file .*missing\.csv/);
  });
});
