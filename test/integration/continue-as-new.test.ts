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

  it('carries the P&L baseline, a pause and the saga checkpoint across runs', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      // Tiny runs: the market maker continues as new after every session, the saga every 2 iterations.
      await m.client.startPool(poolId, {
        refreshIntervalMs: 150,
        maxSessionsPerRun: 1,
        catchUpIntervalMs: 150,
        maxIterationsPerRun: 2,
      });
      let executed = 0;
      for (let turn = 0; turn < 3; turn++) {
        const s = await waitFor('quoting', async () => {
          const st = await m.client.status(poolId);
          return st.sessionRunning && st.asks.length > 0 ? st : undefined;
        });
        const r = await m.client.submitOrder({
          poolId,
          clientOrderId: `t-${turn}`,
          side: 'buy',
          type: 'ioc',
          price: s.asks[0]!.price,
          quantity: '0.01',
        });
        executed += r.fills.length;
        // A pause ends the session and so the run; the next run starts paused and waits for the resume.
        await m.client.pause(poolId, `turn-${turn}`);
        const paused = await waitFor('paused', async () => {
          const st = await m.client.status(poolId);
          return st.state === 'paused' && st.runs > turn + 1 ? st : undefined;
        });
        expect(paused.pauseReason).toBe(`turn-${turn}`);
        expect(await openPoolOrders(m.db, poolId)).toEqual([]);
        if (turn === 0) {
          // A continued run that has not started a session yet (paused) holds its predecessor's
          // configuration: a bad patch is refused naming the field, a good one applies, instead of
          // both being refused as "not read its pool yet" until the resume.
          const raw = m.temporal.client.workflow.getHandle(`market-maker/${poolId}`);
          const refused = await raw
            .executeUpdate('updateConfig', { args: [{ risk: { maxLoss: '-1' } }] })
            .then(
              () => undefined,
              (e: unknown) => e as { cause?: { message?: string; type?: string } },
            );
          expect(refused?.cause?.message).toMatch(/risk\.maxLoss/);
          expect(refused?.cause?.type).not.toBe('NotReady');
          const updated = await m.client.updateConfig(poolId, { quoteTolerance: '3' });
          expect(updated.quoteTolerance).toBe('3');
        }
        await m.client.resume(poolId);
      }
      expect(executed).toBeGreaterThan(0);
      const saga = await waitFor('the saga to count every trade once across runs', async () => {
        const s = await m.client.spreadStatus(poolId);
        return s.runs >= 3 && s.counts.order_executed === executed ? s : undefined;
      });
      const poolEvents = (await eventsOf(m.db, poolId)).pool;
      const lastTrade = poolEvents.filter((e) => e.type === 'order_executed').pop()!;
      expect(saga.checkpoint).toBeGreaterThanOrEqual(lastTrade.streamVersion);
      expect(saga.checkpoint).toBeLessThanOrEqual(poolEvents.length);

      const resumed = await waitFor('quoting again in a later run', async () => {
        const s = await m.client.status(poolId);
        return s.sessionRunning && s.runs >= 4 && s.mid !== null && s.pnl !== null ? s : undefined;
      });
      expect(resumed.sessions).toBeGreaterThanOrEqual(4);
      // The P&L baseline is the reserves at the first start (50 ETH + 100,000 USDC), not at the latest run.
      const value = new Big(resumed.reserveBase!).times(resumed.mid!).plus(resumed.reserveQuote!);
      const hold = new Big('50').times(resumed.mid!).plus('100000');
      expect(resumed.pnl!.totalPnl).toBe(value.minus(hold).round(8, Big.roundHalfEven).toFixed());
      expect(new Big(resumed.pnl!.totalPnl).gt(0)).toBe(true);
      const { mm } = await eventsOf(m.db, poolId);
      expect(mm.filter((e) => e.type === 'market_maker_started')).toHaveLength(1);
      expect(mm.filter((e) => e.type === 'market_maker_paused')).toHaveLength(3);
      expect(mm.filter((e) => e.type === 'market_maker_resumed')).toHaveLength(3);
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);
  });
});
