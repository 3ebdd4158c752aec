import { Big, parseDecimal, ONE_BASIS_POINT, HALF } from '../money';
import type { ModelQuote, QuoteInput } from './types';

/**
 * The floor on the best bid/ask width, bps of mid, resolved at quote time: the ladder's explicit
 * floor, else the policy's live minSpreadBps, else none.
 */
export function resolveMinSpreadFloorBps(input: QuoteInput): Big {
  if (input.ladder.minSpreadFloorBps !== undefined) {
    return parseDecimal(input.ladder.minSpreadFloorBps, 'ladder.minSpreadFloorBps');
  }
  return input.minSpreadBps ?? new Big(0);
}

/** maxSpreadBps of the mid as a price distance, or null when the input sets no cap. */
export function maxWidth(input: QuoteInput): Big | null {
  return input.maxSpreadBps === undefined ? null : input.mid.times(input.maxSpreadBps).times(ONE_BASIS_POINT);
}

/**
 * A model asking for a level-0 width beyond maxSpreadBps is narrowed to it around its own centre
 * (both depths lose half the excess, so the inventory skew is kept). Applied before the ladder is
 * built, so deeper levels step out from the capped touch.
 */
export function capModelWidth(quote: ModelQuote, input: QuoteInput): { quote: ModelQuote; capped: boolean } {
  const cap = maxWidth(input);
  if (cap === null) return { quote, capped: false };
  const width = quote.bidDepth.plus(quote.askDepth);
  if (width.lte(cap)) return { quote, capped: false };
  const cut = width.minus(cap).times(HALF);
  return {
    quote: { ...quote, bidDepth: quote.bidDepth.minus(cut), askDepth: quote.askDepth.minus(cut) },
    capped: true,
  };
}
