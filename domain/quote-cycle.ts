import { Big } from './money';
import type { PoolConfig } from './config';
import { applyPriceBand, type PriceBand } from './price-band';
import { evaluateRisk, type RiskEvaluation, type RiskInput } from './risk';
import { strategyFor } from './strategies';
import type { QuoteInput, QuoteLadder, QuoteStrategy } from './strategies/types';

/*
 * The decisions of one quoting cycle that do not touch the database: the risk verdict, the spread
 * the quotes are built on, and the ladder itself. The live session (activities/quote-cycle.ts,
 * activities/quotes.ts) and the backtester (backtest/engine.ts) both call these, so a backtest
 * measures the very code that quotes in production.
 */

/** What the strategy needs to know about the market and the pool at one cycle. */
export interface CycleMarket {
  mid: Big;
  reserveBase: Big;
  reserveQuote: Big;
  /** The spread policy's current spread (the saga's decision). */
  spreadBps: Big;
  volatility: number;
  bestBid?: Big;
  bestAsk?: Big;
  tickSize: Big;
  lotSize: Big;
  minSize: Big;
  /** The caller's clock (live: the activity's; backtest: simulated): places finite-horizon sessions. */
  nowMs?: number;
  /** T - t for the finite-horizon Avellaneda-Stoikov form; overrides the one derived from nowMs. */
  timeRemainingSeconds?: number;
  /** Inventory target in base units (q counts units from it); absent: the value-share target. */
  targetBase?: Big;
  /** A fitted order-arrival intensity (k per bps of mid, A per second): replaces the configured A and k. */
  intensity?: { A: number; k: number };
}

export function cycleQuoteInput(market: CycleMarket, cfg: PoolConfig): QuoteInput {
  return {
    mid: market.mid,
    reserveBase: market.reserveBase,
    reserveQuote: market.reserveQuote,
    targetInventoryShare: cfg.spreadPolicy.targetInventoryShare,
    targetBase: market.targetBase,
    spreadBps: market.spreadBps,
    minSpreadBps: new Big(cfg.spreadPolicy.minSpreadBps),
    maxSpreadBps: new Big(cfg.spreadPolicy.maxSpreadBps),
    volatility: market.volatility,
    volatilityHorizonSeconds: cfg.volatility.horizonSeconds,
    bestBid: market.bestBid,
    bestAsk: market.bestAsk,
    tickSize: market.tickSize,
    lotSize: market.lotSize,
    minSize: market.minSize,
    ladder: cfg.ladder,
    timeRemainingSeconds: market.timeRemainingSeconds,
    nowMs: market.nowMs,
    intensity: market.intensity,
    guardMid: cfg.ladder.guardMid,
    maxOrderNotional: new Big(cfg.risk.maxOrderNotional),
  };
}

/**
 * The one function that turns a cycle's market into the pool's ladder. `strategy` is
 * `strategyFor(cfg.strategy)`; callers quoting many cycles build it once.
 */
export function quoteLadder(
  market: CycleMarket,
  cfg: PoolConfig,
  strategy: QuoteStrategy = strategyFor(cfg.strategy),
): QuoteLadder {
  const ladder = strategy.compute(cycleQuoteInput(market, cfg));
  const band = priceBandOf(cfg.ladder);
  if (band.ceiling === undefined && band.floor === undefined) return ladder;
  // The band comes last, after every guard and rounding, so no later step can move a level back
  // across a bound; what it removed is recorded with the ladder's other adjustments.
  const banded = applyPriceBand(ladder, market.mid, band);
  return {
    ...ladder,
    bids: banded.bids,
    asks: banded.asks,
    adjustments: [...ladder.adjustments, ...banded.adjustments],
  };
}

/** The pool's per-market price band (ladder.priceCeiling / priceFloor); either may be absent. */
function priceBandOf(ladder: PoolConfig['ladder']): PriceBand {
  return {
    ...(ladder.priceCeiling !== undefined ? { ceiling: new Big(ladder.priceCeiling) } : {}),
    ...(ladder.priceFloor !== undefined ? { floor: new Big(ladder.priceFloor) } : {}),
  };
}

/**
 * The risk verdict of a cycle. Flattening trades at the reference price, so a breach that comes
 * with a stale price pauses instead.
 */
export function cycleRisk(input: RiskInput, cfg: PoolConfig): RiskEvaluation {
  const risk = evaluateRisk(input, cfg.risk);
  if (risk.action === 'flatten' && risk.reasons.some((r) => r.limit === 'maxPriceAgeSeconds')) {
    return { ...risk, action: 'pause', cooldownSeconds: cfg.risk.cooldownSeconds };
  }
  return risk;
}

/** The spread a cycle quotes on: a 'widen' verdict quotes 1.5 times wider for that cycle. */
export function cycleSpreadBps(spreadBps: Big, risk: RiskEvaluation): Big {
  return risk.action === 'widen' ? spreadBps.times(1.5).round(4) : spreadBps;
}
