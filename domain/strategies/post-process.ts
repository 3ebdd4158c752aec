import {
  Big,
  floorToStep,
  ceilToStep,
  roundQtyToLot,
  truncatedQuotient,
  ONE_BASIS_POINT,
  HALF,
} from '../money';
import type { QuoteInput, QuoteLevel } from './types';
import type { RawLadder } from './ladder';
import { maxWidth, resolveMinSpreadFloorBps } from './width-limits';

function lowest(xs: Big[]): Big | null {
  return xs.reduce<Big | null>((m, x) => (m === null || x.lt(m) ? x : m), null);
}
function highest(xs: Big[]): Big | null {
  return xs.reduce<Big | null>((m, x) => (m === null || x.gt(m) ? x : m), null);
}

/** Highest grid price strictly below `limit`. */
function gridBelow(limit: Big, tick: Big): Big {
  const p = floorToStep(limit, tick);
  return p.eq(limit) ? p.minus(tick) : p;
}

/** Lowest grid price strictly above `limit`. */
function gridAbove(limit: Big, tick: Big): Big {
  const p = ceilToStep(limit, tick);
  return p.eq(limit) ? p.plus(tick) : p;
}

export interface FinalQuotes {
  bids: QuoteLevel[];
  asks: QuoteLevel[];
  adjustments: string[];
}

/**
 * The one place that turns model prices into orders that can rest on the book. Every step can
 * only move a bid down or an ask up (less aggressive), so later steps never undo earlier ones:
 *  1. bids round down and asks up to the tick;
 *  2. a bid stays strictly below the other side's best ask (and below mid when guardMid is on);
 *     an ask strictly above the best bid (and above mid);
 *  3. the best bid and ask are at least the spread floor apart (ladder.minSpreadFloorBps, else the
 *     live minSpreadBps), and bid < ask always;
 *  3b. the exception to "less aggressive": when a guard pushed one side out past maxSpreadBps (the
 *     model's own width was capped before the ladder), the other side comes in to the cap, never
 *     past its own guards; the cap wins over the floor if the tick grid cannot hold both;
 *  4. levels are strictly ordered away from the touch (collapsed levels step out by a tick);
 *  5. sizes are cut to maxOrderNotional, rounded down to the lot, and levels under minSize or
 *     at a non-positive price are dropped.
 */
export function finalizeQuotes(raw: RawLadder, input: QuoteInput): FinalQuotes {
  const { tickSize: tick, mid } = input;
  const adjustments = new Set<string>();

  const bids = raw.bids.map((l) => ({ price: floorToStep(l.price, tick), size: l.size }));
  const asks = raw.asks.map((l) => ({ price: ceilToStep(l.price, tick), size: l.size }));

  const bidCaps: Array<[Big, string]> = [];
  if (input.bestAsk !== undefined) bidCaps.push([gridBelow(input.bestAsk, tick), 'bid_capped_by_best_ask']);
  if (input.guardMid) bidCaps.push([gridBelow(mid, tick), 'bid_capped_by_mid']);
  const askFloors: Array<[Big, string]> = [];
  if (input.bestBid !== undefined) askFloors.push([gridAbove(input.bestBid, tick), 'ask_raised_by_best_bid']);
  if (input.guardMid) askFloors.push([gridAbove(mid, tick), 'ask_raised_by_mid']);

  for (const level of bids) {
    for (const [cap, note] of bidCaps) {
      if (level.price.gt(cap)) {
        level.price = cap;
        adjustments.add(note);
      }
    }
  }
  for (const level of asks) {
    for (const [floor, note] of askFloors) {
      if (level.price.lt(floor)) {
        level.price = floor;
        adjustments.add(note);
      }
    }
  }

  const bestBid = bids[0];
  const bestAsk = asks[0];
  if (bestBid && bestAsk) {
    const minWidth = mid.times(resolveMinSpreadFloorBps(input)).times(ONE_BASIS_POINT);
    const width = bestAsk.price.minus(bestBid.price);
    if (width.lt(minWidth) || width.lte(0)) {
      const center = bestBid.price.plus(bestAsk.price).times(HALF);
      const half = minWidth.times(HALF);
      bestBid.price = floorToStep(center.minus(half), tick);
      bestAsk.price = ceilToStep(center.plus(half), tick);
      if (bestAsk.price.lte(bestBid.price)) bestAsk.price = bestBid.price.plus(tick);
      adjustments.add('spread_floor');
    }
    const cap = maxWidth(input);
    if (cap !== null && bestAsk.price.minus(bestBid.price).gt(cap)) {
      const bidCap = lowest(bidCaps.map(([p]) => p));
      const askFloor = highest(askFloors.map(([p]) => p));
      // The widest width on the grid within the cap, centred as the guards left it.
      const gridWidth = floorToStep(cap, tick);
      const center = bestBid.price.plus(bestAsk.price).times(HALF);
      let bid = ceilToStep(center.minus(gridWidth.times(HALF)), tick);
      let ask = bid.plus(gridWidth);
      if (ask.gt(bestAsk.price)) {
        ask = bestAsk.price;
        bid = ask.minus(gridWidth);
      }
      // Shifting both keeps the width; each shift only moves toward the side the guard pushed.
      if (askFloor !== null && ask.lt(askFloor)) {
        bid = bid.plus(askFloor.minus(ask));
        ask = askFloor;
      }
      if (bidCap !== null && bid.gt(bidCap)) {
        ask = ask.minus(bid.minus(bidCap));
        bid = bidCap;
      }
      if (gridWidth.gt(0) && (askFloor === null || ask.gte(askFloor))) {
        bestBid.price = bid;
        bestAsk.price = ask;
        adjustments.add('spread_capped_max');
      } else {
        adjustments.add('spread_cap_unreachable');
      }
    }
  }

  for (let i = 1; i < bids.length; i++) {
    const limit = bids[i - 1]!.price.minus(tick);
    if (bids[i]!.price.gt(limit)) {
      bids[i]!.price = limit;
      adjustments.add('bid_level_stepped');
    }
  }
  for (let i = 1; i < asks.length; i++) {
    const limit = asks[i - 1]!.price.plus(tick);
    if (asks[i]!.price.lt(limit)) {
      asks[i]!.price = limit;
      adjustments.add('ask_level_stepped');
    }
  }

  const finish = (levels: QuoteLevel[], side: 'bid' | 'ask'): QuoteLevel[] => {
    const out: QuoteLevel[] = [];
    for (const level of levels) {
      if (level.price.lte(0)) {
        adjustments.add(`${side}_dropped_non_positive_price`);
        continue;
      }
      let size = level.size;
      size = roundQtyToLot(size, input.lotSize);
      if (input.maxOrderNotional !== undefined && level.price.times(size).gt(input.maxOrderNotional)) {
        // Largest lot multiple whose notional fits: floor(max / (price x lot)) lots.
        size = truncatedQuotient(input.maxOrderNotional, level.price.times(input.lotSize)).times(
          input.lotSize,
        );
        adjustments.add(`${side}_size_capped_by_notional`);
      }
      if (size.lte(0) || size.lt(input.minSize)) {
        adjustments.add(`${side}_dropped_below_min_size`);
        continue;
      }
      out.push({ price: level.price, size });
    }
    return out;
  };

  return { bids: finish(bids, 'bid'), asks: finish(asks, 'ask'), adjustments: [...adjustments] };
}
