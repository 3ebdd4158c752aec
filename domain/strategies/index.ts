import type { StrategyConfig } from '../config';
import { avellanedaStoikovStrategy } from './avellaneda-stoikov';
import { glftStrategy } from './glft';
import { ruleBasedStrategy } from './rule-based';
import type { QuoteStrategy } from './types';

/** The pool's configuration picks the strategy; all share one interface and one post-processing. */
export function strategyFor(config: StrategyConfig): QuoteStrategy {
  switch (config.kind) {
    case 'rule_based':
      return ruleBasedStrategy(config);
    case 'avellaneda_stoikov':
      return avellanedaStoikovStrategy(config);
    case 'glft':
      return glftStrategy(config);
  }
}

export type { QuoteInput, QuoteLadder, QuoteLevel, QuoteStrategy, ModelQuote } from './types';
export {
  ruleBasedStrategy,
  ruleBasedModel,
  ruleBased,
  type RuleBasedParams,
  type RuleBasedResult,
} from './rule-based';
export {
  avellanedaStoikovStrategy,
  avellanedaStoikovModel,
  avellanedaStoikov,
  avellanedaStoikovTau,
  sessionTimeRemainingSeconds,
  type AvellanedaStoikovParams,
  type AvellanedaStoikovResult,
} from './avellaneda-stoikov';
export { glftStrategy, glftModel, glftCoefficients, glftDepths } from './glft';
export { finalizeQuotes, type FinalQuotes } from './post-process';
export { buildRawLadder, inventorySizeFactors, type RawLadder } from './ladder';
export { inventoryPosition, absoluteSigmaPerSecond, type InventoryPosition } from './inventory';
export {
  BPS_PER_UNIT,
  modelUnitPrice,
  midInModelUnits,
  modelSigma,
  kFromBps,
  modelDistanceToPrice,
} from './units';
export { capModelWidth, resolveMinSpreadFloorBps } from './width-limits';
export {
  serializeLadder,
  parseLadder,
  type SerializedQuoteLadder,
  type SerializedQuoteLevel,
} from './serialize';
export { validateQuoteInput } from './validate-input';
