import { Big, parseDecimal, ratioToBig } from '../money';
import { inventoryShare } from '../pool';
import { inventoryNumbers } from './model-core';
import type { QuoteInput } from './types';
import { modelSigma } from './units';

export interface InventoryPosition {
  share: Big;
  /** share - target: positive when the pool is long base by value. */
  shareDeviation: Big;
  /**
   * q of the A-S and GLFT models: the base units held beyond the target, in units of
   * `ladder.baseOrderSize`. The target is input.targetBase when set, else the base amount worth the
   * target value share. Both models use this same q so their parameters are comparable.
   */
  q: number;
}

export function inventoryPosition(input: QuoteInput): InventoryPosition {
  const target = ratioToBig(input.targetInventoryShare, 'targetInventoryShare');
  const share = inventoryShare(input.reserveBase, input.reserveQuote, input.mid);
  const orderSize = parseDecimal(input.ladder.baseOrderSize, 'ladder.baseOrderSize', { allowZero: false });
  return {
    share,
    shareDeviation: share.minus(target),
    // A model parameter: the same double the fast quoter computes (model-core.ts).
    q: inventoryNumbers(
      input.reserveBase.toNumber(),
      input.reserveQuote.toNumber(),
      input.mid.toNumber(),
      input.targetInventoryShare,
      orderSize.toNumber(),
      input.targetBase?.toNumber(),
    ).q,
  };
}

/**
 * Price volatility in quote units per sqrt(second), from a relative volatility per horizon:
 * sigma = vol x mid / sqrt(horizonSeconds) (the sigma of parameterUnits 'price').
 */
export function absoluteSigmaPerSecond(input: QuoteInput): number {
  return modelSigma(
    'price',
    input.volatility,
    input.volatilityHorizonSeconds,
    Number(input.mid.toPrecision(15)),
  );
}
