import { ADJ } from './adjustments';

/*
 * Steps of finalizeQuotes that are pure integer arithmetic once every price is a whole number of
 * ticks: exact in doubles below 2^53. Each returns the adjustment bits it caused.
 */

/** The book and mid guards in ticks: Infinity / -Infinity for a guard that is off. */
export interface Guards {
  /** Highest bid below the best ask, and below the mid. */
  capAsk: number;
  capMid: number;
  /** Lowest ask above the best bid, and above the mid. */
  floorBid: number;
  floorMid: number;
}

/**
 * Step 2 on level i: its bid strictly below the best ask (and mid), its ask strictly above the best
 * bid (and mid). Per level, so the quoter applies it in the pass that rounds the raw ladder.
 */
export function guardLevel(bids: Float64Array, asks: Float64Array, i: number, g: Guards): number {
  let bits = 0;
  if (bids[i]! > g.capAsk) {
    bids[i] = g.capAsk;
    bits |= ADJ.bid_capped_by_best_ask;
  }
  if (bids[i]! > g.capMid) {
    bids[i] = g.capMid;
    bits |= ADJ.bid_capped_by_mid;
  }
  if (asks[i]! < g.floorBid) {
    asks[i] = g.floorBid;
    bits |= ADJ.ask_raised_by_best_bid;
  }
  if (asks[i]! < g.floorMid) {
    asks[i] = g.floorMid;
    bits |= ADJ.ask_raised_by_mid;
  }
  return bits;
}

/**
 * Step 3b once the touch is known to be wider than the cap: the widest grid width within it
 * (`gridWidth` ticks), centred as the guards left the touch, shifted back inside the guards.
 */
export function capTouch(bids: Float64Array, asks: Float64Array, gridWidth: number, g: Guards): number {
  const b = bids[0]!;
  const a = asks[0]!;
  const bidCap = Math.min(g.capAsk, g.capMid);
  const askFloor = Math.max(g.floorBid, g.floorMid);
  let bid = Math.ceil((a + b - gridWidth) / 2);
  let ask = bid + gridWidth;
  if (ask > a) {
    ask = a;
    bid = ask - gridWidth;
  }
  if (ask < askFloor) {
    bid += askFloor - ask;
    ask = askFloor;
  }
  if (bid > bidCap) {
    ask -= bid - bidCap;
    bid = bidCap;
  }
  if (!(gridWidth > 0 && ask >= askFloor)) return ADJ.spread_cap_unreachable;
  bids[0] = bid;
  asks[0] = ask;
  return ADJ.spread_capped_max;
}

/**
 * Step 4 on level i >= 1 of one side: strictly away from level i - 1 (outward is -1 for bids, +1 for
 * asks); a collapsed level steps out by a tick. Returns whether it stepped. Applied in order from
 * level 1, in the pass that finishes the side's levels.
 */
export function stepLevel(prices: Float64Array, i: number, outward: number): boolean {
  const prev = prices[i - 1]!;
  if (outward < 0 ? !(prices[i]! > prev - 1) : !(prices[i]! < prev + 1)) return false;
  prices[i] = prev + outward;
  return true;
}
