import Big from 'big.js';
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

describe('continueAsNew keeps state, checkpoint and signals', () => {
  const m = useMarketHarness('can');

  it('carries cycle, P&L baseline, pause and the saga checkpoint across runs', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      // Tiny runs: the market maker continues as new every 3 cycles, the saga every 2 iterations.
      await m.client.startPool(poolId, {
        refreshIntervalMs: 150,
        maxCyclesPerRun: 3,
        catchUpIntervalMs: 150,
        maxIterationsPerRun: 2,
      });
      const early = await waitFor('a few runs', async () => {
        const s = await m.client.status(poolId);
        return s.runs >= 3 ? s : undefined;
      });
      expect(early.cycle).toBeGreaterThanOrEqual(6);

      // Signals fired while runs keep turning over: none may be lost.
      const trades: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = await m.client.status(poolId);
        const ask = s.asks[0];
        if (ask) {
          const r = await m.client.submitOrder({
            poolId,
            owner: 'taker',
            clientOrderId: `t-${i}`,
            side: 'buy',
            type: 'ioc',
            price: ask.price,
            quantity: '0.01',
          });
          trades.push(r.fills.length);
        }
        await new Promise((r) => setTimeout(r, 120));
      }
      await m.client.pause(poolId, 'around-continue-as-new');
      const paused = await waitFor('paused', async () => {
        const s = await m.client.status(poolId);
        return s.state === 'paused' ? s : undefined;
      });
      expect(paused.pauseReason).toBe('around-continue-as-new');
      expect(await openPoolOrders(m.db, poolId)).toEqual([]);

      const executed = (await eventsOf(m.db, poolId)).pool.filter((e) => e.type === 'order_executed').length;
      expect(executed).toBe(trades.reduce((a, b) => a + b, 0));
      expect(executed).toBeGreaterThan(0);
      const saga = await waitFor('the saga to count every trade once across runs', async () => {
        const s = await m.client.spreadStatus(poolId);
        return s.runs >= 3 && s.counts.order_executed === executed ? s : undefined;
      });
      const poolEvents = (await eventsOf(m.db, poolId)).pool;
      const lastTrade = poolEvents.filter((e) => e.type === 'order_executed').pop()!;
      expect(saga.checkpoint).toBeGreaterThanOrEqual(lastTrade.streamVersion);
      expect(saga.checkpoint).toBeLessThanOrEqual(poolEvents.length);

      await m.client.resume(poolId);
      const resumed = await waitFor('quoting again in a later run', async () => {
        const s = await m.client.status(poolId);
        return s.state === 'quoting' && s.runs > paused.runs && s.mid !== null ? s : undefined;
      });
      expect(resumed.cycle).toBeGreaterThan(paused.cycle);
      // The P&L baseline is the reserves at the first start (50 ETH + 100,000 USDC), not at the latest run.
      const value = new Big(resumed.reserveBase!).times(resumed.mid!).plus(resumed.reserveQuote!);
      const hold = new Big('50').times(resumed.mid!).plus('100000');
      expect(resumed.pnl!.totalPnl).toBe(value.minus(hold).round(8, Big.roundHalfEven).toFixed());
      expect(new Big(resumed.pnl!.totalPnl).gt(0)).toBe(true);
      const started = (await eventsOf(m.db, poolId)).mm.filter((e) => e.type === 'market_maker_started');
      expect(started).toHaveLength(1);
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);
  });
});
