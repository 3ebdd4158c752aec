/*
 * What a tournament or sweep reports per strategy and scenario, from the paths' summaries. Plain
 * numbers, JSON safe: a statistic without enough paths is 0 (one path has no spread), never NaN.
 */
import type { PathSummary, StrategyMetrics } from './types';

/** A path summary with the engine's optional extras (absent from older summaries). */
export type SummaryLike = PathSummary & {
  meanSpreadBps?: number;
  haltedSteps?: number;
  hedges?: number;
  /** What holding the starting inventory untouched made on the path: initialBase x (final mid - s0). */
  holdPnl?: number;
};

/** StrategyMetrics plus the figures the dashboard and the sweep use beside them. */
export interface StrategyReport extends StrategyMetrics {
  /**
   * P&L minus what holding the starting inventory made (the market-making result without the
   * inventory's price exposure), its std and mean/std; null when the summaries lack holdPnl.
   */
  meanPnlVsHold: number | null;
  stdPnlVsHold: number | null;
  sharpeVsHold: number | null;
  /** Monte-Carlo standard error of meanPnl: stdPnl / sqrt(paths). */
  pnlStdError: number;
  /** The deepest drawdown of any path (maxDrawdown is the mean of the paths' deepest). */
  worstDrawdown: number;
  meanFinalInventory: number;
  meanFees: number;
  meanVolume: number;
  meanSpread: number;
  /** Mean quoted width in bps of mid (0 when the engine does not report it). */
  meanSpreadBps: number;
  /** Mean steps per path on which risk limits kept the pool from quoting. */
  meanHaltedSteps: number;
  meanHedges: number;
  /** Mean adverse selection per fill (negative when fills lose to the later mid). */
  adverseSelectionPerFill: number;
  /** Paths stopped by each risk limit. */
  stopReasons: Record<string, number>;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1), as the A-S paper's tables report; 0 for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Largest fall from a running peak of an equity series (a positive number, 0 if it never falls). */
export function maxDrawdown(equity: ArrayLike<number>): number {
  let peak = -Infinity;
  let worst = 0;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i]!;
    if (e > peak) peak = e;
    else if (peak - e > worst) worst = peak - e;
  }
  return worst;
}

/**
 * Aggregates one strategy's paths on one scenario. sharpe is mean / std of the path P&L (per run,
 * not annualised), 0 when the P&L does not vary; adverseSelection is the mean per path.
 */
export function strategyMetrics(
  summaries: readonly SummaryLike[],
  labels: { strategy: string; scenario: string },
): StrategyReport {
  const pnl = summaries.map((s) => s.pnl);
  const meanPnl = mean(pnl);
  const stdPnl = sampleStd(pnl);
  const fills = summaries.reduce((a, s) => a + s.fills, 0);
  const adverse = summaries.reduce((a, s) => a + s.adverseSelection, 0);
  const vsHold = summaries.every((s) => typeof s.holdPnl === 'number')
    ? summaries.map((s) => s.pnl - s.holdPnl!)
    : null;
  const stdVsHold = vsHold && sampleStd(vsHold);
  const stopReasons: Record<string, number> = {};
  for (const s of summaries) {
    for (const reason of new Set(s.stops)) stopReasons[reason] = (stopReasons[reason] ?? 0) + 1;
  }
  return {
    strategy: labels.strategy,
    scenario: labels.scenario,
    paths: summaries.length,
    meanPnl,
    stdPnl,
    sharpe: stdPnl > 0 ? meanPnl / stdPnl : 0,
    maxDrawdown: mean(summaries.map((s) => s.maxDrawdown)),
    finalInventoryStd: sampleStd(summaries.map((s) => s.finalInventory)),
    meanFills: summaries.length ? fills / summaries.length : 0,
    adverseSelection: summaries.length ? adverse / summaries.length : 0,
    stopped: summaries.filter((s) => s.stops.length > 0).length,
    meanPnlVsHold: vsHold && mean(vsHold),
    stdPnlVsHold: stdVsHold,
    sharpeVsHold: vsHold && (stdVsHold! > 0 ? mean(vsHold) / stdVsHold! : 0),
    pnlStdError: summaries.length ? stdPnl / Math.sqrt(summaries.length) : 0,
    worstDrawdown: summaries.reduce((a, s) => Math.max(a, s.maxDrawdown), 0),
    meanFinalInventory: mean(summaries.map((s) => s.finalInventory)),
    meanFees: mean(summaries.map((s) => s.fees)),
    meanVolume: mean(summaries.map((s) => s.volume)),
    meanSpread: mean(summaries.map((s) => s.meanSpread)),
    meanSpreadBps: mean(summaries.map((s) => s.meanSpreadBps ?? 0)),
    meanHaltedSteps: mean(summaries.map((s) => s.haltedSteps ?? 0)),
    meanHedges: mean(summaries.map((s) => s.hedges ?? 0)),
    adverseSelectionPerFill: fills > 0 ? adverse / fills : 0,
    stopReasons,
  };
}

export interface Histogram {
  /** bins + 1 edges, ascending; bin i counts values in [edges[i], edges[i+1]) (the last bin is closed). */
  edges: number[];
  counts: number[];
}

/**
 * Equal-width histogram of the values over `range` (default: their own min and max; values outside
 * a given range count in the end bins). All-equal values without a range give one bin around them.
 */
export function histogram(
  values: readonly number[],
  bins: number,
  range?: readonly [number, number],
): Histogram {
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`bins must be a whole number >= 1, got ${bins}`);
  if (values.length === 0 && !range) return { edges: [], counts: [] };
  let lo = Infinity;
  let hi = -Infinity;
  if (range) [lo, hi] = range;
  else {
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > lo)) {
    if (range) throw new RangeError(`histogram range must have lo < hi, got [${lo}, ${hi}]`);
    return { edges: [lo - 0.5, hi + 0.5], counts: [values.length] };
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
  return { edges, counts };
}

const BARS = '▁▂▃▄▅▆▇█';

/** A histogram as one line of block characters (empty bins as spaces), for terminal tables. */
export function sparkline(h: Histogram): string {
  const max = Math.max(0, ...h.counts);
  return h.counts
    .map((c) => (c === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((c / max) * (BARS.length - 1)))]))
    .join('');
}
