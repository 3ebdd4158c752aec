import { describe, expect, it } from 'vitest';
import {
  Big,
  DEFAULT_DESK_SIZING,
  examplePairRegistry,
  formatDecimal,
  parsePoolConfig,
  planDeskPool,
  poolMarketRules,
  quoteValuesInNumeraire,
  roundPriceToTick,
  type Pair,
} from '../../domain';
import { openPoolOrders, seedTicks, startTicker, useMarketHarness, waitFor } from '../helpers/market';

/*
 * Issue 13's "a pool at a 0.03 price and one at 60,000 both quote inside their bounds with each
 * strategy": ETH/BTC (~0.033) and BTC/USDC (~60,000), sized by the desk in USDC, each with a price
 * band, quoted by the real market maker on real Postgres. Inside the bounds means: bids below and
 * asks above the mid, a level-0 width within [minSpreadBps, maxSpreadBps], every price on the tick
 * and every size on the lot and at least the minimum, no order above the notional limit, and the
 * band: no bid above the ceiling, no ask below the floor, and with the mid past the ceiling, asks only.
 */

const STRATEGIES = ['rule_based', 'avellaneda_stoikov', 'glft'] as const;
const registry = examplePairRegistry();
const PAIRS = [registry.get('ETH/BTC'), registry.get('BTC/USDC')];
const rates = quoteValuesInNumeraire(
  new Map(registry.pairs.map((p) => [p.symbol, p.referencePrice])),
  PAIRS,
  'USDC',
);

const onTick = (p: Pair, x: Big, side: 'bid' | 'ask') => roundPriceToTick(x, p.tickSize, side);

interface Case {
  pair: Pair;
  strategy: (typeof STRATEGIES)[number];
  poolId: string;
  feed: string;
  mid: Big;
  ceiling: Big;
  floor: Big;
  config: ReturnType<typeof parsePoolConfig>;
}

describe('pools at 0.03 and at 60,000 quote inside their bounds with every strategy', () => {
  const m = useMarketHarness('scales');

  it('ETH/BTC and BTC/USDC, each with rule_based, avellaneda_stoikov and glft', async () => {
    const suffix = Date.now().toString(36);
    const cases: Case[] = [];
    for (const pair of PAIRS) {
      for (const strategy of STRATEGIES) {
        const mid = pair.referencePrice;
        const plan = planDeskPool(pair, mid, rates.get(pair.symbol)!, DEFAULT_DESK_SIZING);
        const ceiling = onTick(pair, mid.times(1.01), 'ask');
        const floor = onTick(pair, mid.times(0.99), 'bid');
        const patch = {
          ...plan.config,
          strategy: { kind: strategy },
          // The jump past the ceiling is a 1.5% move in one tick, an extreme volatility estimate:
          // the volatility limit would pause the pool (no quotes at all) instead of showing the band.
          risk: { ...plan.config.risk, maxVolatility: 100 },
          ladder: {
            ...plan.config.ladder,
            priceCeiling: formatDecimal(ceiling),
            priceFloor: formatDecimal(floor),
          },
        };
        const poolId = `${pair.base.symbol}-${pair.quote.symbol}-${strategy}-${suffix}`.toLowerCase();
        const feed = `feed-${poolId}`;
        await m.client.createPool({ poolId, ...poolMarketRules(pair), priceFeed: feed, config: patch });
        await m.client.addLiquidity({
          poolId,
          base: formatDecimal(plan.liquidity.base),
          quote: formatDecimal(plan.liquidity.quote),
          requestId: 'seed',
        });
        await seedTicks(m.db, feed, Array<string>(30).fill(formatDecimal(mid)));
        cases.push({ pair, strategy, poolId, feed, mid, ceiling, floor, config: parsePoolConfig(patch) });
      }
    }
    const tickers = cases.map((c) => startTicker(m.db, c.feed, formatDecimal(c.mid)));
    const label = (c: Case) => `${c.pair.symbol} ${c.strategy}`;
    const ordersOf = async (c: Case) =>
      (await openPoolOrders(m.db, c.poolId)).map((o) => ({
        side: o.side,
        price: new Big(o.price),
        size: new Big(o.quantity).minus(o.filled_quantity),
      }));
    const checkGrid = (c: Case, orders: Awaited<ReturnType<typeof ordersOf>>) => {
      for (const o of orders) {
        const what = `${label(c)} ${o.side} ${formatDecimal(o.size)} @ ${formatDecimal(o.price)}`;
        expect(o.price.mod(c.pair.tickSize).eq(0), `${what}: price on the tick`).toBe(true);
        expect(o.size.mod(c.pair.lotSize).eq(0), `${what}: size on the lot`).toBe(true);
        expect(o.size.gte(c.pair.minSize), `${what}: at least the minimum size`).toBe(true);
        expect(o.price.times(o.size).lte(c.config.risk.maxOrderNotional), `${what}: notional`).toBe(true);
        if (o.side === 'buy') expect(o.price.lte(c.ceiling), `${what}: bid at most the ceiling`).toBe(true);
        else expect(o.price.gte(c.floor), `${what}: ask at least the floor`).toBe(true);
      }
    };
    try {
      for (const c of cases) await m.client.startPool(c.poolId, { refreshIntervalMs: 1000 });

      // Inside the band: two-sided quotes inside the spread bounds.
      await Promise.all(
        cases.map(async (c) => {
          const orders = await waitFor(`two-sided quotes of ${label(c)}`, async () => {
            const os = await ordersOf(c);
            return os.some((o) => o.side === 'buy') && os.some((o) => o.side === 'sell') ? os : undefined;
          });
          const bids = orders.filter((o) => o.side === 'buy').map((o) => o.price);
          const asks = orders.filter((o) => o.side === 'sell').map((o) => o.price);
          const bestBid = bids.reduce((a, b) => (b.gt(a) ? b : a));
          const bestAsk = asks.reduce((a, b) => (b.lt(a) ? b : a));
          expect(bestBid.lt(c.mid) && bestAsk.gt(c.mid), `${label(c)}: bid < mid < ask`).toBe(true);
          const widthBps = bestAsk.minus(bestBid).div(c.mid).times(10_000);
          const { minSpreadBps, maxSpreadBps } = c.config.spreadPolicy;
          expect(widthBps.gte(minSpreadBps), `${label(c)}: width ${widthBps.toFixed(2)} bps >= min`).toBe(
            true,
          );
          expect(widthBps.lte(maxSpreadBps), `${label(c)}: width ${widthBps.toFixed(2)} bps <= max`).toBe(
            true,
          );
          checkGrid(c, orders);
        }),
      );

      // The mid moves past the ceiling: every pool only sells, and still on its grid.
      await Promise.all(
        cases.map((c, i) =>
          tickers[i]!.setPrice(formatDecimal(onTick(c.pair, c.ceiling.times(1.005), 'ask'))),
        ),
      );
      await Promise.all(
        cases.map(async (c) => {
          const orders = await waitFor(`asks only from ${label(c)} above its ceiling`, async () => {
            const os = await ordersOf(c);
            return os.length > 0 && os.every((o) => o.side === 'sell') ? os : undefined;
          });
          checkGrid(c, orders);
        }),
      );
    } finally {
      await Promise.allSettled(cases.map((c) => m.client.stopPool(c.poolId, 'test done')));
      await Promise.all(tickers.map((t) => t.stop()));
    }
  }, 120_000);
});
