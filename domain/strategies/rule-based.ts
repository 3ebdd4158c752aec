import type { RuleBasedConfig } from '../config';
import type { ModelCore } from './model-core';
import { decimalPriceModel, runPipeline, type PriceModel } from './pipeline';
import type { QuoteStrategy } from './types';

export interface RuleBasedParams {
  /** The spread policy's current spread, bps of mid. */
  spreadBps: number;
  /** Relative volatility per the volatility horizon. */
  volatility: number;
  volatilitySpreadFactor: number;
  skewFactor: number;
  /** Value share minus target: positive when the pool is long base. */
  shareDeviation: number;
}

export interface RuleBasedResult {
  widening: number;
  fullSpreadBps: number;
  /** How far the reservation price sits below the mid, bps of mid (negative: above). */
  reservationShiftBps: number;
  halfSpreadBps: number;
}

/**
 * Fixed-spread policy quoting, in bps of mid. Full spread = spreadBps x (1 + volatilitySpreadFactor x
 * volatility): the policy's regime multipliers are steps, the factor adds a continuous widening
 * within a regime. Inventory moves the reservation price, not the width:
 * r = mid - skewFactor x (share - target) x fullSpread, so a pool long base by value quotes both
 * sides lower (selling base more readily) and a short pool both sides higher.
 */
export function ruleBased(p: RuleBasedParams): RuleBasedResult {
  const widening = 1 + p.volatilitySpreadFactor * p.volatility;
  const fullSpreadBps = p.spreadBps * widening;
  return {
    widening,
    fullSpreadBps,
    reservationShiftBps: p.skewFactor * p.shareDeviation * fullSpreadBps,
    halfSpreadBps: fullSpreadBps / 2,
  };
}

export function ruleBasedCore(cfg: RuleBasedConfig): ModelCore {
  return (st) => {
    const r = ruleBased({
      spreadBps: st.spreadBps,
      volatility: st.volatility,
      volatilitySpreadFactor: cfg.volatilitySpreadFactor,
      skewFactor: cfg.skewFactor,
      shareDeviation: st.shareDeviation,
    });
    return {
      units: 'mid_relative',
      reservationOffset: r.reservationShiftBps,
      halfSpread: r.halfSpreadBps,
      bidDepth: r.reservationShiftBps + r.halfSpreadBps,
      askDepth: r.halfSpreadBps - r.reservationShiftBps,
      model: { widening: r.widening, fullSpreadBps: r.fullSpreadBps },
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
