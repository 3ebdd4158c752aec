import { Big, roundQtyToLot } from './money';
import { inventoryDeviationBase } from './pool';

/*
 * How much of a pool's inventory to hedge, and when hedging must wait. Pure: the database function
 * that owns hedging (db/hedging.ts) runs it on the pool row it holds locked.
 */

export interface HedgeSizingInput {
  reserveBase: Big;
  reserveQuote: Big;
  /** Quote per base, the price the excess is measured and traded at. */
  referencePrice: Big;
  /** The base value share the pool should hold (spreadPolicy.targetInventoryShare). */
  targetShare: Big;
  lotSize: Big;
  minSize: Big;
}

export type HedgePlan =
  | { kind: 'trade'; side: 'buy' | 'sell'; baseAmount: Big; excessBase: Big }
  | { kind: 'nothing'; excessBase: Big };

/**
 * The trade that brings the pool back toward its target share without crossing it: the excess in
 * base units, rounded down to the lot (so at the reference price the pool ends on the same side of
 * the target, less than one lot away), or nothing when that is below the minimum size.
 */
export function planHedge(input: HedgeSizingInput): HedgePlan {
  const excessBase = inventoryDeviationBase(
    input.reserveBase,
    input.reserveQuote,
    input.referencePrice,
    input.targetShare,
  );
  const baseAmount = roundQtyToLot(excessBase.abs(), input.lotSize);
  if (baseAmount.lt(input.minSize) || baseAmount.eq(0)) return { kind: 'nothing', excessBase };
  return { kind: 'trade', side: excessBase.gt(0) ? 'sell' : 'buy', baseAmount, excessBase };
}

/**
 * The earliest moment (ms) the pool may hedge again after a hedge decided at `lastDecidedAtMs`, or
 * null when nothing holds it back. A breach that outlasts a hedge (the price kept moving, the
 * venue filled less) must not trade every cycle: one hedge per pool per cool-down.
 */
export function hedgeCooldownUntil(lastDecidedAtMs: number | null, cooldownSeconds: number): number | null {
  if (lastDecidedAtMs === null || cooldownSeconds <= 0) return null;
  return lastDecidedAtMs + cooldownSeconds * 1000;
}
