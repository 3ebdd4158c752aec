import type { PoolConfig } from '../domain/config';
import type { SerializedQuoteLadder } from '../domain/strategies/serialize';
import type { VolatilityRegime } from '../domain/volatility';
import type { ReconcileResult } from '../db/order-book';

/** Plain JSON, decimal strings: what monitorMarketConditions hands the workflows. */
export interface MarketSnapshot {
  poolId: string;
  status: 'active' | 'paused' | 'closed';
  observedAtMs: number;
  /** The feed the reference price comes from: the session wakes on its ticks. */
  priceFeed: string;
  /** The price quotes are built around, from the pool's configured source. */
  mid: string;
  midSource: PoolConfig['priceSource'];
  referencePrice: string | null;
  /** Age of the reference feed's latest tick; null when the feed has no tick at all. */
  priceAgeSeconds: number | null;
  bestBid: string | null;
  bestAsk: string | null;
  reserveBase: string;
  reserveQuote: string;
  totalShares: string;
  /** Liquidity added minus removed over the pool's life: P&L baselines subtract it. */
  netBaseContributed: string;
  netQuoteContributed: string;
  /** Fees the hedge venue charged over the pool's life (a baseline records it; a run's fees are the difference). */
  hedgeFeesPaid: string;
  /** The most capital ever contributed to the pool, valued when contributed: what a return is measured on. */
  peakCapital: string;
  inventoryShare: string;
  tvl: string;
  spreadBps: string;
  tickSize: string;
  lotSize: string;
  minSize: string;
  volatility: number;
  volatilityRegime: VolatilityRegime;
  pnl: {
    holdValue: string;
    currentValue: string;
    totalPnl: string;
    tradePnl: string;
    /** Trading fees earned minus hedge fees paid, since the baseline. */
    fees: string;
    feesEarned: string;
    feesPaid: string;
    /** Null when no capital was ever at risk (see domain/pnl.ts): shown as "n/a", never a division by zero. */
    returnPct: string | null;
  };
  recentVolumeBase: string;
  recentTrades: number;
  openOrders: number;
  config: PoolConfig;
}

/** Reserves and contributions when the market maker started: its P&L is measured from there. */
export interface PnlBaseline {
  reserveBase: string;
  reserveQuote: string;
  netBaseContributed: string;
  netQuoteContributed: string;
  /** The pool's hedge fees paid when the baseline was taken; absent in baselines from before it was kept (read as 0). */
  hedgeFeesPaid?: string;
}

export interface QuoteCycleResult extends ReconcileResult {
  ladder: SerializedQuoteLadder;
}

export interface PoolEventSummary {
  /** Events past the checkpoint, by type, each counted once. */
  counts: Record<string, number>;
  /** Events handed over for processing by this read. */
  read: number;
  /** The stream version of the last event read: the new checkpoint. */
  lastVersion: number;
  /**
   * Events past the caller's checkpoint that an earlier run already processed (after a reset or a
   * restart): counted, not processed again. Absent in histories recorded before the durable checkpoint.
   */
  alreadyProcessed?: number;
}

/** One saga iteration's reads: its events past the checkpoint and what the spread policy needs. */
export interface SpreadInputs {
  events: PoolEventSummary;
  market: {
    spreadBps: string;
    inventoryShare: string;
    volatility: number;
    tvl: string;
    spreadPolicy: PoolConfig['spreadPolicy'];
  };
}
