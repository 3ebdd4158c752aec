import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Big, formatDecimal } from '../../../domain/money';
import { computePortfolio, portfolioViewToJson, type PoolPosition } from '../../../domain/portfolio';
import { buildPriceGraph, describeConversion } from '../../../domain/price-graph';
import { expectFieldError } from './helpers';

const b = (s: string | number) => new Big(s);
const half = { kind: 'share', share: b('0.5') } as const;

/** A 50/50 pool at its pair's price, holding `base` and starting from those same holdings. */
function balanced(poolId: string, pair: string, base: string, price: string): PoolPosition {
  const quote = b(base).times(price);
  return {
    poolId,
    pair,
    reserveBase: b(base),
    reserveQuote: quote,
    initialBase: b(base),
    initialQuote: quote,
    target: half,
  };
}

const prices = [
  { pair: 'BTC/USDC', price: b('60000') },
  { pair: 'ETH/BTC', price: b('0.035') },
  { pair: 'SOL/USDC', price: b('150') },
];

describe('price graph', () => {
  it('values ETH in USDC through ETH/BTC x BTC/USDC, exactly, when no ETH/USDC price exists', () => {
    const c = buildPriceGraph(prices).conversion('ETH', 'USDC');
    expect(formatDecimal(c.rate)).toBe('2100');
    expect(c.exact).toBe(true);
    expect(describeConversion(c)).toBe('ETH/BTC x BTC/USDC');
  });

  it('prefers a direct price to a cross, and inverts a price when it must', () => {
    const g = buildPriceGraph([...prices, { pair: 'ETH/USDC', price: b('2000') }]);
    expect(formatDecimal(g.conversion('ETH', 'USDC').rate)).toBe('2000');
    const inv = g.conversion('USDC', 'BTC');
    expect(describeConversion(inv)).toBe('1/BTC/USDC');
    expect(inv.exact).toBe(false);
    expect(inv.rate.times(60000).minus(1).abs().lt('1e-30')).toBe(true);
  });

  it('names the missing path when an asset cannot be valued', () => {
    const g = buildPriceGraph([
      { pair: 'ETH/BTC', price: b('0.035') },
      { pair: 'SOL/USDC', price: b('150') },
    ]);
    const err = expectFieldError(() => g.conversion('ETH', 'USDC'), 'prices', 'cannot value ETH in USDC');
    expect(err.message).toContain('ETH connects only to BTC; USDC connects only to SOL');
    expect(err.message).toContain('add a price for ETH/USDC');
    expectFieldError(() => g.conversion('DOGE', 'USDC'), 'prices', 'DOGE has no price at all');
  });

  it('refuses two prices for one pair of assets and a non-positive price', () => {
    expectFieldError(
      () =>
        buildPriceGraph([
          { pair: 'ETH/BTC', price: b(1) },
          { pair: 'BTC/ETH', price: b(1) },
        ]),
      'prices[1].pair',
      'already given (ETH/BTC)',
    );
    expectFieldError(
      () => buildPriceGraph([{ pair: 'ETH/BTC', price: b(0) }]),
      'prices[0].price',
      'positive',
    );
  });

  it('any cycle-free chain of random prices converts consistently: A->B->C equals A->C', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10 ** 7 }), { minLength: 2, maxLength: 6 }),
        fc.boolean(),
        (raw, flip) => {
          // A chain X0 - X1 - ... - Xn, each link given in one direction or the other.
          const quotes = raw.map((n, i) => ({
            pair: flip && i % 2 === 1 ? `X${i + 1}/X${i}` : `X${i}/X${i + 1}`,
            price: b(n).div(1000),
          }));
          const g = buildPriceGraph(quotes);
          const n = raw.length;
          const direct = g.conversion('X0', `X${n}`).rate;
          const viaMid = g.conversion('X0', 'X1').rate.times(g.conversion('X1', `X${n}`).rate);
          expect(direct.minus(viaMid).abs().div(direct).lt('1e-20')).toBe(true);
        },
      ),
    );
  });
});

