import { Big } from '../domain/money';
import type { PoolConfig } from '../domain/config';
import { quoteLadder, type CycleMarket } from '../domain/quote-cycle';
import { strategyFor } from '../domain/strategies';
import { createFastQuoter, type FastQuoter } from '../domain/strategies/fast';
import type { QuoteLadder } from '../domain/strategies/types';
import type { StrategyView } from './types';

/*
 * The backtester's one seam to the live strategy: it turns the simulated state into the market a
 * live cycle sees and calls domain/quote-cycle.ts's quoteLadder, the function the live session
 * calls (the decimal engine), or the fast quoter built on the same model cores and proven equal
 * to it (the fast engine). Nothing else in backtest/ knows how a QuoteInput is built.
 *
 * 'units' and 'ignore' (the paper's q) count q in units from a target in base units (targetBase).
 * The paper's agent may be short, while a QuoteInput's reserves cannot be negative, so both the
 * holdings and the target are shifted by the same large X: q = ((X + base) - (X + initialBase)) /
 * orderSize is exact. The quote reserve X x mid keeps the value share within 1e-9 of 1/2, so no
 * share-driven rule (size shaping, the inventory limit) acts.
 */

/**
 * A simulated number as the decimal the live code would receive: 12 significant digits, as a
 * price feed or a balance query would quote it. Full doubles (17 digits of binary noise) would
 * make every decimal division of the live pipeline several times slower for no information.
 */
export function decimal(x: number): Big {
  return new Big(x.toPrecision(12));
}

const SYNTHETIC_BASE = new Big(1e9);

export interface SimState {
  /** The step's mid as the strategy sees it (see `decimal`). */
  mid: Big;
  base: number;
  quote: number;
  initialBase: number;
  spreadBps: Big;
  volatility: number;
  /** The simulated clock (ms from the start of the path). */
  nowMs: number;
  /** Overrides the session's T - t (the paper's symmetric benchmark freezes it). */
  timeRemainingSeconds?: number;
}

export interface Quoter {
  /** The reserves and target share the strategy and the risk check see. */
  market(state: SimState): CycleMarket;
  quote(market: CycleMarket): QuoteLadder;
}

export function createQuoter(
  cfg: PoolConfig,
  pool: { tickSize: Big; lotSize: Big; minSize: Big },
  view: StrategyView = {},
): Quoter {
  const strategy = strategyFor(cfg.strategy);
  const inventory = view.inventory ?? 'pool';
  return {
    market(state) {
      const mid = state.mid;
      let reserveBase: Big;
      let reserveQuote: Big;
      let targetBase: Big | undefined;
      if (inventory === 'pool') {
        reserveBase = decimal(state.base);
        reserveQuote = decimal(state.quote);
      } else {
        reserveBase = inventory === 'units' ? SYNTHETIC_BASE.plus(decimal(state.base)) : SYNTHETIC_BASE;
        targetBase = inventory === 'units' ? SYNTHETIC_BASE.plus(decimal(state.initialBase)) : SYNTHETIC_BASE;
        reserveQuote = SYNTHETIC_BASE.times(mid);
      }
      return {
        mid,
        reserveBase,
        reserveQuote,
        targetBase,
        spreadBps: state.spreadBps,
        volatility: state.volatility,
        tickSize: pool.tickSize,
        lotSize: pool.lotSize,
        minSize: pool.minSize,
        nowMs: state.nowMs,
        timeRemainingSeconds: state.timeRemainingSeconds,
      };
    },
    quote: (market) => quoteLadder(market, cfg, strategy),
  };
}

/**
 * The fast engine's quoter: the pool's strategy and ladder over the spec's grids, with the live
 * cycle's notional cap (cycleQuoteInput's maxOrderNotional). The caller fills the rest of the
 * cycle's input as cycleQuoteInput does: the spread policy's min and max spread, the target share
 * and the volatility horizon from the configuration.
 */
export function createFastStepQuoter(
  cfg: PoolConfig,
  pool: { tickSize: string; lotSize: string; minSize: string },
): FastQuoter {
  return createFastQuoter(
    { strategy: cfg.strategy, ladder: cfg.ladder },
    { ...pool, maxOrderNotional: cfg.risk.maxOrderNotional },
  );
}
