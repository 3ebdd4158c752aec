import type { StrategyConfig } from '../config';
import { avellanedaStoikovCore } from './avellaneda-stoikov';
import { glftCore } from './glft';
import type { ModelCore } from './model-core';
import { ruleBasedCore } from './rule-based';

/**
 * The one place a configuration picks its price model. `strategyFor` (decimal pipeline) and
 * `createFastQuoter` both go through it, so live quoting and backtests run the same formula.
 */
export function modelCoreFor(config: StrategyConfig): ModelCore {
  switch (config.kind) {
    case 'rule_based':
      return ruleBasedCore(config);
    case 'avellaneda_stoikov':
      return avellanedaStoikovCore(config);
    case 'glft':
      return glftCore(config);
  }
}
