import { describe, expect, it } from 'vitest';
import { histogram, maxDrawdown, sampleStd, sparkline, strategyMetrics } from '../../../backtest/metrics';
import type { PathSummary } from '../../../backtest/types';

// `as PathSummary`: the engine's summaries carry more fields (spread in bps, halted steps, hedges).
const path = (p: Partial<PathSummary> & { path: number }): PathSummary =>
  ({
    pnl: 0,
    fees: 0,
    finalInventory: 0,
    maxDrawdown: 0,
    fills: 0,
    volume: 0,
    adverseSelection: 0,
    stops: [],
    meanSpread: 0,
    meanSpreadBps: 0,
    haltedSteps: 0,
    hedges: 0,
    ...p,
  }) as PathSummary;

const paths: PathSummary[] = [
  path({
    path: 0,
    pnl: 10,
    fees: 1,
    finalInventory: 2,
    maxDrawdown: 5,
    fills: 4,
    volume: 100,
    adverseSelection: -2,
    meanSpread: 10,
  }),
  path({
    path: 1,
    pnl: -2,
    fees: 0.5,
    finalInventory: -1,
    maxDrawdown: 8,
    fills: 2,
    volume: 50,
    adverseSelection: -4,
    stops: ['max_loss'],
    meanSpread: 20,
  }),
  path({
    path: 2,
    pnl: 4,
    finalInventory: 2,
    maxDrawdown: 2,
    stops: ['max_loss', 'max_loss'],
    meanSpread: 30,
  }),
];

describe('strategy metrics', () => {
  it('aggregates the paths as computed by hand', () => {
    const m = strategyMetrics(paths, { strategy: 'glft', scenario: 'calm' });
    // P&L 10, -2, 4: mean 4, deviations 6, -6, 0, sample variance 72 / 2 = 36.
    expect(m).toMatchObject({ strategy: 'glft', scenario: 'calm', paths: 3, meanPnl: 4, stdPnl: 6 });
    expect(m.sharpe).toBeCloseTo(4 / 6, 12);
    expect(m.pnlStdError).toBeCloseTo(6 / Math.sqrt(3), 12);
    // Drawdowns 5, 8, 2: mean 5, worst 8.
    expect(m.maxDrawdown).toBe(5);
    expect(m.worstDrawdown).toBe(8);
    // Final inventory 2, -1, 2: mean 1, deviations 1, -2, 1, sample variance 6 / 2 = 3.
    expect(m.finalInventoryStd).toBeCloseTo(Math.sqrt(3), 12);
    expect(m.meanFinalInventory).toBe(1);
    expect(m.meanFills).toBe(2);
    // Adverse selection -2, -4, 0 over 6 fills: -2 per path, -1 per fill.
    expect(m.adverseSelection).toBe(-2);
    expect(m.adverseSelectionPerFill).toBe(-1);
    // A path stopped twice for the same reason counts once.
    expect(m.stopped).toBe(2);
    expect(m.stopReasons).toEqual({ max_loss: 2 });
    expect(m.meanFees).toBe(0.5);
    expect(m.meanVolume).toBe(50);
    expect(m.meanSpread).toBe(20);
  });

  it('takes away what holding the starting inventory made, when the summaries say', () => {
    const hold = [5, -6, 1];
    const m = strategyMetrics(
      paths.map((p, i) => ({ ...p, holdPnl: hold[i]! })),
      { strategy: 'glft', scenario: 'calm' },
    );
    // P&L 10, -2, 4 less 5, -6, 1: 5, 4, 3, mean 4, sample std 1.
    expect(m).toMatchObject({ meanPnlVsHold: 4, stdPnlVsHold: 1, sharpeVsHold: 4, meanPnl: 4, stdPnl: 6 });
    expect(strategyMetrics(paths, { strategy: 'glft', scenario: 'calm' })).toMatchObject({
      meanPnlVsHold: null,
      stdPnlVsHold: null,
      sharpeVsHold: null,
    });
  });

  it('reports 0, not NaN, where one path or no variation leaves nothing to divide by', () => {
    const one = strategyMetrics([paths[0]!], { strategy: 'rule_based', scenario: 'x' });
    expect(one).toMatchObject({ stdPnl: 0, sharpe: 0, finalInventoryStd: 0, pnlStdError: 0 });
    const none = strategyMetrics([], { strategy: 'rule_based', scenario: 'x' });
    expect(Object.values(none).every((v) => typeof v !== 'number' || Number.isFinite(v))).toBe(true);
    expect(strategyMetrics([paths[0]!], { strategy: 'r', scenario: 'x' }).meanPnlVsHold).toBeNull();
    expect(JSON.parse(JSON.stringify(none))).toEqual(none);
    expect(
      strategyMetrics([path({ path: 0 }), path({ path: 1 })], { strategy: 's', scenario: 'x' })
        .adverseSelectionPerFill,
    ).toBe(0);
  });
});

describe('metric helpers', () => {
  it('max drawdown is the deepest fall from a running peak', () => {
    expect(maxDrawdown([0, 5, 3, 8, 1, 4])).toBe(7);
    expect(maxDrawdown([1, 2, 3])).toBe(0);
    expect(maxDrawdown([5, 4, 3])).toBe(2);
    expect(maxDrawdown(new Float64Array([-1, -3, 2, -5]))).toBe(7);
  });

  it('sample std divides by n - 1', () => {
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sampleStd([3])).toBe(0);
  });

  it('histograms count every value once, the maximum in the last bin', () => {
    expect(histogram([0, 1, 2, 3, 4], 2)).toEqual({ edges: [0, 2, 4], counts: [2, 3] });
    expect(histogram([7, 7], 4)).toEqual({ edges: [6.5, 7.5], counts: [2] });
    expect(histogram([], 3)).toEqual({ edges: [], counts: [] });
    const h = histogram([-1.5, 0.2, 0.3, 9], 5);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(() => histogram([1], 0)).toThrow(/bins must be a whole number >= 1/);
    // A shared range puts several strategies on one axis; outliers land in the end bins.
    expect(histogram([-5, 0.5, 1.5, 1.6, 99], 4, [0, 4])).toEqual({
      edges: [0, 1, 2, 3, 4],
      counts: [2, 2, 0, 1],
    });
    expect(() => histogram([1], 2, [3, 3])).toThrow(/lo < hi/);
  });

  it('draws a histogram as a line of bars, empty bins blank', () => {
    expect(sparkline({ edges: [0, 1, 2, 3, 4], counts: [1, 7, 0, 4] })).toBe('▂█ ▅');
  });
});
