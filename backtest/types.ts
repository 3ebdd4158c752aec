/*
 * The backtester's contracts: what a scenario describes, what one simulated path produces, and the
 * files the tournament, sweep and paper reproduction write for the dashboard. Plain data (JSON
 * safe) so specs travel to worker threads and results to files unchanged.
 */
import type { PoolConfigInput } from '../domain/config';

/** A uniform draw in [0, 1); every random choice of a run comes from seeded ones. */
export type Rng = () => number;

/** How the reference mid moves. Relative parameters are per year unless named otherwise. */
export type PriceProcessSpec =
  | { kind: 'gbm'; drift: number; volatility: number }
  /** Avellaneda-Stoikov 2008's arithmetic random walk: +-sigma sqrt(dt) with probability 1/2 each. */
  | { kind: 'binomial_walk'; sigma: number }
  | {
      kind: 'jump';
      drift: number;
      volatility: number;
      jumpsPerYear: number;
      jumpMean: number;
      jumpStd: number;
    }
  | {
      kind: 'regime_switch';
      drift: number;
      /** Volatility of each regime and the rate (per year) of leaving it. */
      regimes: Array<{ volatility: number; leaveRatePerYear: number }>;
    }
  /** Prices replayed from a CSV file (`timestamp,price` or `price` per line), resampled to the step. */
  | { kind: 'csv'; file: string }
  /**
   * One GBM leg per asset priced in `numeraire`, their shocks correlated as the run command's
   * feeds are (adapters/price-feed/correlated.ts); the path is `pair`'s mid, its base leg over its
   * quote leg (the numeraire's leg is 1), so a cross such as ETH/BTC is its legs' ratio at every
   * step. The pool's s0 must be that ratio at the legs' initial prices.
   */
  | {
      kind: 'correlated';
      numeraire: string;
      assets: Array<{ asset: string; initialPrice: number; volatility: number; drift?: number }>;
      /** Per pair of legs in the order of `assets` (unit diagonal), or one value for every two legs. */
      correlation: number[][] | number;
      /** BASE/QUOTE: two legs (a cross) or a leg over the numeraire. */
      pair: string;
    };

/** Who trades against the quotes. */
export interface FlowSpec {
  /**
   * Poisson fills per quote level: lambda(d) = A exp(-k d) per second with d the level's distance
   * from the mid in basis points of mid (units: `kPer` says which; 'price' means quote units).
   */
  poisson?: {
    A: number;
    k: number;
    kPer: 'bps' | 'price';
    /**
     * Chance that a level resting for tau seconds fills: 'exponential' is the Poisson process's
     * 1 - exp(-lambda tau) (default); 'linear' is Avellaneda-Stoikov's lambda tau (capped at 1).
     */
    fillProbability?: 'exponential' | 'linear';
  };
  /** Takers who know the next mid and trade only when the next move crosses the quote. */
  informed?: { ratePerSecond: number; lookaheadSeconds: number };
  /** Taker trades replayed from a CSV file (`timestamp,side,price,quantity`). */
  replay?: { file: string };
}

export interface BacktestSpec {
  name: string;
  /** The pool configuration the live market maker would run with (strategy, ladder, risk, policy). */
  config: PoolConfigInput;
  pool: {
    s0: string;
    tickSize: string;
    lotSize: string;
    minSize: string;
    initialBase: string;
    initialQuote: string;
  };
  price: PriceProcessSpec;
  flow: FlowSpec;
  /** Seconds between quote updates (and price steps). */
  dtSeconds: number;
  steps: number;
  paths: number;
  seed: number;
  /** Delay between deciding quotes and their reaching the book. */
  latencyMs: number;
  /** Fee the pool earns (positive) or pays (negative) per fill, in bps of notional. */
  makerFeeBps: number;
  /** Fee paid per hedge trade, in bps of notional. */
  hedgeFeeBps: number;
  /** Seconds after a fill at which its adverse-selection cost is marked. */
  markoutSeconds: number;
  /** What the strategy is told about the market; absent fields take the live behaviour. */
  view?: StrategyView;
  /**
   * 'fast' (default): plain numbers, the fast quoter, guarded float decisions (backtest/fast-engine.ts);
   * 'exact': every decision through the decimal live code (the fast engine's reference, and the
   * engine of views the fast one does not cover). Both give the same summaries.
   */
  engine?: 'fast' | 'exact';
}

/**
 * The seam between the simulated market and the live strategy code (backtest/quoter.ts).
 * - volatility 'estimated' (default) runs the live estimator (domain/volatility.ts) on the path;
 *   'known' tells the strategy the process's true volatility (the paper's setting).
 * - inventory 'pool' (default) is the live pool: q from the value share against the target, fills
 *   limited by the reserves. 'units' measures q as base units held beyond the initial base (the
 *   paper's q; balances may go negative, the inventory limit cannot fire). 'ignore' quotes as if
 *   q were always 0 (the paper's symmetric strategy: same spread, centred on the mid).
 */
export interface StrategyView {
  volatility?: 'estimated' | 'known';
  inventory?: 'pool' | 'units' | 'ignore';
  /**
   * T - t handed to a finite-horizon strategy: 'session' (default) counts down a session of the
   * configured horizon that rolls over; a fixed value freezes it (the paper's symmetric benchmark
   * quotes the inventory strategy's session-average spread).
   */
  timeRemaining?: 'session' | { fixedSeconds: number };
}

/** One path's outcome. Money as numbers in quote units: the backtester reports, it never settles. */
export interface PathSummary {
  path: number;
  pnl: number;
  fees: number;
  finalInventory: number;
  maxDrawdown: number;
  fills: number;
  volume: number;
  /** Sum over fills of (markout mid - fill price) x signed size, negative when fills lose. */
  adverseSelection: number;
  /** Risk-limit stops, by reason (e.g. max_loss), that halted quoting on this path. */
  stops: string[];
  /** Mean quoted width (best ask - best bid) over the steps with both sides quoted, quote units. */
  meanSpread: number;
  /** The same in bps of mid. */
  meanSpreadBps: number;
  /** Steps on which risk limits kept the pool from quoting (pause or stop). */
  haltedSteps: number;
  /** Hedge trades (risk flattens). */
  hedges: number;
  /**
   * What holding the starting inventory untouched made on the path: initialBase x (final mid - s0)
   * (pnl - holdPnl is the market-making result without the inventory's price exposure). The engine
   * always sets it; optional so summaries written before it still read.
   */
  holdPnl?: number;
}

/** Sampled series for charts (every `sampleEvery` steps). */
export interface PathSeries {
  t: number[];
  mid: number[];
  bid: Array<number | null>;
  ask: Array<number | null>;
  equity: number[];
  inventory: number[];
}

export interface StrategyMetrics {
  strategy: string;
  scenario: string;
  paths: number;
  meanPnl: number;
  stdPnl: number;
  sharpe: number;
  maxDrawdown: number;
  finalInventoryStd: number;
  meanFills: number;
  adverseSelection: number;
  stopped: number;
}

/** What every results file holds at its top level, so the dashboard can tell them apart. */
export interface ResultsFileHeader {
  kind: 'tournament' | 'sweep' | 'paper' | 'run';
  createdAt: string;
  command: string;
  seed: number;
}
