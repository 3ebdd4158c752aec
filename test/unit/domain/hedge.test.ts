import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hedgeCooldownUntil, planHedge } from '../../../domain/hedge';
import { Big } from '../../../domain/money';
import { inventoryDeviationBase } from '../../../domain/pool';

const decimal = (min: number, max: number, dp: number) =>
  fc
    .integer({ min: Math.round(min * 10 ** dp), max: Math.round(max * 10 ** dp) })
    .map((n) => new Big(n).div(10 ** dp));

describe('planHedge', () => {
  const input = fc.record({
    reserveBase: decimal(0, 10_000, 6),
    reserveQuote: decimal(0, 20_000_000, 2),
    referencePrice: decimal(0.01, 100_000, 2),
    targetShare: decimal(0.01, 0.99, 2),
    lotSize: fc.constantFrom('0.001', '0.01', '1').map((s) => new Big(s)),
    minSize: fc.constantFrom('0.001', '0.01', '5').map((s) => new Big(s)),
  });

  it('never trades past the target: at the reference price the pool ends on its own side, less than a lot away', () => {
    fc.assert(
      fc.property(input, (i) => {
        const plan = planHedge(i);
        if (plan.kind === 'nothing') return;
        // Filled exactly at the reference price, with no costs.
        const value = plan.baseAmount.times(i.referencePrice);
        const base =
          plan.side === 'sell' ? i.reserveBase.minus(plan.baseAmount) : i.reserveBase.plus(plan.baseAmount);
        const quote = plan.side === 'sell' ? i.reserveQuote.plus(value) : i.reserveQuote.minus(value);
        expect(base.gte(0) && quote.gte(0)).toBe(true);
        const left = inventoryDeviationBase(base, quote, i.referencePrice, i.targetShare);
        // Same sign as before (or zero), and under one lot (plus the 24-place rounding of the ratio).
        expect(left.times(plan.excessBase).gte(0)).toBe(true);
        expect(left.abs().lt(i.lotSize.plus('1e-18'))).toBe(true);
      }),
      { numRuns: 500 },
    );
    // A safety net for a loaded machine, not a measure: 500 exact-decimal runs take under a second alone.
  }, 60_000);

  it('trades a whole number of lots, no more than the excess, and nothing below the minimum size', () => {
    fc.assert(
      fc.property(input, (i) => {
        const plan = planHedge(i);
        if (plan.kind === 'nothing') {
          expect(plan.excessBase.abs().lt(i.minSize) || plan.excessBase.abs().lt(i.lotSize)).toBe(true);
          return;
        }
        expect(plan.baseAmount.mod(i.lotSize).eq(0)).toBe(true);
        expect(plan.baseAmount.lte(plan.excessBase.abs())).toBe(true);
        expect(plan.baseAmount.gte(i.minSize)).toBe(true);
        expect(plan.side).toBe(plan.excessBase.gt(0) ? 'sell' : 'buy');
      }),
      { numRuns: 500 },
    );
    // A safety net for a loaded machine, not a measure: 500 exact-decimal runs take under a second alone.
  }, 60_000);

  it('a balanced pool has nothing to hedge', () => {
    const plan = planHedge({
      reserveBase: new Big(50),
      reserveQuote: new Big(100_000),
      referencePrice: new Big(2000),
      targetShare: new Big(0.5),
      lotSize: new Big('0.001'),
      minSize: new Big('0.01'),
    });
    expect(plan).toMatchObject({ kind: 'nothing' });
    expect(plan.excessBase.eq(0)).toBe(true);
  });
});

describe('hedgeCooldownUntil', () => {
  it('holds hedging back for the cool-down after the last hedge, and not at all without one or with 0 s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: 1, max: 31_536_000 }),
        (last, s) => {
          expect(hedgeCooldownUntil(last, s)).toBe(last + s * 1000);
          expect(hedgeCooldownUntil(null, s)).toBeNull();
          expect(hedgeCooldownUntil(last, 0)).toBeNull();
        },
      ),
    );
  });
});
