/**
 * The post-processing notes of `finalizeQuotes`, as bits. The differential test checks that the
 * fast quoter reports exactly the decimal pipeline's set, so a note added there without a bit
 * here fails it.
 */
export const QUOTE_ADJUSTMENTS = [
  'bid_capped_by_best_ask',
  'bid_capped_by_mid',
  'ask_raised_by_best_bid',
  'ask_raised_by_mid',
  'spread_floor',
  'spread_capped_max',
  'spread_cap_unreachable',
  'bid_level_stepped',
  'ask_level_stepped',
  'bid_dropped_non_positive_price',
  'bid_size_capped_by_notional',
  'bid_dropped_below_min_size',
  'ask_dropped_non_positive_price',
  'ask_size_capped_by_notional',
  'ask_dropped_below_min_size',
] as const;

export type QuoteAdjustment = (typeof QUOTE_ADJUSTMENTS)[number];

export const ADJ = Object.fromEntries(QUOTE_ADJUSTMENTS.map((name, i) => [name, 1 << i])) as Record<
  QuoteAdjustment,
  number
>;

/** The names set in a bit set, in QUOTE_ADJUSTMENTS order. */
export function adjustmentNames(bits: number): QuoteAdjustment[] {
  return QUOTE_ADJUSTMENTS.filter((_, i) => (bits & (1 << i)) !== 0);
}

/** Bit set of named adjustments; an unknown name is a programming error and throws. */
export function adjustmentBits(names: readonly string[]): number {
  let bits = 0;
  for (const name of names) {
    const bit = ADJ[name as QuoteAdjustment];
    if (bit === undefined) throw new Error(`unknown quote adjustment "${name}": add it to QUOTE_ADJUSTMENTS`);
    bits |= bit;
  }
  return bits;
}
