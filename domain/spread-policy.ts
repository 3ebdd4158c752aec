import { Big, formatDecimal, ratioToBig } from './money';
import { DomainValidationError } from './errors';
import type { SpreadPolicy } from './config';
import { volatilityRegime, type VolatilityRegime } from './volatility';

export type ImbalanceLevel = 'none' | 'moderate' | 'critical';
export type ImbalanceAction = 'none' | 'monitor' | 'rebalance';
export type SpreadReason =
  | 'inventory_imbalance_moderate'
  | 'inventory_imbalance_critical'
  | 'volatility_high'
  | 'volatility_extreme'
  | 'tvl_low'
  | 'tvl_medium'
  | 'clamped_min'
  | 'clamped_max';

export interface SpreadEvaluationInput {
  /** The spread the pool runs at now (the saga's "old" spread). */
  currentSpreadBps: Big;
  inventoryShare: Big;
  volatility: number;
  tvl: Big;
  previousVolatilityRegime: VolatilityRegime;
  /** When given, an imbalance event is emitted only when the level changes (no repeats). */
  previousImbalanceLevel?: ImbalanceLevel;
}

/*
 * Event intents, not stored events: `payload` is the registry payload (domain/events.ts) minus
 * `poolId`, which the caller adds along with the envelope. Amounts are decimal strings because
 * they go straight to the boundary.
 */
export interface InventoryImbalanceDetectedIntent {
  type: 'inventory_imbalance_detected';
  payload: {
    inventoryShare: string;
    targetShare: string;
    imbalance: string;
    severity: Exclude<ImbalanceLevel, 'none'>;
    recommendedAction: Exclude<ImbalanceAction, 'none'>;
  };
}

export interface MarketVolatilityChangedIntent {
  type: 'market_volatility_changed';
  payload: { volatility: number; oldRegime: VolatilityRegime; newRegime: VolatilityRegime };
}

export type SpreadPolicyEvent = InventoryImbalanceDetectedIntent | MarketVolatilityChangedIntent;

export interface SpreadEvaluation {
  targetSpreadBps: Big;
  /** Before clamping; equal to the target unless a clamp reason is present. */
  rawSpreadBps: Big;
  reasons: SpreadReason[];
  shouldAdjust: boolean;
  imbalance: { value: Big; level: ImbalanceLevel; recommendedAction: ImbalanceAction };
  volatilityRegime: VolatilityRegime;
  events: SpreadPolicyEvent[];
}

/** Target spreads keep the precision a configured bps value may have. */
const SPREAD_DECIMALS = 4;

export function imbalanceLevel(imbalance: Big, policy: SpreadPolicy): ImbalanceLevel {
  if (imbalance.gt(ratioToBig(policy.criticalImbalanceThreshold, 'criticalImbalanceThreshold')))
    return 'critical';
  if (imbalance.gt(ratioToBig(policy.imbalanceThreshold, 'imbalanceThreshold'))) return 'moderate';
  return 'none';
}

const ACTION_FOR_LEVEL: Record<ImbalanceLevel, ImbalanceAction> = {
  none: 'none',
  moderate: 'monitor',
  critical: 'rebalance',
};

/**
 * The pool's target spread: defaultSpreadBps times every applicable multiplier, clamped.
 *
 * Boundaries (all configurable values, defaults shown):
 * - imbalance = |share - target|; strictly above 0.2 is moderate (x1.25), strictly above 0.4 is
 *   critical (x1.5 instead of x1.25, not on top of it). Exactly 0.2 is none.
 * - volatility strictly above 0.05 is high (x2), strictly above 0.10 extreme (x3 instead of x2).
 * - TVL strictly below 10,000 is low (x1.5), else strictly below 50,000 medium (x1.2); exactly
 *   10,000 is medium and exactly 50,000 applies no TVL multiplier.
 * - The three families multiply together; the result is rounded half-up to 4 decimals, then
 *   clamped to [minSpreadBps, maxSpreadBps].
 * - shouldAdjust when |target - current| > hysteresis x current (strictly: a change of exactly
 *   10% is not made). With no current spread (0) any non-zero target adjusts.
 */
