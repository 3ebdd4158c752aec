import { modelNumberToBig, ratioToBig, ONE_BASIS_POINT, HALF } from '../money';
import type { RuleBasedConfig } from '../config';
import { runPipeline, type PriceModel } from './pipeline';
import type { QuoteStrategy } from './types';

/**
 * Fixed-spread policy quoting. Full spread = spreadBps x (1 + volatilitySpreadFactor x volatility)
 * of mid: the policy's regime multipliers are steps, the factor adds a continuous widening within
 * a regime. Inventory moves the reservation price, not the width:
 * r = mid - skewFactor x (share - target) x fullSpread, so a pool long base by value quotes both
 * sides lower (selling base more readily) and a short pool both sides higher.
 */
export function ruleBasedModel(cfg: RuleBasedConfig): PriceModel {
  return (input, position) => {
    const widening = modelNumberToBig(
      1 + cfg.volatilitySpreadFactor * input.volatility,
      'volatilityWidening',
    );
    const fullSpread = input.mid.times(input.spreadBps).times(ONE_BASIS_POINT).times(widening);
    const half = fullSpread.times(HALF);
    const shift = ratioToBig(cfg.skewFactor, 'strategy.skewFactor')
      .times(position.shareDeviation)
      .times(fullSpread);
    const reservationPrice = input.mid.minus(shift);
    return {
      reservationPrice,
      bidDepth: shift.plus(half),
      askDepth: half.minus(shift),
      model: { widening: Number(widening.toFixed()), fullSpread: Number(fullSpread.toPrecision(15)) },
    };
  };
}

export function ruleBasedStrategy(cfg: RuleBasedConfig): QuoteStrategy {
  const model = ruleBasedModel(cfg);
  return { kind: 'rule_based', compute: (input) => runPipeline('rule_based', model, input) };
}
