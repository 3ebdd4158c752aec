import { Big, parseDecimal, ratioToBig, bigMax, ONE_BASIS_POINT, divideAt, RATIO_DECIMALS } from '../money';
import { DomainValidationError } from '../errors';
import type { InventoryPosition } from './inventory';
import type { ModelQuote, QuoteInput, QuoteLevel } from './types';

export interface RawLadder {
  bids: QuoteLevel[];
  asks: QuoteLevel[];
}

/**
 * Size multiplier for the side that would push inventory further from target:
 * 1 - shape x (how far the pool is toward being all-base or all-quote), floored at 0.
 * The other side keeps full size so the pool can always trade back toward target.
 */
export function inventorySizeFactors(
  position: InventoryPosition,
  target: number,
  shape: number,
): { bid: Big; ask: Big } {
  const one = new Big(1);
  const shapeBig = ratioToBig(shape, 'ladder.inventorySizeShape');
  const d = position.shareDeviation;
  if (d.gt(0)) {
    const room = new Big(1).minus(ratioToBig(target, 'targetInventoryShare'));
    return {
      bid: bigMax(new Big(0), one.minus(shapeBig.times(divideAt(d, room, RATIO_DECIMALS, Big.roundHalfUp)))),
      ask: one,
    };
  }
  if (d.lt(0)) {
    const room = ratioToBig(target, 'targetInventoryShare');
    return {
      bid: one,
      ask: bigMax(
        new Big(0),
        one.minus(shapeBig.times(divideAt(d.abs(), room, RATIO_DECIMALS, Big.roundHalfUp))),
      ),
    };
  }
  return { bid: one, ask: one };
}

/** Levels step outward from the model's level-0 prices by `levelSpacingBps` of mid; sizes decay geometrically. */
export function buildRawLadder(model: ModelQuote, input: QuoteInput, position: InventoryPosition): RawLadder {
  const { ladder, mid } = input;
  if (!Number.isInteger(ladder.levels) || ladder.levels < 1 || ladder.levels > 10) {
    throw new DomainValidationError(
      'ladder.levels',
      `ladder.levels must be an integer from 1 to 10, got ${ladder.levels}`,
    );
  }
  if (!(ladder.sizeDecay > 0 && ladder.sizeDecay <= 1)) {
    throw new DomainValidationError(
      'ladder.sizeDecay',
      `ladder.sizeDecay must be in (0, 1], got ${ladder.sizeDecay}`,
    );
  }
  const spacing = mid
    .times(parseDecimal(ladder.levelSpacingBps, 'ladder.levelSpacingBps', { allowZero: false }))
    .times(ONE_BASIS_POINT);
  const baseSize = parseDecimal(ladder.baseOrderSize, 'ladder.baseOrderSize', { allowZero: false });
  const decay = ratioToBig(ladder.sizeDecay, 'ladder.sizeDecay');
  const factors = inventorySizeFactors(position, input.targetInventoryShare, ladder.inventorySizeShape);
  const bid0 = mid.minus(model.bidDepth);
  const ask0 = mid.plus(model.askDepth);

  const bids: QuoteLevel[] = [];
  const asks: QuoteLevel[] = [];
  for (let i = 0; i < ladder.levels; i++) {
    const size = baseSize.times(decay.pow(i));
    const offset = spacing.times(i);
    bids.push({ price: bid0.minus(offset), size: size.times(factors.bid) });
    asks.push({ price: ask0.plus(offset), size: size.times(factors.ask) });
  }
  return { bids, asks };
}
