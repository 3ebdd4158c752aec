import { Big, parseDecimal, ratioToBig } from '../money';
import { inventoryShare } from '../pool';
import { inventoryNumbers } from './model-core';
import type { QuoteInput } from './types';

export interface InventoryPosition {
  share: Big;
  /** share - target: positive when the pool is long base by value. */
  shareDeviation: Big;
  /**
   * q of the A-S and GLFT models: the base units held beyond the target, in units of
   * `ladder.baseOrderSize`. Both models use this same q so their parameters are comparable.
   * A model parameter, so a double (`inventoryNumbers`), the same one the fast quoter computes.
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
    q: inventoryNumbers(
      input.reserveBase.toNumber(),
      input.reserveQuote.toNumber(),
      input.mid.toNumber(),
      input.targetInventoryShare,
      orderSize.toNumber(),
    ).q,
  };
}

/**
 * Price volatility in quote units per sqrt(second), from a relative volatility per horizon:
 * sigma = vol x mid / sqrt(horizonSeconds).
 */
export function absoluteSigmaPerSecond(st: {
  volatility: number;
  volatilityHorizonSeconds: number;
  s: number;
}): number {
  return (st.volatility * st.s) / Math.sqrt(st.volatilityHorizonSeconds);
}
