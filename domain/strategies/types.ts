import type { Big } from '../money';
import type { LadderConfig, StrategyKind } from '../config';

export interface QuoteInput {
  /** Reference mid the quotes are built around (the configured price source). */
  mid: Big;
  reserveBase: Big;
  reserveQuote: Big;
  targetInventoryShare: number;
  /**
   * Inventory target in base units. When set, the models' q is (reserveBase - targetBase) /
   * ladder.baseOrderSize (the paper's unit count) instead of the value-share deviation.
   */
  targetBase?: Big;
  /** The pool's current spread from the spread policy (used by rule_based). */
  spreadBps: Big;
  /**
   * The spread policy's live bounds, bps of mid. The best bid/ask are never narrower than
   * ladder.minSpreadFloorBps, or minSpreadBps when the ladder sets no floor, and never wider than
   * maxSpreadBps (the cap wins if both cannot hold on the tick grid). Absent: no floor / no cap
   * (a backtest of a published model).
   */
  minSpreadBps?: Big;
  maxSpreadBps?: Big;
  /** Relative volatility per `volatilityHorizonSeconds` (0.05 = 5% per horizon). */
  volatility: number;
  volatilityHorizonSeconds: number;
  /** Best prices of the other parties on the book; our quotes never cross them. */
  bestBid?: Big;
  bestAsk?: Big;
  tickSize: Big;
  lotSize: Big;
  minSize: Big;
  ladder: LadderConfig;
  /** T - t for the finite-horizon Avellaneda-Stoikov form; overrides the one derived from nowMs. */
  timeRemainingSeconds?: number;
  /**
   * The caller's clock in ms since the epoch (the activity's live, simulated in a backtest): the
   * finite-horizon session's time left is derived from it.
   */
  nowMs?: number;
  guardMid: boolean;
  /**
   * A fitted order-arrival intensity lambda(d) = A exp(-k d_bps): A per second, k per basis point
   * of mid (whatever the strategy's parameterUnits). Overrides the configured A and k.
   */
  intensity?: { A: number; k: number };
  /** Each level's size is cut so that price x size never exceeds this. */
  maxOrderNotional?: Big;
}

export interface QuoteLevel {
  price: Big;
  size: Big;
}

export interface QuoteLadder {
  strategy: StrategyKind;
  /** The model's indifference price, before tick rounding. */
  reservationPrice: Big;
  /** Half of the model's level-0 spread, in quote units, before rounding and guards. */
  halfSpread: Big;
  /** Model distances of the level-0 bid and ask from the mid (can be negative at large inventory). */
  bidDepth: Big;
  askDepth: Big;
  /** Best first. Bids strictly descending, asks strictly ascending. */
  bids: QuoteLevel[];
  asks: QuoteLevel[];
  /** Machine-readable notes on what post-processing changed (e.g. 'bid_capped_by_mid'). */
  adjustments: string[];
  /** Model intermediates (q, sigma, tau ...) for logs and the backtester. */
  model: Record<string, number>;
}

export interface QuoteStrategy {
  readonly kind: StrategyKind;
  compute(input: QuoteInput): QuoteLadder;
}

/** What a model produces before the shared ladder building and post-processing. */
export interface ModelQuote {
  reservationPrice: Big;
  /** Level-0 bid = mid - bidDepth, ask = mid + askDepth. */
  bidDepth: Big;
  askDepth: Big;
  model: Record<string, number>;
}
