import { Big } from '../domain/money';
import type { PoolConfig } from '../domain/config';
import { quoteLadder, type CycleMarket } from '../domain/quote-cycle';
import { strategyFor } from '../domain/strategies';
import type { QuoteLadder } from '../domain/strategies/types';
import type { StrategyView } from './types';

/*
 * The backtester's one seam to the live strategy: it turns the simulated state into the market a
 * live cycle sees and calls domain/quote-cycle.ts's quoteLadder, the function the live session
 * calls. Nothing else in backtest/ knows how a QuoteInput is built.
 *
 * The paper's q is a count of units against a fixed target, while the live models measure q from
 * the pool's value share. Until the strategies take a target in base units, 'units' and 'ignore'
 * present synthetic reserves that make the live formula give exactly the wanted q: with target
 * share 1/2, reserves (X + d, (X - d) x mid) sit d base units above target. X is large, so the
 * share stays within 1e-9 of 1/2 and no share-driven rule (size shaping, inventory limit) acts.
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
const ZERO = new Big(0);

export interface SimState {
  /** The step's mid as the strategy sees it (see `decimal`). */
  mid: Big;
  base: number;
  quote: number;
  initialBase: number;
  spreadBps: Big;
  volatility: number;
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
      let targetInventoryShare: number | undefined;
      if (inventory === 'pool') {
        reserveBase = decimal(state.base);
        reserveQuote = decimal(state.quote);
      } else {
        const d = inventory === 'units' ? new Big(state.base).minus(state.initialBase) : ZERO;
        reserveBase = SYNTHETIC_BASE.plus(d);
        reserveQuote = SYNTHETIC_BASE.minus(d).times(mid);
        targetInventoryShare = 0.5;
      }
      return {
        mid,
        reserveBase,
        reserveQuote,
        spreadBps: state.spreadBps,
        volatility: state.volatility,
        tickSize: pool.tickSize,
        lotSize: pool.lotSize,
        minSize: pool.minSize,
        timeRemainingSeconds: state.timeRemainingSeconds,
        targetInventoryShare,
      };
    },
    quote: (market) => quoteLadder(market, cfg, strategy),
  };
}
