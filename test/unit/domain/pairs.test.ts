import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_ASSETS, assetRegistry, parseAsset } from '../../../domain/assets';
import { Big, formatDecimal, isOnGrid, roundPriceToTick } from '../../../domain/money';
import {
  EXAMPLE_PAIR_RULES,
  baseSizeForQuoteValue,
  examplePairRegistry,
  gridProblems,
  maxTickFor,
  pairToJson,
  parsePair,
  parsePairList,
  poolMarketRules,
  tickInBps,
} from '../../../domain/pairs';
import { expectFieldError } from './helpers';

const assets = assetRegistry(EXAMPLE_ASSETS);
const registry = examplePairRegistry();
const ethBtc = EXAMPLE_PAIR_RULES.find((p) => p.base === 'ETH' && p.quote === 'BTC')!;

describe('example pairs', () => {
  it('span four price scales, from ~0.03 to ~60,000, each with its own grid', () => {
    expect(registry.pairs.map((p) => `${p.symbol}@${formatDecimal(p.referencePrice)}`)).toEqual([
      'BTC/USDC@60000',
      'ETH/USDC@2000',
      'SOL/USDC@150',
      'ETH/BTC@0.033333',
    ]);
    expect(new Set(registry.pairs.map((p) => formatDecimal(p.tickSize))).size).toBe(3);
  });

  it('have a tick of at most 1 bp and a minimum order worth a few USDC at their reference prices', () => {
    const usdcPerBtc = registry.get('BTC/USDC').referencePrice;
    for (const pair of registry.pairs) {
      expect(gridProblems(pair, pair.referencePrice), pair.symbol).toEqual([]);
      const minValue = pair.minSize.times(pair.referencePrice);
      const inUsdc = pair.quote.symbol === 'BTC' ? minValue.times(usdcPerBtc) : minValue;
      expect(inUsdc.gte(0.5) && inUsdc.lte(10), `${pair.symbol}: ${formatDecimal(inUsdc)} USDC`).toBe(true);
    }
  });

  it('keep a 10 bps spread at least ten ticks wide anywhere within a factor 3 of their reference price', () => {
    fc.assert(
      fc.property(fc.constantFrom(...registry.pairs), fc.integer({ min: 34, max: 300 }), (pair, pct) => {
        const mid = roundPriceToTick(pair.referencePrice.times(pct).div(100), pair.tickSize, 'bid');
        const half = mid.times('0.0005');
        const bid = roundPriceToTick(mid.minus(half), pair.tickSize, 'bid');
        const ask = roundPriceToTick(mid.plus(half), pair.tickSize, 'ask');
        expect(ask.minus(bid).div(pair.tickSize).gte(10)).toBe(true);
      }),
    );
  });

  it('round-trip through JSON and give the pools table its market rules', () => {
    for (const pair of registry.pairs) expect(parsePair(pairToJson(pair), assets)).toEqual(pair);
    expect(poolMarketRules(registry.get('ETH/BTC'))).toEqual({
      baseAsset: 'ETH',
      quoteAsset: 'BTC',
      tickSize: '0.000001',
      lotSize: '0.0001',
      minSize: '0.001',
    });
  });
});

describe('parsePair', () => {
  it('refuses a grid no ledger can settle or no order can reach, naming the field', () => {
    expectFieldError(
      () => parsePair({ ...ethBtc, tickSize: '0.000000001' }, assets),
      'pair.tickSize',
      'smallest unit of BTC (8 decimals)',
    );
    expectFieldError(
      () => parsePair({ ...ethBtc, base: 'BTC', quote: 'USDC', lotSize: '0.000000001' }, assets),
      'pair.lotSize',
      'smallest unit of BTC',
    );
    expectFieldError(
      () => parsePair({ ...ethBtc, minSize: '0.00015' }, assets),
      'pair.minSize',
      'multiple of the lot size',
    );
    expectFieldError(
      () => parsePair({ ...ethBtc, referencePrice: '0.0333333' }, assets),
      'pair.referencePrice',
      'tick size',
    );
    expectFieldError(
      () => parsePair({ ...ethBtc, tickSize: '0' }, assets),
      'pair.tickSize',
      'must not be zero',
    );
    expectFieldError(
      () => parsePair({ ...ethBtc, lotSize: 0.001 }, assets),
      'pair.lotSize',
      'got number 0.001',
    );
    expectFieldError(() => parsePair({ ...ethBtc, quote: 'ETH' }, assets), 'pair.quote', 'must differ');
    expectFieldError(
      () => parsePair({ ...ethBtc, base: 'DOGE' }, assets),
      'pair.base',
      'known assets: USDC, BTC, ETH, SOL',
    );
    expectFieldError(() => parsePair({ ...ethBtc, tick: '1' }, assets), 'pair.tick', 'known fields');
    expectFieldError(() => parsePair({ ...ethBtc, base: 'ETH/X' }, assets), 'pair.base', 'asset symbol');
  });

  it('refuses an asset with an impossible precision', () => {
    expectFieldError(() => parseAsset({ symbol: 'X', decimals: 19 }), 'asset.decimals', 'from 0 to 18');
    expectFieldError(
      () =>
        assetRegistry([
          { symbol: 'X', decimals: 2 },
          { symbol: 'X', decimals: 3 },
        ]),
      'assets[1].symbol',
      'twice',
    );
  });
});