describe('computePortfolio', () => {
  it('nets exposure per asset across pools and pairs, valued in the numeraire', () => {
    // ETH/BTC at 0.035, BTC at 60,000 USDC: ETH is 2,100 USDC.
    const pools: PoolPosition[] = [
      // 60% of 42,000 USDC in ETH: long 2 ETH (4,200 USDC) beyond the 50% target, short 0.07 BTC.
      { ...balanced('eth-btc', 'ETH/BTC', '10', '0.035'), reserveBase: b(12), reserveQuote: b('0.28') },
      // ETH/USDC is not priced directly: the pool's own mid is the cross, 2,100.
      { ...balanced('eth-usdc', 'ETH/USDC', '5', '2100'), reserveBase: b(4), reserveQuote: b(12_600) },
      balanced('btc', 'BTC/USDC', '1', '60000'),
    ];
    const view = computePortfolio({ numeraire: 'USDC', prices, pools });
    const json = portfolioViewToJson(view);
    expect(json.pools[0]!.exposure).toEqual([
      { asset: 'BTC', quantity: '-0.07', value: '-4200' },
      { asset: 'ETH', quantity: '2', value: '4200' },
    ]);
    expect(json.exposure).toEqual([
      { asset: 'BTC', quantity: '-0.07', value: '-4200' },
      // 4 ETH + 12,600 USDC at 2,100 is short 1 ETH against its 50%, long 2,100 USDC.
      { asset: 'ETH', quantity: '1', value: '2100' },
      { asset: 'USDC', quantity: '2100', value: '2100' },
    ]);
    expect(json.valuationPaths).toEqual({
      BTC: 'BTC/USDC',
      ETH: 'ETH/BTC x BTC/USDC',
      USDC: 'USDC is the numeraire',
    });
    expect(json.holdings.find((h) => h.asset === 'ETH')).toEqual({
      asset: 'ETH',
      quantity: '16',
      value: '33600',
    });
  });

  it("total P&L is current value minus the starting holdings at today's prices, hedges included", () => {
    const pool: PoolPosition = {
      ...balanced('p', 'ETH/USDC', '10', '2000'),
      // Sold 1 ETH to takers at 2,010: one ETH less, 2,010 USDC more.
      reserveBase: b(9),
      reserveQuote: b(22_010),
      // And bought 0.5 ETH back at a venue for 1,002 USDC with fees.
      hedges: [{ pair: 'ETH/USDC', side: 'buy', baseAmount: b('0.5'), netQuoteAmount: b(1002) }],
    };
    const view = computePortfolio({
      numeraire: 'USDC',
      prices: [{ pair: 'ETH/USDC', price: b(2000) }],
      pools: [pool],
    });
    // Hold: 10 ETH + 20,000 = 40,000. Now: 9.5 ETH (19,000) + 21,008 = 40,008.
    expect(formatDecimal(view.holdValue)).toBe('40000');
    expect(formatDecimal(view.totalPnl)).toBe('8');
    expect(formatDecimal(view.pools[0]!.pnl)).toBe('8');
  });

  it('desk hedges are exposure of their own and count in P&L', () => {
    const pool: PoolPosition = {
      ...balanced('p', 'ETH/USDC', '10', '2000'),
      reserveBase: b(12),
      reserveQuote: b(16_000),
    };
    const view = computePortfolio({
      numeraire: 'USDC',
      prices: [{ pair: 'ETH/USDC', price: b(2000) }],
      pools: [pool],
      deskHedges: [{ pair: 'ETH/USDC', side: 'sell', baseAmount: b(2), netQuoteAmount: b(3996) }],
    });
    const json = portfolioViewToJson(view);
    expect(json.exposure).toEqual([
      { asset: 'ETH', quantity: '0', value: '0' },
      // The hedge's 4 USDC of fees and slippage are all that is left.
      { asset: 'USDC', quantity: '-4', value: '-4' },
    ]);
    expect(json.deskExposure).toEqual([
      { asset: 'ETH', quantity: '-2', value: '-4000' },
      { asset: 'USDC', quantity: '3996', value: '3996' },
    ]);
    expect(json.totalPnl).toBe('-4');
  });

  it('a holdings target measures exposure against fixed quantities', () => {
    const view = computePortfolio({
      numeraire: 'USDC',
      prices: [{ pair: 'SOL/USDC', price: b(150) }],
      pools: [
        {
          ...balanced('s', 'SOL/USDC', '100', '150'),
          reserveBase: b(90),
          target: { kind: 'holdings', base: b(100), quote: b(15_000) },
        },
      ],
    });
    expect(portfolioViewToJson(view).exposure[0]).toEqual({ asset: 'SOL', quantity: '-10', value: '-1500' });
  });

  it("a pool at its share target has no exposure; a share-target pool's exposure is worth zero in total", () => {
    const pool = fc.record({
      base: fc.integer({ min: 0, max: 10 ** 9 }).map((n) => b(n).div(10 ** 4)),
      quote: fc.integer({ min: 0, max: 10 ** 9 }).map((n) => b(n).div(10 ** 2)),
      share: fc.integer({ min: 1, max: 99 }).map((n) => b(n).div(100)),
    });
    fc.assert(
      fc.property(pool, fc.integer({ min: 1, max: 10 ** 8 }), ({ base, quote, share }, p) => {
        const btcUsdc = b(p).div(100);
        const view = computePortfolio({
          numeraire: 'USDC',
          prices: [
            { pair: 'BTC/USDC', price: btcUsdc },
            { pair: 'ETH/BTC', price: b('0.035') },
          ],
          pools: [
            {
              poolId: 'x',
              pair: 'ETH/BTC',
              reserveBase: base,
              reserveQuote: quote,
              initialBase: base,
              initialQuote: quote,
              target: { kind: 'share', share },
            },
          ],
        });
        let total = b(0);
        for (const a of view.pools[0]!.exposure.values()) total = total.plus(a.value);
        expect(total.abs().lt('1e-20')).toBe(true);
        // Exposure equals holdings minus the target: the base side is the pool's value share excess.
        const eth = view.exposure.get('ETH')!;
        const poolValue = base.times('0.035').plus(quote);
        const expected = base.minus(share.times(poolValue).div('0.035'));
        expect(eth.quantity.minus(expected).abs().lt('1e-20')).toBe(true);
        expect(view.totalPnl.eq(0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('is unchanged by the order of pools, and the net is the sum of the pools', () => {
    const pools = [
      { ...balanced('a', 'ETH/BTC', '10', '0.035'), reserveBase: b(12), reserveQuote: b('0.28') },
      { ...balanced('b', 'BTC/USDC', '2', '60000'), reserveBase: b(1) },
      balanced('c', 'SOL/USDC', '40', '150'),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(pools, { minLength: 3, maxLength: 3 }), (shuffled) => {
        const a = portfolioViewToJson(computePortfolio({ numeraire: 'USDC', prices, pools }));
        const c = portfolioViewToJson(computePortfolio({ numeraire: 'USDC', prices, pools: shuffled }));
        expect(c.exposure).toEqual(a.exposure);
        expect(c.totalPnl).toBe(a.totalPnl);
      }),
      { numRuns: 20 },
    );
  });

  it('values in another numeraire too (BTC)', () => {
    const view = computePortfolio({
      numeraire: 'BTC',
      prices,
      pools: [balanced('a', 'SOL/USDC', '400', '150')],
    });
    expect(formatDecimal(view.currentValue.round(18))).toBe('2');
  });

  it('refuses what it cannot value or read, naming the field', () => {
    expectFieldError(
      () => computePortfolio({ numeraire: 'USDC', prices, pools: [balanced('a', 'DOGE/USDC', '1', '0.1')] }),
      'prices',
      'cannot value DOGE in USDC',
    );
    expectFieldError(
      () =>
        computePortfolio({
          numeraire: 'USDC',
          prices,
          pools: [balanced('a', 'SOL/USDC', '1', '150'), balanced('a', 'SOL/USDC', '1', '150')],
        }),
      'pools[1].poolId',
      'twice',
    );
    expectFieldError(
      () =>
        computePortfolio({
          numeraire: 'USDC',
          prices,
          pools: [{ ...balanced('a', 'SOL/USDC', '1', '150'), reserveBase: b(-1) }],
        }),
      'pools[0].reserveBase',
    );
    expectFieldError(
      () =>
        computePortfolio({
          numeraire: 'USDC',
          prices,
          pools: [{ ...balanced('a', 'SOL/USDC', '1', '150'), target: { kind: 'share', share: b(1) } }],
        }),
      'pools[0].target.share',
    );
  });
});
