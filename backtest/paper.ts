import type { PoolConfigInput } from '../domain/config';
import type { BacktestSpec, PathSummary } from './types';

/*
 * Avellaneda, M. & Stoikov, S. (2008), "High-frequency trading in a limit order book",
 * Quantitative Finance 8(3), 217-224, section 3.3 and Tables 1-3 (pp. 222-223): s0 = 100, T = 1,
 * sigma = 2, dt = 0.005, A = 140, k = 1.5, 1000 paths, gamma in {0.1, 0.01, 1}. The mid moves
 * +-sigma sqrt(dt) with probability 1/2 each step; each quote is hit with probability
 * lambda(delta) dt, lambda(delta) = A exp(-k delta), delta its distance from the mid when quoted;
 * the agent trades one unit per fill. Profit is cash + q S_T at T.
 *
 * Both strategies run through the production Avellaneda-Stoikov strategy (domain/strategies),
 * with price-unit parameters (k per price unit, sigma in price units per sqrt(time unit)), one
 * level of one unit per side, no mid guard, a tick far below the quotes' scale, no size shaping
 * and no inventory limit:
 * - inventory: q is the units held (view.inventory 'units') and T - t counts down to T;
 * - symmetric: the paper's benchmark "uses the average bid/ask spread of the inventory strategy
 *   over the time period, but centres it around the mid-price". The same code told q = 0
 *   (view.inventory 'ignore') with T - t frozen at its average over the session's quotes: the
 *   spread gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k) is linear in T - t, so that is
 *   exactly the inventory strategy's average spread, constant, centred on the mid.
 */

export const PAPER_ID = 'avellaneda-stoikov-2008';
export const PAPER_CITATION =
  'Avellaneda, M. & Stoikov, S. (2008). High-frequency trading in a limit order book. Quantitative Finance 8(3), 217-224. doi:10.1080/14697680701381228';

export const PAPER_GAMMAS = [0.1, 0.01, 1] as const;
export type PaperStrategy = 'inventory' | 'symmetric';

export interface PaperFigures {
  spread: number;
  profit: number;
  stdProfit: number;
  finalQ: number;
  stdFinalQ: number;
}

/**
 * The published Tables 1-3 (Quantitative Finance version; the 2006 preprint printed different
 * figures, e.g. profit 62.94 for the gamma = 0.1 inventory strategy, which are not used here).
 * Read from two independent transcriptions of the published article (docs/BACKTEST.md).
 */
export const PUBLISHED: Record<string, { table: string } & Record<PaperStrategy, PaperFigures>> = {
  '0.1': {
    table: 'Table 1',
    inventory: { spread: 1.49, profit: 65.0, stdProfit: 6.6, finalQ: 0.08, stdFinalQ: 2.9 },
    symmetric: { spread: 1.49, profit: 68.4, stdProfit: 12.7, finalQ: 0.26, stdFinalQ: 8.4 },
  },
  '0.01': {
    table: 'Table 2',
    inventory: { spread: 1.35, profit: 68.6, stdProfit: 8.7, finalQ: 0.12, stdFinalQ: 5.1 },
    symmetric: { spread: 1.35, profit: 68.8, stdProfit: 12.8, finalQ: 0.09, stdFinalQ: 8.7 },
  },
  '1': {
    table: 'Table 3',
    inventory: { spread: 3.02, profit: 31.4, stdProfit: 5.0, finalQ: 0.02, stdFinalQ: 1.7 },
    symmetric: { spread: 3.02, profit: 44.0, stdProfit: 11.0, finalQ: 0.0, stdFinalQ: 5.1 },
  },
};

export const PAPER_MARKET = { s0: 100, T: 1, sigma: 2, dt: 0.005, A: 140, k: 1.5, paths: 1000 } as const;

export function paperConfig(gamma: number): PoolConfigInput {
  return {
    strategy: {
      kind: 'avellaneda_stoikov',
      parameterUnits: 'price',
      gamma,
      k: PAPER_MARKET.k,
      horizon: { type: 'finite', horizonSeconds: PAPER_MARKET.T },
    },
    // The paper's quotes are 1 to 5 price units wide on a mid of 100 (100 to 500 bps): the spread
    // policy's bounds and floor must not touch them.
    spreadPolicy: { minSpreadBps: '0.0001', defaultSpreadBps: '30', maxSpreadBps: '10000' },
    ladder: {
      levels: 1,
      baseOrderSize: '1',
      sizeDecay: 1,
      inventorySizeShape: 0,
      guardMid: false,
      minSpreadFloorBps: '0',
    },
    // Volatility per the paper's time unit; no risk limit may act (the paper has none).
    volatility: { horizonSeconds: PAPER_MARKET.T },
    risk: {
      maxLoss: '100000000000000',
      maxInventoryDeviation: 1,
      maxVolatility: 1e9,
      maxOrderNotional: '100000000000000',
    },
  };
}

/** The mean of T - t over the quoting times 0, dt, ..., (n - 1) dt of a session of n steps. */
export function averageTimeRemaining(steps: number, dt: number): number {
  return steps * dt - (dt * (steps - 1)) / 2;
}

