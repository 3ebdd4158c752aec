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
  return writeRuleBased(p, { widening: 0, fullSpreadBps: 0, reservationShiftBps: 0, halfSpreadBps: 0 });
}

/** `ruleBased` into a caller-owned result (the core reuses one per configuration). */
function writeRuleBased(p: RuleBasedParams, r: RuleBasedResult): RuleBasedResult {
  const widening = 1 + p.volatilitySpreadFactor * p.volatility;
  const fullSpreadBps = p.spreadBps * widening;
  r.widening = widening;
  r.fullSpreadBps = fullSpreadBps;
  r.reservationShiftBps = p.skewFactor * p.shareDeviation * fullSpreadBps;
  r.halfSpreadBps = fullSpreadBps / 2;
  return r;
}

export function ruleBasedCore(cfg: RuleBasedConfig): ModelCore {
  // Scratch for one call at a time: a core runs to completion before the next call.
  const p: RuleBasedParams = {
    spreadBps: 0,
    volatility: 0,
    volatilitySpreadFactor: cfg.volatilitySpreadFactor,
    skewFactor: cfg.skewFactor,
    shareDeviation: 0,
  };
  const r: RuleBasedResult = { widening: 0, fullSpreadBps: 0, reservationShiftBps: 0, halfSpreadBps: 0 };
  return (st, out) => {
    p.spreadBps = st.spreadBps;
    p.volatility = st.volatility;
    p.shareDeviation = st.shareDeviation;
    writeRuleBased(p, r);
    out.units = 'mid_relative';
    out.reservationOffset = r.reservationShiftBps;
    out.halfSpread = r.halfSpreadBps;
    out.bidDepth = r.reservationShiftBps + r.halfSpreadBps;
    out.askDepth = r.halfSpreadBps - r.reservationShiftBps;
    const m = out.model;
    m.widening = r.widening;
    m.fullSpreadBps = r.fullSpreadBps;
    return out;
  };
}

export function ruleBasedModel(cfg: RuleBasedConfig): PriceModel {
  return decimalPriceModel(ruleBasedCore(cfg));
}

export function ruleBasedStrategy(cfg: RuleBasedConfig): QuoteStrategy {
  const model = ruleBasedModel(cfg);
  return { kind: 'rule_based', compute: (input) => runPipeline('rule_based', model, input) };
}
