import { Big, parseDecimal, ratioToBig, divideAt, RATIO_DECIMALS } from '../money';
import { inventoryShare, inventoryDeviationBase } from '../pool';
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
  const deviationBase =
    input.targetBase !== undefined
      ? input.reserveBase.minus(input.targetBase)
      : inventoryDeviationBase(input.reserveBase, input.reserveQuote, input.mid, target);
  return {
    share,
    shareDeviation: share.minus(target),
    q: Number(divideAt(deviationBase, orderSize, RATIO_DECIMALS, Big.roundHalfUp).toPrecision(15)),
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
