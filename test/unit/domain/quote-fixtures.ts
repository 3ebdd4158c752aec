import {
  Big,
  DEFAULT_POOL_CONFIG,
  parsePoolConfig,
  type LadderConfig,
  type QuoteInput,
  type StrategyConfig,
} from '../../../domain';

export const STRATEGY_KINDS = ['rule_based', 'avellaneda_stoikov', 'glft'] as const;

export function strategyConfig(kind: (typeof STRATEGY_KINDS)[number]): StrategyConfig {
  return parsePoolConfig({ strategy: { kind } }).strategy;
}

export function ladder(patch: Partial<LadderConfig> = {}): LadderConfig {
  return { ...DEFAULT_POOL_CONFIG.ladder, ...patch };
}

/** A balanced ETH/USDC-like pool: 10 base at 2000 against 20000 quote. */
export function quoteInput(patch: Partial<QuoteInput> = {}): QuoteInput {
  return {
    mid: new Big('2000'),
    reserveBase: new Big('10'),
    reserveQuote: new Big('20000'),
    targetInventoryShare: 0.5,
    spreadBps: new Big('30'),
    volatility: 0.05,
    volatilityHorizonSeconds: 3600,
    tickSize: new Big('0.01'),
    lotSize: new Big('0.001'),
    minSize: new Big('0.001'),
    ladder: ladder(),
    guardMid: true,
    ...patch,
  };
}
