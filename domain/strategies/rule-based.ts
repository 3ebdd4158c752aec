import type { RuleBasedConfig } from '../config';
import type { ModelCore } from './model-core';
import { decimalPriceModel, runPipeline, type PriceModel } from './pipeline';
import type { QuoteStrategy } from './types';

export interface RuleBasedParams {
  /** Mid (quote units). */
  s: number;
  /** The spread policy's current spread. */
  spreadBps: number;
  /** Relative volatility per horizon. */
  volatility: number;
  volatilitySpreadFactor: number;
  skewFactor: number;
  /** Value share in base minus its target. */
  shareDeviation: number;
}

/**
 * Fixed-spread policy quoting. Full spread = spreadBps x (1 + volatilitySpreadFactor x volatility)
 * of mid: the policy's regime multipliers are steps, the factor adds a continuous widening within
 * a regime. Inventory moves the reservation price, not the width:
 * r = mid - skewFactor x (share - target) x fullSpread, so a pool long base by value quotes both
 * sides lower (selling base more readily) and a short pool both sides higher.
 */
export function ruleBased(p: RuleBasedParams): {
  widening: number;
  fullSpread: number;
  reservationOffset: number;
} {
  const widening = 1 + p.volatilitySpreadFactor * p.volatility;
  const fullSpread = p.s * p.spreadBps * 1e-4 * widening;
  return { widening, fullSpread, reservationOffset: p.skewFactor * p.shareDeviation * fullSpread };
}

export function ruleBasedCore(cfg: RuleBasedConfig): ModelCore {
  return (st) => {
    const r = ruleBased({
      s: st.s,
      spreadBps: st.spreadBps,
      volatility: st.volatility,
      volatilitySpreadFactor: cfg.volatilitySpreadFactor,
      skewFactor: cfg.skewFactor,
      shareDeviation: st.shareDeviation,
    });
    const half = r.fullSpread / 2;
    return {
      reservationOffset: r.reservationOffset,
      bidDepth: r.reservationOffset + half,
      askDepth: half - r.reservationOffset,
      model: { widening: r.widening, fullSpread: r.fullSpread },
    };
  };
}

export function ruleBasedModel(cfg: RuleBasedConfig): PriceModel {
  return decimalPriceModel(ruleBasedCore(cfg));
}

export function ruleBasedStrategy(cfg: RuleBasedConfig): QuoteStrategy {
  const model = ruleBasedModel(cfg);
  return { kind: 'rule_based', compute: (input) => runPipeline('rule_based', model, input) };
}
