import { Big, formatDecimal, ratioToBig } from './money';
import { DomainValidationError } from './errors';
import type { SpreadPolicy } from './config';
import { volatilityRegime, type VolatilityRegime } from './volatility';

export type ImbalanceLevel = 'none' | 'moderate' | 'critical';
/** Liquidity depth: 'deep' applies no TVL multiplier, 'medium' and 'low' widen. */
export type TvlTier = 'deep' | 'medium' | 'low';
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
  /**
   * The level of the previous evaluation. When given, an imbalance event is emitted only when the
   * level changes (no repeats), and the level is left only past the imbalance band.
   */
  previousImbalanceLevel?: ImbalanceLevel;
  /** The TVL tier of the previous evaluation; when given, a tier is left only past the TVL band. */
  previousTvlTier?: TvlTier;
}

export interface SpreadEvaluationOptions {
  /**
   * The rules of v0.1.0, for saga runs started before the `spread-tier-bands` patch
   * (workflows/patches.ts): no imbalance or TVL band, and a current spread outside
   * [minSpreadBps, maxSpreadBps] is held by the deadband like any other.
   */
  legacy?: boolean;
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
  /**
   * Before clamping; equal to the target unless it was clamped. (A clamp reason may also mean that
   * the current spread was out of bounds and is being brought back.)
   */
  rawSpreadBps: Big;
  reasons: SpreadReason[];
  shouldAdjust: boolean;
  imbalance: { value: Big; level: ImbalanceLevel; recommendedAction: ImbalanceAction };
  volatilityRegime: VolatilityRegime;
  tvlTier: TvlTier;
  events: SpreadPolicyEvent[];
}

/** Target spreads keep the precision a configured bps value may have. */
const SPREAD_DECIMALS = 4;

const IMBALANCE_LEVELS: readonly ImbalanceLevel[] = ['none', 'moderate', 'critical'];
const TVL_TIERS: readonly TvlTier[] = ['deep', 'medium', 'low'];

/**
 * The severity rank (0: none) of `value` against thresholds listed from the mildest tier to the
 * most severe. `worse` says which side of a threshold is the tier: strictly above it, or strictly
 * below it. A tier held before (`previous`) is kept while the value is still strictly past its
 * threshold moved back by the band (x (1 - band) above, x (1 + band) below): entering takes the
 * threshold, leaving takes the band, so a value hovering at a threshold does not flip the tier.
 */
function bandedRank(
  value: Big,
  thresholds: readonly Big[],
  worse: 'above' | 'below',
  band: Big,
  previous?: number,
): number {
  const past = (threshold: Big) => (worse === 'above' ? value.gt(threshold) : value.lt(threshold));
  let raw = 0;
  thresholds.forEach((t, i) => {
    if (past(t)) raw = i + 1;
  });
  if (previous === undefined || previous <= raw) return raw;
  const exit = worse === 'above' ? new Big(1).minus(band) : new Big(1).plus(band);
  for (let rank = previous; rank > raw; rank--) if (past(thresholds[rank - 1]!.times(exit))) return rank;
  return raw;
}

/**
 * A band from a policy that may predate it: a workflow replaying a recorded policy (without the
 * field) must not fail on it.
 */
function bandOf(value: number | undefined, field: string): Big {
  return value === undefined ? new Big(0) : ratioToBig(value, field);
}

export function imbalanceLevel(
  imbalance: Big,
  policy: SpreadPolicy,
  previous?: ImbalanceLevel,
): ImbalanceLevel {
  const thresholds = [
    ratioToBig(policy.imbalanceThreshold, 'imbalanceThreshold'),
    ratioToBig(policy.criticalImbalanceThreshold, 'criticalImbalanceThreshold'),
  ];
  const band = bandOf(policy.imbalanceHysteresis, 'imbalanceHysteresis');
  const prev = previous === undefined ? undefined : IMBALANCE_LEVELS.indexOf(previous);
  return IMBALANCE_LEVELS[bandedRank(imbalance, thresholds, 'above', band, prev)]!;
}

export function tvlTier(tvl: Big, policy: SpreadPolicy, previous?: TvlTier): TvlTier {
  const thresholds = [new Big(policy.mediumTvlThreshold), new Big(policy.lowTvlThreshold)];
  const band = bandOf(policy.tvlHysteresis, 'tvlHysteresis');
  const prev = previous === undefined ? undefined : TVL_TIERS.indexOf(previous);
  return TVL_TIERS[bandedRank(tvl, thresholds, 'below', band, prev)]!;
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
 * - Tiers have hysteresis when the previous tier is given: an imbalance tier is left only at or
 *   below threshold x (1 - imbalanceHysteresis), a TVL tier only at or above threshold x
 *   (1 + tvlHysteresis), a volatility regime only at or below threshold x (1 - volatilityRegimeHysteresis).
 * - The three families multiply together; the result is rounded half-up to 4 decimals, then
 *   clamped to [minSpreadBps, maxSpreadBps].
 * - shouldAdjust when |target - current| > hysteresis x current (strictly: a change of exactly
 *   10% is not made). With no current spread (0) any non-zero target adjusts.
 * - A current spread outside [minSpreadBps, maxSpreadBps] (the operator narrowed the bounds) always
 *   adjusts, whatever the deadband, with 'clamped_max' (or 'clamped_min') among the reasons.
 */
export function evaluateSpread(
  input: SpreadEvaluationInput,
  policy: SpreadPolicy,
  options: SpreadEvaluationOptions = {},
): SpreadEvaluation {
  const banded = !options.legacy;
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
  const level = imbalanceLevel(imbalanceValue, policy, banded ? input.previousImbalanceLevel : undefined);
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

  const depth = tvlTier(tvl, policy, banded ? input.previousTvlTier : undefined);
  if (depth === 'low') {
    raw = raw.times(ratioToBig(policy.lowTvlMultiplier, 'lowTvlMultiplier'));
    reasons.push('tvl_low');
  } else if (depth === 'medium') {
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
  let shouldAdjust = currentSpreadBps.eq(0)
    ? change.gt(0)
    : change.gt(currentSpreadBps.times(ratioToBig(policy.hysteresis, 'hysteresis')));
  // The deadband keeps a spread that is merely close to its target; one the operator has since put
  // out of bounds is wrong, however close, and would otherwise stay wrong (the target is in bounds).
  if (banded) {
    const bound = currentSpreadBps.gt(policy.maxSpreadBps)
      ? 'clamped_max'
      : currentSpreadBps.lt(policy.minSpreadBps)
        ? 'clamped_min'
        : null;
    if (bound) {
      shouldAdjust = true;
      if (!reasons.includes(bound)) reasons.push(bound);
    }
  }

  return {
    targetSpreadBps: target,
    rawSpreadBps: raw,
    reasons,
    shouldAdjust,
    imbalance: { value: imbalanceValue, level, recommendedAction: ACTION_FOR_LEVEL[level] },
    volatilityRegime: regime,
    tvlTier: depth,
    events,
  };
}
