import { DomainValidationError, describeValue } from './errors';
import { AMOUNT_LIMITS, Big, formatDecimal, isOnGrid, parseDecimal } from './money';

/*
 * A per-market price band, the control Hummingbot users know as price_ceiling / price_floor:
 * above the ceiling the market maker only sells, below the floor it only buys. An operator uses it
 * to stop accumulating an asset beyond a price they consider too rich (or shedding it below one they
 * consider too cheap). On top of the side rule, no single bid rests above the ceiling and no ask
 * below the floor, so "never buy above X" holds for every level, not only while the mid is past X.
 */

export interface PriceBand {
  ceiling?: Big;
  floor?: Big;
}

export interface PriceBandJson {
  priceCeiling?: string;
  priceFloor?: string;
}

/** Either bound may be absent; both present need floor <= ceiling. On the tick when one is given. */
export function parsePriceBand(value: unknown, tickSize?: Big, field = 'priceBand'): PriceBand {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be an object { priceCeiling?, priceFloor? }, got ${describeValue(value)}`,
    );
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (key !== 'priceCeiling' && key !== 'priceFloor') {
      throw new DomainValidationError(
        `${field}.${key}`,
        `${field}.${key} is not a field of a price band; known fields: priceCeiling, priceFloor`,
      );
    }
  }
  const band: PriceBand = {};
  for (const [key, name] of [
    ['priceCeiling', 'ceiling'],
    ['priceFloor', 'floor'],
  ] as const) {
    if (input[key] === undefined) continue;
    const price = parseDecimal(input[key], `${field}.${key}`, { allowZero: false, ...AMOUNT_LIMITS });
    if (tickSize !== undefined && !isOnGrid(price, tickSize)) {
      throw new DomainValidationError(
        `${field}.${key}`,
        `${field}.${key} "${formatDecimal(price)}" must be on the pair's tick of ${formatDecimal(tickSize)}`,
      );
    }
    band[name] = price;
  }
  if (band.ceiling !== undefined && band.floor !== undefined && band.floor.gt(band.ceiling)) {
    throw new DomainValidationError(
      `${field}.priceFloor`,
      `${field}.priceFloor "${formatDecimal(band.floor)}" must not be above ${field}.priceCeiling "${formatDecimal(band.ceiling)}"`,
    );
  }
  return band;
}

export type PriceBandAdjustment =
  'bids_off_above_ceiling' | 'asks_off_below_floor' | 'bids_cut_at_ceiling' | 'asks_cut_at_floor';

/**
 * The ladder with the band applied: sides switched off by where the mid is, single levels beyond a
 * bound dropped. Levels keep their order; `adjustments` says what changed (for the quote's notes).
 */
export function applyPriceBand<L extends { price: Big }>(
  ladder: { bids: readonly L[]; asks: readonly L[] },
  mid: Big,
  band: PriceBand,
): { bids: L[]; asks: L[]; adjustments: PriceBandAdjustment[] } {
  const adjustments: PriceBandAdjustment[] = [];
  let bids = [...ladder.bids];
  let asks = [...ladder.asks];
  if (band.ceiling !== undefined) {
    if (mid.gt(band.ceiling)) {
      if (bids.length > 0) adjustments.push('bids_off_above_ceiling');
      bids = [];
    } else {
      const kept = bids.filter((l) => l.price.lte(band.ceiling!));
      if (kept.length < bids.length) adjustments.push('bids_cut_at_ceiling');
      bids = kept;
    }
  }
  if (band.floor !== undefined) {
    if (mid.lt(band.floor)) {
      if (asks.length > 0) adjustments.push('asks_off_below_floor');
      asks = [];
    } else {
      const kept = asks.filter((l) => l.price.gte(band.floor!));
      if (kept.length < asks.length) adjustments.push('asks_cut_at_floor');
      asks = kept;
    }
  }
  return { bids, asks, adjustments };
}