describe('grid checks', () => {
  it('a tick of 0.01 suits BTC/USDC but not ETH/BTC, and the message proposes a tick', () => {
    const coarse = parsePair({ ...ethBtc, tickSize: '0.01', referencePrice: '0.03' }, assets);
    const [problem] = gridProblems(coarse, new Big('0.03'));
    expect(problem?.rule).toBe('tick_too_coarse');
    expect(problem?.message).toContain('ETH/BTC: a tick of 0.01 is 3333.3334 bps of the price 0.03');
    expect(problem?.message).toContain('use a tick of at most 0.000001');
  });

  it('maxTickFor is the largest power of ten within the limit, at any scale', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 0, max: 8 }), (digits, shift) => {
        const price = new Big(digits).div(new Big(10).pow(shift));
        const tick = maxTickFor(price);
        expect(tickInBps({ ...registry.get('ETH/USDC'), tickSize: tick }, price).lte(1)).toBe(true);
        expect(tickInBps({ ...registry.get('ETH/USDC'), tickSize: tick.times(10) }, price).gt(1)).toBe(true);
        expect(formatDecimal(tick)).toMatch(/^(1(0*)|0\.0*1)$/);
      }),
    );
  });

  it('a typical order smaller than the minimum order is reported', () => {
    const btc = registry.get('BTC/USDC');
    expect(gridProblems(btc, btc.referencePrice, { referenceOrderValue: new Big(5) })[0]?.message).toContain(
      'the minimum order 0.0001 BTC is worth 6 USDC at 60000, more than the typical order of 5 USDC',
    );
  });
});

describe('baseSizeForQuoteValue', () => {
  it('sizes by value on the lot grid, never above the value, null below the minimum', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...registry.pairs),
        fc.integer({ min: 0, max: 10 ** 8 }),
        fc.integer({ min: 1, max: 400 }),
        (pair, cents, pct) => {
          const value = new Big(cents).div(100).times(pair.quote.symbol === 'BTC' ? '0.00001' : '1');
          const price = pair.referencePrice.times(pct).div(100);
          const size = baseSizeForQuoteValue(pair, value, price);
          if (size === null) {
            expect(value.div(price).lt(pair.minSize)).toBe(true);
            return;
          }
          expect(isOnGrid(size, pair.lotSize)).toBe(true);
          expect(size.gte(pair.minSize)).toBe(true);
          expect(size.times(price).lte(value)).toBe(true);
          expect(size.plus(pair.lotSize).times(price).gt(value)).toBe(true);
        },
      ),
    );
  });

  it('the same 1,000 USDC order is 0.01666 BTC, 0.5 ETH and 6.666 SOL', () => {
    const size = (s: string) =>
      formatDecimal(baseSizeForQuoteValue(registry.get(s), new Big(1000), registry.get(s).referencePrice)!);
    expect([size('BTC/USDC'), size('ETH/USDC'), size('SOL/USDC')]).toEqual(['0.01666', '0.5', '6.666']);
  });
});

describe('parsePairList', () => {
  it('reads the --pairs form and says what is wrong with a bad one', () => {
    expect(parsePairList(' BTC/USDC, ETH/BTC ', registry).map((p) => p.symbol)).toEqual([
      'BTC/USDC',
      'ETH/BTC',
    ]);
    expectFieldError(
      () => parsePairList('BTC/USDC,DOGE/USDC', registry),
      'pairs[1]',
      'known pairs: BTC/USDC, ETH/USDC, SOL/USDC, ETH/BTC',
    );
    expectFieldError(() => parsePairList('USDC/BTC', registry), 'pairs[0]', 'not a known pair');
    expectFieldError(() => parsePairList('ETH/USDC,ETH/USDC', registry), 'pairs[1]', 'twice');
    expectFieldError(() => parsePairList('ETHUSDC', registry), 'pairs[0]', "exactly one '/'");
    expectFieldError(() => parsePairList('', registry), 'pairs', 'comma-separated');
  });
});
