import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulatePath, simulatePathExact } from '../../../backtest/engine';
import { simulatePathFast } from '../../../backtest/fast-engine';
import { round12 } from '../../../backtest/fast-numbers';
import type { BacktestSpec } from '../../../backtest/types';
import { liveSpec } from './fixtures';

/*
 * The fast engine (plain numbers, fast quoter, guarded float decisions) against the decimal engine
 * it replaces: the same path summary, number for number, on random small markets that reach the
 * risk limits (stop, pause, flatten with hedges, widen), the spread policy's tiers, latency and
 * informed flow.
 */

const scenario = fc.record({
  kind: fc.constantFrom('rule_based', 'avellaneda_stoikov', 'glft'),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  steps: fc.integer({ min: 20, max: 90 }),
  dtSeconds: fc.constantFrom(0.5, 1, 3),
  latencyMs: fc.constantFrom(0, 200, 1000, 2500),
  volatility: fc.constantFrom(0.3, 1.5, 6),
  A: fc.constantFrom(0.3, 2, 8),
  k: fc.constantFrom(0.02, 0.1, 0.5),
  linear: fc.boolean(),
  informed: fc.boolean(),
  initialBase: fc.constantFrom('0', '5', '50', '120.5'),
  initialQuote: fc.constantFrom('0', '1000', '100000'),
  maxLoss: fc.constantFrom('50', '2000', '100000'),
  maxVolatility: fc.constantFrom(0.01, 0.2),
  maxOrderNotional: fc.constantFrom('300', '1000000'),
  maxInventoryDeviation: fc.constantFrom(0.05, 0.45),
  method: fc.constantFrom('ewma', 'rolling'),
  window: fc.constantFrom(2, 5, 60),
  knownVolatility: fc.boolean(),
  fixedTime: fc.boolean(),
  tick: fc.constantFrom('0.01', '0.05', '1'),
  lot: fc.constantFrom('0.001', '0.1'),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function specOf(s: Scenario): BacktestSpec {
  return liveSpec({
    config: {
      strategy: { kind: s.kind },
      risk: {
        maxLoss: s.maxLoss,
        maxVolatility: s.maxVolatility,
        maxOrderNotional: s.maxOrderNotional,
        maxInventoryDeviation: s.maxInventoryDeviation,
        cooldownSeconds: 5,
        hedgeCooldownSeconds: 3,
      },
      volatility: { method: s.method, window: s.window },
    },
    pool: {
      s0: '2000',
      tickSize: s.tick,
      lotSize: s.lot,
      minSize: s.lot,
      initialBase: s.initialBase,
      initialQuote: s.initialQuote,
    },
    price: { kind: 'gbm', drift: 0, volatility: s.volatility },
    flow: {
      poisson: { A: s.A, k: s.k, kPer: 'bps', fillProbability: s.linear ? 'linear' : 'exponential' },
      ...(s.informed ? { informed: { ratePerSecond: 0.3, lookaheadSeconds: 2 } } : {}),
    },
    dtSeconds: s.dtSeconds,
    steps: s.steps,
    seed: s.seed,
    latencyMs: s.latencyMs,
    view: {
      volatility: s.knownVolatility ? 'known' : 'estimated',
      ...(s.fixedTime ? { timeRemaining: { fixedSeconds: 30 } } : {}),
    },
  });
}

describe('fast engine', () => {
  it('gives the decimal engine’s path summary, number for number, for every strategy', () => {
    const seen = { stops: 0, hedges: 0, halted: 0, fills: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        const spec = specOf(s);
        const fast = simulatePathFast(spec, 0, { seriesPoints: 10 });
        const exact = simulatePathExact(spec, 0, { seriesPoints: 10 });
        expect(fast.summary).toEqual(exact.summary);
        expect(fast.series).toEqual(exact.series);
        seen.stops += fast.summary.stops.length;
        seen.hedges += fast.summary.hedges;
        seen.halted += fast.summary.haltedSteps;
        seen.fills += fast.summary.fills;
      }),
      { numRuns: 60, seed: 11 },
    );
    // The random markets did reach the limits and trade (else the test proves little).
    expect(seen.stops).toBeGreaterThan(0);
    expect(seen.hedges).toBeGreaterThan(0);
    expect(seen.halted).toBeGreaterThan(0);
    expect(seen.fills).toBeGreaterThan(0);
  });

  it('keeps the volatility window equal past its buffer (a long path, a short window)', () => {
    for (const method of ['ewma', 'rolling'] as const) {
      const spec = liveSpec({
        config: { strategy: { kind: 'avellaneda_stoikov' }, volatility: { method, window: 3 } },
        steps: 1100,
      });
      expect(simulatePathFast(spec, 1).summary).toEqual(simulatePathExact(spec, 1).summary);
    }
  });

  it('runs a pool with a price band through the decimal engine, which applies it', () => {
    const spec = liveSpec({
      steps: 40,
      config: { strategy: { kind: 'avellaneda_stoikov' }, ladder: { priceCeiling: '2000.5' } },
    });
    expect(() => simulatePathFast(spec, 0)).toThrow(/price band.*engine 'exact'/);
    expect(simulatePath(spec, 0).summary).toEqual(simulatePathExact(spec, 0).summary);
  });

  it('runs views it does not cover through the decimal engine', () => {
    const spec = liveSpec({ steps: 30, view: { inventory: 'units' } });
    expect(() => simulatePathFast(spec, 0)).toThrow(/view.inventory 'units'.*engine 'exact'/);
    expect(simulatePath(spec, 0).summary).toEqual(simulatePathExact(spec, 0).summary);
  });
});

describe('fast engine numbers', () => {
  it('round12 is the double of the 12-significant-digit decimal', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 1e-12, max: 1e15, noNaN: true }),
          fc.integer({ min: 1, max: 1e9 }).map((n) => n / 1000 + 0.0005),
        ),
        fc.boolean(),
        (x, negative) => {
          const v = negative ? -x : x;
          expect(round12(v)).toBe(Number(v.toPrecision(12)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
