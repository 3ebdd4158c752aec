import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Big } from '../../../domain/money';
import { applyPriceBand, parsePriceBand } from '../../../domain/price-band';
import { expectFieldError } from './helpers';

const b = (s: string | number) => new Big(s);
const ladder = (mid: number, step: number) => ({
  bids: [1, 2, 3].map((i) => ({ price: b(mid - i * step), size: b(1) })),
  asks: [1, 2, 3].map((i) => ({ price: b(mid + i * step), size: b(1) })),
});

describe('applyPriceBand', () => {
  it('above the ceiling only sells, below the floor only buys, in between both sides quote', () => {
    const band = parsePriceBand({ priceCeiling: '2100', priceFloor: '1900' });
    expect(applyPriceBand(ladder(2150, 5), b(2150), band)).toMatchObject({
      bids: [],
      adjustments: ['bids_off_above_ceiling'],
    });
    expect(applyPriceBand(ladder(2150, 5), b(2150), band).asks).toHaveLength(3);
    expect(applyPriceBand(ladder(1850, 5), b(1850), band)).toMatchObject({
      asks: [],
      adjustments: ['asks_off_below_floor'],
    });
    expect(applyPriceBand(ladder(2000, 5), b(2000), band)).toEqual({ ...ladder(2000, 5), adjustments: [] });
  });

  it('a level beyond a bound is dropped even while the mid is inside the band (a model quoting across the mid)', () => {
    // A pool far long base, quoted by a pure model without the mid guard: its asks sit below the mid.
    const crossed = {
      bids: [{ price: b('0.03320') }],
      asks: ['0.03327', '0.03329', '0.03331'].map((p) => ({ price: b(p) })),
    };
    const r = applyPriceBand(crossed, b('0.0333'), parsePriceBand({ priceFloor: '0.03328' }));
    expect(r.asks.map((l) => l.price.toFixed())).toEqual(['0.03329', '0.03331']);
    expect(r.adjustments).toEqual(['asks_cut_at_floor']);
  });

  it('never leaves a bid above the ceiling or an ask below the floor, whatever the scale', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 8 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: -300, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (n, scale, ceilingBps, widthBps) => {
          const mid = b(n).div(10 ** scale);
          const step = mid.times('0.001');
          const l = {
            bids: [1, 2, 3].map((i) => ({ price: mid.minus(step.times(i)) })),
            asks: [1, 2, 3].map((i) => ({ price: mid.plus(step.times(i)) })),
          };
          const ceiling = mid.times(1 + ceilingBps / 10_000);
          const floor = ceiling.times(1 - widthBps / 10_000);
          const r = applyPriceBand(l, mid, { ceiling, floor });
          for (const bid of r.bids) expect(bid.price.lte(ceiling)).toBe(true);
          for (const ask of r.asks) expect(ask.price.gte(floor)).toBe(true);
          if (mid.gt(ceiling)) expect(r.bids).toEqual([]);
          if (mid.lt(floor)) expect(r.asks).toEqual([]);
          // Inside the band nothing on the inner side of the mid is touched.
          if (mid.lte(ceiling) && mid.gte(floor)) {
            expect(r.bids.length + r.asks.length).toBeGreaterThan(0);
          }
        },
      ),
    );
  });
});

describe('parsePriceBand', () => {
  it('takes either bound alone, and refuses a floor above the ceiling or a bound off the tick', () => {
    expect(parsePriceBand({})).toEqual({});
    expect(parsePriceBand({ priceCeiling: '60000.5' }, b('0.01'))).toEqual({ ceiling: b('60000.5') });
    expect(parsePriceBand({ priceCeiling: '10', priceFloor: '10' })).toEqual({
      ceiling: b(10),
      floor: b(10),
    });
    expectFieldError(
      () => parsePriceBand({ priceCeiling: '10', priceFloor: '11' }),
      'priceBand.priceFloor',
      'must not be above',
    );
    expectFieldError(
      () => parsePriceBand({ priceFloor: '0.0333333' }, b('0.000001')),
      'priceBand.priceFloor',
      "pair's tick",
    );
    expectFieldError(() => parsePriceBand({ priceCeiling: 100 }), 'priceBand.priceCeiling', 'got number 100');
    expectFieldError(
      () => parsePriceBand({ priceCeiling: '0' }),
      'priceBand.priceCeiling',
      'must not be zero',
    );
    expectFieldError(() => parsePriceBand({ ceiling: '1' }), 'priceBand.ceiling', 'known fields');
  });
});
