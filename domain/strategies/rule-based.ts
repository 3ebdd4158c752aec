import type { RuleBasedConfig } from '../config';
import { modelDistanceToPrice } from './units';
import { runPipeline, type PriceModel } from './pipeline';
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

export function ruleBasedModel(cfg: RuleBasedConfig): PriceModel {
  return (input, position) => {
    const r = ruleBased({
      spreadBps: Number(input.spreadBps.toPrecision(15)),
      volatility: input.volatility,
      volatilitySpreadFactor: cfg.volatilitySpreadFactor,
      skewFactor: cfg.skewFactor,
      shareDeviation: Number(position.shareDeviation.toPrecision(15)),
    });
    const shift = modelDistanceToPrice('mid_relative', r.reservationShiftBps, input.mid, 'reservationShift');
    const half = modelDistanceToPrice('mid_relative', r.halfSpreadBps, input.mid, 'halfSpread');
    return {
      reservationPrice: input.mid.minus(shift),
      bidDepth: shift.plus(half),
      askDepth: half.minus(shift),
      model: { widening: r.widening, fullSpreadBps: r.fullSpreadBps },
    };
  };
}

export function ruleBasedStrategy(cfg: RuleBasedConfig): QuoteStrategy {
  const model = ruleBasedModel(cfg);
  return { kind: 'rule_based', compute: (input) => runPipeline('rule_based', model, input) };
}