export function paperSpec(
  gamma: number,
  strategy: PaperStrategy,
  opts: { paths?: number; seed?: number } = {},
): BacktestSpec {
  const m = PAPER_MARKET;
  const steps = Math.round(m.T / m.dt);
  return {
    name: `${PAPER_ID} gamma=${gamma} ${strategy}`,
    config: paperConfig(gamma),
    pool: {
      s0: String(m.s0),
      tickSize: '0.00000001',
      lotSize: '1',
      minSize: '1',
      initialBase: '0',
      initialQuote: '0',
    },
    price: { kind: 'binomial_walk', sigma: m.sigma },
    flow: { poisson: { A: m.A, k: m.k, kPer: 'price', fillProbability: 'linear' } },
    dtSeconds: m.dt,
    steps,
    paths: opts.paths ?? m.paths,
    seed: opts.seed ?? 2008,
    latencyMs: 0,
    makerFeeBps: 0,
    hedgeFeeBps: 0,
    markoutSeconds: 0,
    view:
      strategy === 'inventory'
        ? { volatility: 'known', inventory: 'units' }
        : {
            volatility: 'known',
            inventory: 'ignore',
            timeRemaining: { fixedSeconds: averageTimeRemaining(steps, m.dt) },
          },
  };
}

/** A sample's mean and standard deviation with their Monte-Carlo standard errors. */
export interface Estimate {
  value: number;
  se: number;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function meanEstimate(xs: readonly number[]): Estimate {
  const m = mean(xs);
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  return { value: m, se: sd / Math.sqrt(xs.length) };
}

/**
 * Sample standard deviation and its standard error, sqrt((m4 / s^4 - (n - 3)/(n - 1)) / (4n)) x s
 * (delta method on the variance; exact for any distribution with a finite fourth moment, to first order).
 */
export function stdEstimate(xs: readonly number[]): Estimate {
  const n = xs.length;
  const m = mean(xs);
  const s2 = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1);
  const m4 = xs.reduce((a, x) => a + (x - m) ** 4, 0) / n;
  const s = Math.sqrt(s2);
  const kurt = m4 / (s2 * s2);
  return { value: s, se: s * Math.sqrt(Math.max(0, kurt - (n - 3) / (n - 1)) / (4 * n)) };
}

export interface PaperRow {
  gamma: number;
  strategy: PaperStrategy;
  paths: number;
  ours: Record<keyof PaperFigures, Estimate>;
  paper: Partial<PaperFigures>;
  /** (ours - paper) / our standard error, per figure with a published value. */
  z: Partial<Record<keyof PaperFigures, number>>;
}

export function paperRow(
  gamma: number,
  strategy: PaperStrategy,
  summaries: readonly PathSummary[],
): PaperRow {
  const ours = {
    spread: meanEstimate(summaries.map((s) => s.meanSpread)),
    profit: meanEstimate(summaries.map((s) => s.pnl)),
    stdProfit: stdEstimate(summaries.map((s) => s.pnl)),
    finalQ: meanEstimate(summaries.map((s) => s.finalInventory)),
    stdFinalQ: stdEstimate(summaries.map((s) => s.finalInventory)),
  };
  const paper: Partial<PaperFigures> = PUBLISHED[String(gamma)]?.[strategy] ?? {};
  const z: Partial<Record<keyof PaperFigures, number>> = {};
  // The spread is not random (the schedule is fixed): it is compared to the printed two decimals.
  ours.spread.se = 0;
  for (const key of Object.keys(ours) as Array<keyof PaperFigures>) {
    const published = paper[key];
    if (published !== undefined && ours[key].se > 0) z[key] = (ours[key].value - published) / ours[key].se;
  }
  return { gamma, strategy, paths: summaries.length, ours, paper, z };
}

export function formatPaperTable(rows: readonly PaperRow[]): string {
  const figures: Array<[keyof PaperFigures, string]> = [
    ['spread', 'spread'],
    ['profit', 'profit'],
    ['stdProfit', 'std(profit)'],
    ['finalQ', 'final q'],
    ['stdFinalQ', 'std(final q)'],
  ];
  const lines: string[] = [];
  lines.push(
    `${'gamma'.padEnd(6)} ${'strategy'.padEnd(10)} ${'figure'.padEnd(13)} ${'ours'.padStart(9)} ${'+-se'.padStart(7)} ${'paper'.padStart(8)} ${'diff/se'.padStart(8)} ${'diff/se2'.padStart(9)}`,
  );
  for (const r of rows) {
    for (const [key, label] of figures) {
      const o = r.ours[key];
      const published = r.paper[key];
      const z = r.z[key];
      lines.push(
        `${String(r.gamma).padEnd(6)} ${r.strategy.padEnd(10)} ${label.padEnd(13)} ${o.value.toFixed(3).padStart(9)} ${(o.se > 0 ? o.se.toFixed(3) : '-').padStart(7)} ${(published === undefined ? 'n/a' : published.toFixed(3)).padStart(8)} ${(z === undefined ? '' : z.toFixed(2)).padStart(8)} ${(z === undefined ? '' : (z / Math.SQRT2).toFixed(2)).padStart(9)}`,
      );
    }
  }
  return lines.join('\n');
}