export function evaluateSpread(input: SpreadEvaluationInput, policy: SpreadPolicy): SpreadEvaluation {
  const { inventoryShare, tvl, currentSpreadBps } = input;
  if (inventoryShare.lt(0) || inventoryShare.gt(1)) {
    throw new DomainValidationError(
      'inventoryShare',
      `inventoryShare must lie in [0, 1], got "${formatDecimal(inventoryShare)}"`,
    );
  }
  if (tvl.lt(0))
    throw new DomainValidationError('tvl', `tvl must not be negative, got "${formatDecimal(tvl)}"`);
  if (currentSpreadBps.lt(0)) {
    throw new DomainValidationError(
      'currentSpreadBps',
      `currentSpreadBps must not be negative, got "${formatDecimal(currentSpreadBps)}"`,
    );
  }

  const reasons: SpreadReason[] = [];
  const events: SpreadPolicyEvent[] = [];
  let raw = new Big(policy.defaultSpreadBps);

  const targetShare = ratioToBig(policy.targetInventoryShare, 'targetInventoryShare');
  const imbalanceValue = inventoryShare.minus(targetShare).abs();
  const level = imbalanceLevel(imbalanceValue, policy);
  if (level === 'critical') {
    raw = raw.times(ratioToBig(policy.criticalImbalanceMultiplier, 'criticalImbalanceMultiplier'));
    reasons.push('inventory_imbalance_critical');
  } else if (level === 'moderate') {
    raw = raw.times(ratioToBig(policy.moderateImbalanceMultiplier, 'moderateImbalanceMultiplier'));
    reasons.push('inventory_imbalance_moderate');
  }
  if (level !== 'none' && level !== input.previousImbalanceLevel) {
    events.push({
      type: 'inventory_imbalance_detected',
      payload: {
        inventoryShare: formatDecimal(inventoryShare),
        targetShare: formatDecimal(targetShare),
        imbalance: formatDecimal(imbalanceValue),
        severity: level,
        recommendedAction: level === 'critical' ? 'rebalance' : 'monitor',
      },
    });
  }

  const regime = volatilityRegime(input.volatility, policy, input.previousVolatilityRegime);
  if (regime === 'extreme') {
    raw = raw.times(ratioToBig(policy.extremeVolatilityMultiplier, 'extremeVolatilityMultiplier'));
    reasons.push('volatility_extreme');
  } else if (regime === 'high') {
    raw = raw.times(ratioToBig(policy.highVolatilityMultiplier, 'highVolatilityMultiplier'));
    reasons.push('volatility_high');
  }
  if (regime !== input.previousVolatilityRegime) {
    events.push({
      type: 'market_volatility_changed',
      payload: { volatility: input.volatility, oldRegime: input.previousVolatilityRegime, newRegime: regime },
    });
  }

  if (tvl.lt(policy.lowTvlThreshold)) {
    raw = raw.times(ratioToBig(policy.lowTvlMultiplier, 'lowTvlMultiplier'));
    reasons.push('tvl_low');
  } else if (tvl.lt(policy.mediumTvlThreshold)) {
    raw = raw.times(ratioToBig(policy.mediumTvlMultiplier, 'mediumTvlMultiplier'));
    reasons.push('tvl_medium');
  }

  raw = raw.round(SPREAD_DECIMALS, Big.roundHalfUp);
  let target = raw;
  if (raw.lt(policy.minSpreadBps)) {
    target = new Big(policy.minSpreadBps);
    reasons.push('clamped_min');
  } else if (raw.gt(policy.maxSpreadBps)) {
    target = new Big(policy.maxSpreadBps);
    reasons.push('clamped_max');
  }

  const change = target.minus(currentSpreadBps).abs();
  const shouldAdjust = currentSpreadBps.eq(0)
    ? change.gt(0)
    : change.gt(currentSpreadBps.times(ratioToBig(policy.hysteresis, 'hysteresis')));

  return {
    targetSpreadBps: target,
    rawSpreadBps: raw,
    reasons,
    shouldAdjust,
    imbalance: { value: imbalanceValue, level, recommendedAction: ACTION_FOR_LEVEL[level] },
    volatilityRegime: regime,
    events,
  };
}
