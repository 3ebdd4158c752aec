import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedHedgeVenue } from '../../../adapters/hedge-venue/simulated';
import { Big, formatDecimal } from '../../../domain/money';

const venue = new SimulatedHedgeVenue({
  slippageBps: 5,
  feeBps: '10',
  priceDecimals: 2,
  baseDecimals: 4,
  quoteDecimals: 2,
});

function plain(fill: ReturnType<SimulatedHedgeVenue['fill']>) {
  return {
    side: fill.side,
    price: formatDecimal(fill.price),
    baseAmount: formatDecimal(fill.baseAmount),
    quoteAmount: formatDecimal(fill.quoteAmount),
    fee: formatDecimal(fill.fee),
    netQuoteAmount: formatDecimal(fill.netQuoteAmount),
  };
}

describe('SimulatedHedgeVenue', () => {
  it('buy: price up by slippage, base rounded down to the lot, quote and fee rounded up (hand-computed)', () => {
    // 2000 * 1.0005 = 2001; 2001 * 1.2345 = 2470.2345 -> 2470.24; fee 2.47024 -> 2.48.
    expect(
      plain(venue.fill({ side: 'buy', baseAmount: new Big('1.23456'), referencePrice: new Big('2000') })),
    ).toEqual({
      side: 'buy',
      price: '2001',
      baseAmount: '1.2345',
      quoteAmount: '2470.24',
      fee: '2.48',
      netQuoteAmount: '2472.72',
    });
  });

  it('sell: price down by slippage, quote rounded down, fee rounded up (hand-computed)', () => {
    // 2000 * 0.9995 = 1999; 1999 * 1.2345 = 2467.7655 -> 2467.76; fee 2.46776 -> 2.47.
    expect(
      plain(venue.fill({ side: 'sell', baseAmount: new Big('1.2345'), referencePrice: new Big('2000') })),
    ).toEqual({
      side: 'sell',
      price: '1999',
      baseAmount: '1.2345',
      quoteAmount: '2467.76',
      fee: '2.47',
      netQuoteAmount: '2465.29',
    });
  });

  it('rounds the price itself against the hedger, with fractional bps', async () => {
    const v = new SimulatedHedgeVenue({
      slippageBps: '3',
      feeBps: '7.5',
      priceDecimals: 2,
      baseDecimals: 3,
      quoteDecimals: 2,
    });
    const ref = new Big('1234.567');
    // 1234.567 * 1.0003 = 1234.9373701 -> 1234.94; * 0.5 = 617.47; fee 0.4631025 -> 0.47.
    expect(
      plain(await v.execute({ side: 'buy', baseAmount: new Big('0.5'), referencePrice: ref })),
    ).toMatchObject({
      price: '1234.94',
      quoteAmount: '617.47',
      fee: '0.47',
      netQuoteAmount: '617.94',
    });
    // 1234.567 * 0.9997 = 1234.1966299 -> 1234.19; * 0.5 = 617.095 -> 617.09; fee 0.4628175 -> 0.47.
    expect(
      plain(await v.execute({ side: 'sell', baseAmount: new Big('0.5'), referencePrice: ref })),
    ).toMatchObject({
      price: '1234.19',
      quoteAmount: '617.09',
      fee: '0.47',
      netQuoteAmount: '616.62',
    });
  });

  it('never fills better than the unrounded slippage-and-fee price', () => {
    const decimal = fc
      .tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 6 }))
      .map(([n, dp]) => new Big(n).div(new Big(10).pow(dp)));
    fc.assert(
      fc.property(
        fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
        decimal,
        decimal,
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 100 }),
        (side, base, ref, slip, fee) => {
          const v = new SimulatedHedgeVenue({
            slippageBps: slip,
            feeBps: fee,
            priceDecimals: 8,
            baseDecimals: 6,
            quoteDecimals: 6,
          });
          if (base.round(6, Big.roundDown).eq(0)) return;
          const fill = v.fill({ side, baseAmount: base, referencePrice: ref });
          expect(fill.baseAmount.lte(base)).toBe(true);
          const s = new Big(slip).div(10_000);
          const f = new Big(fee).div(10_000);
          if (side === 'buy') {
            const exact = ref.times(s.plus(1)).times(fill.baseAmount).times(f.plus(1));
            expect(fill.netQuoteAmount.gte(exact)).toBe(true);
          } else {
            const exact = ref.times(new Big(1).minus(s)).times(fill.baseAmount).times(new Big(1).minus(f));
            expect(fill.netQuoteAmount.lte(exact)).toBe(true);
          }
        },
      ),
    );
  });

  it('refuses inputs it cannot fill, saying what to change', () => {
    expect(() =>
      venue.fill({ side: 'buy', baseAmount: new Big('0.00001'), referencePrice: new Big(1) }),
    ).toThrow(/below the venue's smallest lot \(4 decimals\); hedge a larger amount/);
    expect(() => venue.fill({ side: 'sell', baseAmount: new Big('-1'), referencePrice: new Big(1) })).toThrow(
      /baseAmount must be a positive Big/,
    );
    expect(() =>
      venue.fill({ side: 'sell', baseAmount: new Big('1'), referencePrice: new Big('0.001') }),
    ).toThrow(/rounds to a zero fill price/);
    expect(() =>
      venue.fill({ side: 'hold' as 'buy', baseAmount: new Big(1), referencePrice: new Big(1) }),
    ).toThrow(/side must be "buy" or "sell"/);
    expect(
      () =>
        new SimulatedHedgeVenue({
          slippageBps: 10_000,
          feeBps: 0,
          priceDecimals: 2,
          baseDecimals: 2,
          quoteDecimals: 2,
        }),
    ).toThrow(/slippageBps must be from 0 to below 10000/);
    expect(
      () =>
        new SimulatedHedgeVenue({
          slippageBps: 'x',
          feeBps: 0,
          priceDecimals: 2,
          baseDecimals: 2,
          quoteDecimals: 2,
        }),
    ).toThrow(/slippageBps must be a decimal number/);
  });
});

describe('SimulatedHedgeVenue client order ids', () => {
  it('answers a repeated client order id with the original fill, as a real venue does', async () => {
    const venue = new SimulatedHedgeVenue({
      slippageBps: '5',
      feeBps: '2',
      priceDecimals: 2,
      baseDecimals: 4,
      quoteDecimals: 2,
    });
    const first = await venue.execute({
      side: 'sell',
      baseAmount: new Big('1.5'),
      referencePrice: new Big('2000'),
      clientOrderId: 'x-1',
    });
    const again = await venue.execute({
      side: 'sell',
      baseAmount: new Big('1.5'),
      referencePrice: new Big('2100'),
      clientOrderId: 'x-1',
    });
    expect(again).toBe(first);
    const other = await venue.execute({
      side: 'sell',
      baseAmount: new Big('1.5'),
      referencePrice: new Big('2100'),
      clientOrderId: 'x-2',
    });
    expect(other.price.gt(first.price)).toBe(true);
  });
});
