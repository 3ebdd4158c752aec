import { describe, expect, it } from 'vitest';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  useMarketHarness,
  startTicker,
  waitFor,
} from '../helpers/market';

describe('MarketMakerWorkflow and SpreadManagementSaga on the real dev server', () => {
  const m = useMarketHarness('mm');

  it('a taker trade against a quote leads to a recalculation and requoted orders before the refresh interval', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      // A refresh interval far longer than the test: only the trade can cause the requote. The saga
      // is not woken per trade; its catch-up (1 s here, minutes by default) counts the trade.
      await m.client.startPool(poolId, { refreshIntervalMs: 600_000, catchUpIntervalMs: 1000 });
      const first = await waitFor('first quotes', async () => {
        const s = await m.client.status(poolId);
        return s.state === 'quoting' && s.asks.length > 0 ? s : undefined;
      });
      const bestAsk = first.asks[0]!;
      const fill = await m.client.submitOrder({
        poolId,
        clientOrderId: 'lift-1',
        side: 'buy',
        type: 'ioc',
        price: bestAsk.price,
        quantity: bestAsk.size,
      });
      expect(fill.fills.length).toBeGreaterThan(0);
      const executed = await waitFor('the trade event', async () =>
        (await eventsOf(m.db, poolId)).pool.find((e) => e.type === 'order_executed'),
      );
      // Global order: the trade, then the quotes it caused (the refresh interval is 10 minutes away).
      const requote = await waitFor('quotes updated after the trade', async () =>
        (await eventsOf(m.db, poolId)).mm.find(
          (e) => e.type === 'quotes_updated' && BigInt(e.globalPosition) > BigInt(executed.globalPosition),
        ),
      );
      expect(requote.payload.placed).toBeGreaterThan(0);
      const saga = await waitFor('the saga to count the trade', async () => {
        const s = await m.client.spreadStatus(poolId);
        return s.counts.order_executed ? s : undefined;
      });
      expect(saga.counts.order_executed).toBe(fill.fills.length);
      expect(saga.lastMetrics).not.toBeNull();
      const { mm } = await eventsOf(m.db, poolId);
      expect(mm[0]!.type).toBe('market_maker_started');
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);
    const { mm } = await eventsOf(m.db, poolId);
    expect(mm[mm.length - 1]!.type).toBe('market_maker_stopped');
    expect(mm[mm.length - 1]!.payload.reason).toBe('test done');
  });
});
