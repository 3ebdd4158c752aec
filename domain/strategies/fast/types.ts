import type { LadderConfig, StrategyConfig } from '../../config';

/** What the fast quoter needs from a pool's configuration. */
export interface FastQuoterConfig {
  strategy: StrategyConfig;
  ladder: LadderConfig;
}

/** The market's grids, as the decimal strings the venue publishes. */
export interface FastMarket {
  tickSize: string;
  lotSize: string;
  minSize: string;
  maxOrderNotional?: string | undefined;
}

/**
 * One evaluation's inputs as doubles. Each double stands for its shortest decimal form (what
 * `new Big(x)` reads): that is the decimal input the fast quoter agrees with exactly.
 */
export interface FastQuoteInput {
  mid: number;
  reserveBase: number;
  reserveQuote: number;
  targetInventoryShare: number;
  spreadBps: number;
  volatility: number;
  volatilityHorizonSeconds: number;
  bestBid?: number | undefined;
  bestAsk?: number | undefined;
  timeRemainingSeconds?: number | undefined;
  /** The caller's clock (simulated in a backtest), ms since the epoch: the finite A-S session. */
  nowMs?: number | undefined;
  /** Fitted intensity lambda(d) = A exp(-k d_bps), k per basis point of mid. */
  intensity?: { A: number; k: number } | undefined;
  /** Inventory target in base units (q = (reserveBase - targetBase) / baseOrderSize). */
  targetBase?: number | undefined;
  /** The spread policy's live bounds, bps of mid (see QuoteInput). */
  minSpreadBps?: number | undefined;
  maxSpreadBps?: number | undefined;
}

/**
 * A quote ladder in whole ticks and lots: level j's price is bidTicks[j] x tickSize and its size
 * bidLots[j] x lotSize, for j < bidCount (best first), likewise for asks. The quoter owns and
 * reuses this object: it is overwritten by the next call, so copy what you keep.
 */
export interface FastLadder {
  bidCount: number;
  askCount: number;
  readonly bidTicks: Float64Array;
  readonly bidLots: Float64Array;
  readonly askTicks: Float64Array;
  readonly askLots: Float64Array;
  /** Bit set over QUOTE_ADJUSTMENTS (see `adjustmentNames`). */
  adjustments: number;
  /** mid - the model's reservation offset, as a double (the decimal path's value to ~1e-15). */
  reservationPrice: number;
  /** The model's level-0 depths from mid after the maxSpreadBps cap, quote units, doubles. */
  bidDepth: number;
  askDepth: number;
  q: number;
  inventoryShare: number;
  /** The model's intermediates (sigma, tau, ...), as the decimal ladder's `model`. */
  model: Record<string, number>;
  /** 0: decided in floats; 1: some value decided in decimals; 2: the whole ladder from the decimal pipeline. */
  exactness: 0 | 1 | 2;
}

export interface FastQuoterStats {
  quotes: number;
  /** Quotes where at least one value sat within rounding error of a tick or lot boundary. */
  exactDecisions: number;
  /** Quotes handed whole to the decimal pipeline (values beyond the float range). */
  decimalFallbacks: number;
  /** Values decided in decimals, by kind (level prices, level sizes, spread floor and cap, notional cap). */
  exactValues: { prices: number; sizes: number; spreadFloor: number; spreadCap: number; notional: number };
}

export interface FastQuoter {
  (input: FastQuoteInput): FastLadder;
  readonly stats: FastQuoterStats;
  /** ticks x tickSize as the nearest double (equal to Number() of the decimal price). */
  price(ticks: number): number;
  /** lots x lotSize as the nearest double. */
  size(lots: number): number;
}
