import { describe, expect, it } from 'vitest';
import {
  Big,
  DEFAULT_DESK_SIZING,
  deskMarketSpec,
  evaluateSpread,
  examplePairRegistry,
  legCorrelationMatrix,
  parsePairList,
  parsePoolConfig,
  planDeskPool,
  quoteValuesInNumeraire,
} from '../../../domain';
import { choleskyFactor } from '../../../adapters/price-feed/correlated';

const registry = examplePairRegistry();
const all = parsePairList('BTC/USDC,ETH/USDC,SOL/USDC,ETH/BTC', registry);
const prices = new Map(registry.pairs.map((p) => [p.symbol, p.referencePrice]));
const rates = quoteValuesInNumeraire(prices, all, 'USDC');
const plan = (symbol: string, opts = {}) => {
  const pair = registry.get(symbol);
  return planDeskPool(pair, pair.referencePrice, rates.get(symbol)!, DEFAULT_DESK_SIZING, opts);
};
const valueInUsdc = (symbol: string, base: Big, quote: Big) => {
  const pair = registry.get(symbol);
  return base.times(pair.referencePrice).plus(quote).times(rates.get(symbol)!);
};

describe('desk pools sized in the numeraire (issue 13, item 1)', () => {
  it('every pair gets a pool worth 100,000 USDC, orders worth about 2,000 USDC, on its own grid', () => {
    for (const pair of all) {
      const p = plan(pair.symbol);
      const value = valueInUsdc(pair.symbol, p.liquidity.base, p.liquidity.quote);
      expect(value.minus(100_000).abs().lt(1), pair.symbol).toBe(true);
      const order = valueInUsdc(pair.symbol, p.orderSize, new Big(0));
      expect(order.gt(1_990) && order.lte(2_000), `${pair.symbol} order ${order.toFixed(2)}`).toBe(true);
      expect(p.orderSize.mod(pair.lotSize).eq(0)).toBe(true);
      expect(p.liquidity.base.mod(pair.lotSize).eq(0)).toBe(true);
      expect(() => parsePoolConfig(p.config)).not.toThrow();
    }
  });

  it('on ETH/USDC a desk pool is the demo pool: 25 ETH + 50,000 USDC, 1 ETH orders, tiers at 10,000 / 50,000', () => {
    const p = plan('ETH/USDC');
    expect(p.liquidity.base.toFixed()).toBe('25');
    expect(p.liquidity.quote.toFixed()).toBe('50000');
    expect(p.config.ladder.baseOrderSize).toBe('1');
    expect(p.config.spreadPolicy).toMatchObject({ lowTvlThreshold: '10000', mediumTvlThreshold: '50000' });
  });

  it('an ETH/BTC pool worth 100,000 USDC is in the same TVL tier as a BTC/USDC one (no tvl_low widening)', () => {
    for (const symbol of ['ETH/BTC', 'BTC/USDC']) {
      const pair = registry.get(symbol);
      const p = plan(symbol);
      const config = parsePoolConfig(p.config);
      const tvl = p.liquidity.base.times(pair.referencePrice).plus(p.liquidity.quote);
      const d = evaluateSpread(
        {
          currentSpreadBps: new Big(30),
          volatility: 0.01,
          inventoryShare: new Big('0.5'),
          tvl,
          previousVolatilityRegime: 'normal',
        },
        config.spreadPolicy,
      );
      expect(d.tvlTier, symbol).toBe('deep');
    }
    // The old quote-unit defaults put the same ETH/BTC pool in the lowest tier.
    expect(new Big(plan('ETH/BTC').config.spreadPolicy.lowTvlThreshold).lt(1)).toBe(true);
  });

  it('a 30% target splits the liquidity 30/70 by value', () => {
    const p = plan('BTC/USDC', { targetInventoryShare: 0.3 });
    const baseValue = p.liquidity.base.times(60_000);
    expect(baseValue.div(baseValue.plus(p.liquidity.quote)).minus(0.3).abs().lt(0.0001)).toBe(true);
  });

  it('refuses an order value below the pair minimum instead of growing the order', () => {
    const pair = registry.get('BTC/USDC');
    expect(() =>
      planDeskPool(pair, pair.referencePrice, new Big(1), { ...DEFAULT_DESK_SIZING, orderValue: new Big(1) }),
    ).toThrow(/below the pair's minimum size/);
  });

  it('the market behind the pairs: three legs in USDC, ETH/BTC as a cross; a positive-definite default matrix', () => {
    const spec = deskMarketSpec(all, registry, 'USDC');
    expect(spec.legs.map((p) => p.symbol)).toEqual(['BTC/USDC', 'ETH/USDC', 'SOL/USDC']);
    expect(spec.crosses.map((p) => p.symbol)).toEqual(['ETH/BTC']);
    const only = deskMarketSpec(parsePairList('ETH/BTC', registry), registry, 'USDC');
    expect(only.legs.map((p) => p.symbol)).toEqual(['ETH/USDC', 'BTC/USDC']);
    const matrix = legCorrelationMatrix(spec.legs.map((p) => p.base.symbol));
    expect(matrix[0]![1]).toBe(0.8);
    expect(() => choleskyFactor(matrix)).not.toThrow();
  });
});
