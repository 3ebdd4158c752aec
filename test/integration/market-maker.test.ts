import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { connectTemporal, type TemporalTestContext } from '../helpers/temporal';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  startMarketWorker,
  startTicker,
  waitFor,
  type MarketHarness,
} from '../helpers/market';

describe('MarketMakerWorkflow and SpreadManagementSaga on the real dev server', () => {
  let t: TestDatabase;
  let temporal: TemporalTestContext;
  let h: MarketHarness;
  beforeAll(async () => {
    t = await createTestDatabase();
    temporal = await connectTemporal('mm');
    h = await startMarketWorker(t, temporal);
  });
  afterAll(async () => {
    await h.shutdown();
    await temporal.close();
    await t.drop();
  });

  it('a taker trade against a quote leads to a recalculation and requoted orders before the refresh interval', async () => {
    const { poolId, feed } = await createFundedPool(h.client);
    await seedTicks(t.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(t.db, feed, '2000');
    try {
      // A refresh interval far longer than the test: only the trade can cause the requote.
      await h.client.startPool(poolId, { refreshIntervalMs: 600_000, catchUpIntervalMs: 600_000 });
      const first = await waitFor('first quotes', async () => {
        const s = await h.client.status(poolId);
        return s.state === 'quoting' && s.asks.length > 0 ? s : undefined;
      });
      const bestAsk = first.asks[0]!;
      const fill = await h.client.submitOrder({
        poolId,
        owner: 'taker-1',
        clientOrderId: 'lift-1',
        side: 'buy',
        type: 'ioc',
        price: bestAsk.price,
        quantity: bestAsk.size,
      });
      expect(fill.fills.length).toBeGreaterThan(0);
      const executed = await waitFor('the trade event', async () =>
        (await eventsOf(t.db, poolId)).pool.find((e) => e.type === 'order_executed'),
      );
      // Global order: the trade, then the quotes it caused (the refresh interval is 10 minutes away).
      const requote = await waitFor('quotes updated after the trade', async () =>
        (await eventsOf(t.db, poolId)).mm.find(
          (e) => e.type === 'quotes_updated' && BigInt(e.globalPosition) > BigInt(executed.globalPosition),
        ),
      );
      expect(requote.payload.placed).toBeGreaterThan(0);
      const saga = await waitFor('the saga to count the trade', async () => {
        const s = await h.client.spreadStatus(poolId);
        return s.counts.order_executed ? s : undefined;
      });
      expect(saga.counts.order_executed).toBe(fill.fills.length);
      expect(saga.lastMetrics).not.toBeNull();
      const { mm } = await eventsOf(t.db, poolId);
      expect(mm[0]!.type).toBe('market_maker_started');
    } finally {
      await h.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(t.db, poolId)).toEqual([]);
    const { mm } = await eventsOf(t.db, poolId);
    expect(mm[mm.length - 1]!.type).toBe('market_maker_stopped');
    expect(mm[mm.length - 1]!.payload.reason).toBe('test done');
  });
});
