import { describe, expect, it } from 'vitest';
import { simulatePath } from '../../../backtest/engine';
import { generatePath } from '../../../backtest/paths';
import { pathRng } from '../../../backtest/rng';
import { runBacktest } from '../../../backtest/run';
import type { PriceProcessSpec, Rng } from '../../../backtest/types';
import { liveSpec } from './fixtures';

describe('backtest engine', () => {
  it('gives identical results for the same seed and different ones for another seed', () => {
    for (const kind of ['rule_based', 'avellaneda_stoikov', 'glft'] as const) {
      const spec = liveSpec({ config: { strategy: { kind } }, latencyMs: 300 });
      const a = [0, 1, 2].map((p) => simulatePath(spec, p, { seriesPoints: 20 }));
      const b = [0, 1, 2].map((p) => simulatePath(structuredClone(spec), p, { seriesPoints: 20 }));
      expect(b).toEqual(a);
      expect(a[0]!.summary.fills).toBeGreaterThan(0);
      const other = simulatePath({ ...spec, seed: spec.seed + 1 }, 0).summary;
      expect(other.pnl).not.toBe(a[0]!.summary.pnl);
    }
  }, 60_000);

  it('gives the same per-path results on one thread and on two worker threads', async () => {
    const spec = liveSpec({ paths: 6, steps: 60 });
    const one = await runBacktest(spec, { threads: 1 });
    const two = await runBacktest(spec, { threads: 2 });
    expect(two).toEqual(one);
    expect(one.map((s) => s.path)).toEqual([0, 1, 2, 3, 4, 5]);
  }, 60_000);

  it('stops quoting for good when a price jump breaches the max-loss limit, and only pauses on the volatility limit', () => {
    const jumpAt = 40;
    // GBM with a 30% crash at step 40: the pool, long 50 base at 2000, loses about 30,000.
    const crash = (spec: PriceProcessSpec, rng: Rng, steps: number, dt: number, s0: number) => {
      const path = generatePath(spec, rng, steps, dt, s0);
      for (let i = jumpAt; i <= steps; i++) path[i] = path[i]! * 0.7;
      return path;
    };
    const limited = liveSpec({
      config: { strategy: { kind: 'avellaneda_stoikov' }, risk: { maxLoss: '5000' } },
    });
    const stopped = simulatePath(limited, 0, { generatePath: crash, seriesPoints: limited.steps });
    expect(stopped.summary.stops).toEqual(['max_loss']);
    // Holding the 50 base through the crash would have lost about 30% of 100,000.
    expect(stopped.summary.holdPnl).toBeLessThan(-25_000);
    expect(stopped.summary.haltedSteps).toBe(limited.steps - jumpAt);
    const quotedAfter = stopped.series!.bid.slice(jumpAt).concat(stopped.series!.ask.slice(jumpAt));
    expect(quotedAfter.every((p) => p === null)).toBe(true);
    expect(stopped.series!.bid.slice(0, jumpAt).every((p) => p !== null)).toBe(true);

    // Without the loss limit the same crash only pauses: the volatility estimate jumps past
    // maxVolatility, the pool waits the 60 s cool-down, finds the estimate back down and quotes again.
    const paused = simulatePath(liveSpec(), 0, { generatePath: crash, seriesPoints: limited.steps });
    expect(paused.summary.stops).toEqual([]);
    expect(paused.summary.haltedSteps).toBe(60);
    expect(paused.series!.bid[jumpAt]).toBeNull();
    expect(paused.series!.bid[jumpAt + 60]).not.toBeNull();
    expect(paused.summary.fills).toBeGreaterThan(stopped.summary.fills);

    const calm = simulatePath(liveSpec({ config: { risk: { maxVolatility: 1000 } } }), 0, {
      generatePath: crash,
    });
    expect(calm.summary.haltedSteps).toBe(0);
  });

  it('lets quotes reach the book only after the latency', () => {
    // With takers that always trade at any distance, fills start once the first ladder lands.
    const spec = liveSpec({
      flow: { poisson: { A: 1e6, k: 0, kPer: 'bps' } },
      config: { strategy: { kind: 'rule_based' }, ladder: { levels: 1 } },
      steps: 10,
    });
    const now = simulatePath({ ...spec, latencyMs: 0 }, 0).summary;
    const late = simulatePath({ ...spec, latencyMs: 2500 }, 0).summary;
    // Every step both levels fill; a 2.5 s delay loses the first two steps and half of the third.
    expect(now.fills).toBe(20);
    expect(late.fills).toBe(16);
  });
});

describe('backtest flow and hedging', () => {
  it('lets informed takers trade only when the mid ahead crosses the quote, so each of their fills loses at the markout', () => {
    const spec = liveSpec({
      // A fast market (800% a year): a 5 s move is about 6 price units, twice the half-spread.
      price: { kind: 'gbm', drift: 0, volatility: 8 },
      flow: { informed: { ratePerSecond: 2, lookaheadSeconds: 5 } },
      markoutSeconds: 5,
      makerFeeBps: 0,
      steps: 300,
      config: { strategy: { kind: 'rule_based' }, risk: { maxVolatility: 1000 } },
    });
    const { summary } = simulatePath(spec, 0);
    expect(summary.fills).toBeGreaterThan(0);
    expect(summary.adverseSelection).toBeLessThan(0);
  });

  it('flattens an inventory breach at the mid, paying the hedge fee, once per hedge cool-down', () => {
    // 90 base at 2000 and 20,000 quote: 90% of the value in base, 40 base above the 50% target.
    const spec = liveSpec({
      pool: { ...liveSpec().pool, initialBase: '90', initialQuote: '20000' },
      price: { kind: 'gbm', drift: 0, volatility: 0 },
      flow: {},
      steps: 30,
      config: { risk: { maxInventoryDeviation: 0.3, hedgeCooldownSeconds: 60 } },
    });
    const { summary } = simulatePath(spec, 0);
    expect(summary.hedges).toBe(1);
    expect(summary.finalInventory).toBeCloseTo(-40, 9);
    expect(summary.fees).toBeCloseTo(-40 * 2000 * 0.001, 6);
    expect(summary.pnl).toBeCloseTo(summary.fees, 6);
    expect(summary.fills).toBe(0);
  });
});

describe('price paths', () => {
  it('moves the binomial walk by exactly sigma sqrt(dt) each step', () => {
    const path = generatePath({ kind: 'binomial_walk', sigma: 2 }, pathRng(1, 0, 'price'), 200, 0.005, 100);
    const move = 2 * Math.sqrt(0.005);
    for (let i = 1; i < path.length; i++) expect(Math.abs(path[i]! - path[i - 1]!)).toBeCloseTo(move, 12);
  });

  it('grows a zero-volatility GBM at its drift', () => {
    const path = generatePath(
      { kind: 'gbm', drift: 0.1, volatility: 0 },
      pathRng(1, 0, 'price'),
      10,
      31_536_00,
      100,
    );
    expect(path[10]).toBeCloseTo(100 * Math.exp(0.1), 9);
  });

  it('hands the scenario library its processes (a missing CSV file is named)', () => {
    expect(() =>
      generatePath({ kind: 'csv', file: '/nonexistent/x.csv' }, pathRng(1, 0, 'price'), 10, 1, 100),
    ).toThrow(/x\.csv/);
    const jump = generatePath(
      { kind: 'jump', drift: 0, volatility: 0.5, jumpsPerYear: 10, jumpMean: 0, jumpStd: 0.05 },
      pathRng(1, 0, 'price'),
      10,
      1,
      100,
    );
    expect(jump).toHaveLength(11);
    expect(jump[0]).toBe(100);
  });
});
