import type { StrategyConfig } from '../config';
import { modelCoreFor } from './cores';
import { decimalPriceModel, runPipeline } from './pipeline';
import type { QuoteStrategy } from './types';

/** The pool's configuration picks the strategy; all share one interface and one post-processing. */
export function strategyFor(config: StrategyConfig): QuoteStrategy {
  const model = decimalPriceModel(modelCoreFor(config));
  return { kind: config.kind, compute: (input) => runPipeline(config.kind, model, input) };
}

export type { QuoteInput, QuoteLadder, QuoteLevel, QuoteStrategy, ModelQuote } from './types';
export { modelCoreFor } from './cores';
export {
  modelState,
  inventoryNumbers,
  type ModelState,
  type ModelStateInput,
  type ModelOutput,
  type ModelCore,
} from './model-core';
export { decimalModelState, modelQuoteToPrices, MODEL_DECIMALS } from './pipeline';
export {
  ruleBasedStrategy,
  ruleBasedModel,
  ruleBasedCore,
  ruleBased,
  type RuleBasedParams,
  type RuleBasedResult,
} from './rule-based';
export {
  avellanedaStoikovStrategy,
  avellanedaStoikovModel,
  avellanedaStoikov,
  avellanedaStoikovTau,
  avellanedaStoikovCore,
  sessionTimeRemainingSeconds,
  type AvellanedaStoikovParams,
  type AvellanedaStoikovResult,
} from './avellaneda-stoikov';
export { glftStrategy, glftModel, glftCore, glftCoefficients, glftDepths } from './glft';
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
export * from './fast/index';
