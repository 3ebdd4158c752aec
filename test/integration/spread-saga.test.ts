import { describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { updateConfigUpdate } from '../../workflows/definitions';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  useMarketHarness,
  startTicker,
  waitFor,
} from '../helpers/market';

/** Alternating prices whose per-second log returns have a standard deviation of about `perSecond`. */
function choppyPrices(n: number, mid: number, perSecond: number): string[] {
  return Array.from({ length: n }, (_, i) => (mid * (i % 2 ? 1 + perSecond : 1)).toFixed(2));
}

describe('SpreadManagementSaga reacts to pool events with the policy of the original design', () => {
  const m = useMarketHarness('saga');

  const spreadEvents = async (poolId: string) =>
    (await eventsOf(m.db, poolId)).pool.filter((e) => e.type === 'spread_adjusted');

  it('liquidity removed below the 50,000 TVL tier widens the spread x1.2, recording the true old value', async () => {
    const { poolId, feed } = await createFundedPool(m.client, { base: '50', quote: '100000' });
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 60_000 });
      await waitFor('quotes', async () => (await m.client.status(poolId)).state === 'quoting');
      expect(await m.client.poolSpread(poolId)).toBe('30');
      // TVL 200,000 -> 40,000 (below the 50,000 tier, above 10,000).
      const position = await m.db
        .selectFrom('liquidity_positions')
        .select('shares')
        .where('pool_id', '=', poolId)
        .executeTakeFirstOrThrow();
      const shares = (Number(position.shares) * 0.8).toFixed(6);
      await m.client.removeLiquidity({ poolId, shares, requestId: 'withdraw-80' });
      const [adjusted] = await waitFor('spread_adjusted', async () => {
        const s = await spreadEvents(poolId);
        return s.length ? s : undefined;
      });
      expect(adjusted!.payload).toMatchObject({
        oldSpreadBps: '30',
        newSpreadBps: '36',
        reasons: ['tvl_medium'],
      });
      expect(await m.client.poolSpread(poolId)).toBe('36');
      await waitFor(
        'the market maker to quote the wider spread',
        async () => (await m.client.status(poolId)).spreadBps === '36',
      );
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);
  });

  it('volatility above 5% doubles the spread and records the regime change', async () => {
    const { poolId, feed } = await createFundedPool(m.client, {
      config: { volatility: { method: 'rolling', window: 40 } },
    });
    // Per-second returns of ~0.1% are ~6% per hour: the "high" regime (above 5%, below 10%).
    await seedTicks(m.db, feed, choppyPrices(41, 2000, 0.0011), 1000);
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 500 });
      const [adjusted] = await waitFor('spread_adjusted', async () => {
        const s = await spreadEvents(poolId);
        return s.length ? s : undefined;
      });
      expect(adjusted!.payload).toMatchObject({
        oldSpreadBps: '30',
        newSpreadBps: '60',
        reasons: ['volatility_high'],
      });
      const changed = (await eventsOf(m.db, poolId)).pool.find((e) => e.type === 'market_volatility_changed');
      expect(changed?.payload).toMatchObject({ oldRegime: 'normal', newRegime: 'high' });
      const saga = await m.client.spreadStatus(poolId);
      expect(saga.lastMetrics?.volatility).toBeGreaterThan(0.05);
      expect(saga.lastMetrics?.volatility).toBeLessThan(0.1);
    } finally {
      await m.client.stopPool(poolId, 'test done');
    }
  });

  it('a critical imbalance triggers an inventory adjustment that moves the share back toward 0.5', async () => {
    // 90 ETH at 2000 against 10,000 USDC: a base value share of 0.947, imbalance 0.447 > 0.4.
    const { poolId, feed } = await createFundedPool(m.client, { base: '90', quote: '10000' });
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 500 });
      const adjusted = await waitFor('inventory_adjusted', async () =>
        (await eventsOf(m.db, poolId)).pool.find((e) => e.type === 'inventory_adjusted'),
      );
      const detected = (await eventsOf(m.db, poolId)).pool.find(
        (e) => e.type === 'inventory_imbalance_detected',
      );
      expect(detected?.payload).toMatchObject({ severity: 'critical', recommendedAction: 'rebalance' });
      expect(adjusted.payload.side).toBe('sell');
      const before = Number(adjusted.payload.inventoryShareBefore);
      const after = Number(adjusted.payload.inventoryShareAfter);
      expect(before).toBeGreaterThan(0.9);
      expect(Math.abs(after - 0.5)).toBeLessThan(0.01);
      const spread = (await spreadEvents(poolId))[0];
      expect(spread?.payload.reasons).toContain('inventory_imbalance_critical');
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
  });

  it('a maximum-loss breach stops the market maker: every order cancelled, the breach and the stop recorded', async () => {
    const { poolId, feed } = await createFundedPool(m.client, { config: { risk: { maxLoss: '50' } } });
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 600_000, catchUpIntervalMs: 600_000 });
      const quoting = await waitFor('quotes', async () => {
        const s = await m.client.status(poolId);
        return s.state === 'quoting' && s.asks.length ? s : undefined;
      });
      // A taker lifts the pool's asks near 2000, then the market jumps to 2100: the pool sold
      // below the new price, a mark-to-market loss beyond maxLoss.
      await m.client.submitOrder({
        poolId,
        clientOrderId: 'snipe-1',
        side: 'buy',
        type: 'ioc',
        price: '2010',
        quantity: quoting.asks[0]!.size,
      });
      await ticker.setPrice('2100');
      const final = await waitFor('the market maker to stop', async () => {
        const d = await m.client.marketMaker(poolId).describe();
        return d.status.name === 'COMPLETED'
          ? ((await m.client.marketMaker(poolId).result()) as { stopReason: string })
          : undefined;
      });
      expect(final.stopReason).toMatch(/maxLoss/);
      expect(await openPoolOrders(m.db, poolId)).toEqual([]);
      const { mm } = await eventsOf(m.db, poolId);
      const breach = mm.find((e) => e.type === 'risk_limit_breached');
      expect(breach?.payload).toMatchObject({ action: 'stop' });
      expect(mm[mm.length - 1]!.type).toBe('market_maker_stopped');
      expect(BigInt(mm[mm.length - 1]!.globalPosition)).toBeGreaterThan(BigInt(breach!.globalPosition));

      // Started again, it measures P&L from its own start: the old loss does not stop it at once.
      await m.client.startPool(poolId, { refreshIntervalMs: 300, catchUpIntervalMs: 600_000 });
      const again = await waitFor('the first risk check after the restart', async () => {
        const s = await m.client.status(poolId);
        return s.lastRisk ? s : undefined;
      });
      // (The 5% jump still trips the volatility limit: a pause for the cool-down, not a stop.)
      expect(again.lastRisk!.reasons.map((r) => r.limit)).not.toContain('maxLoss');
      expect(again.state).not.toBe('stopped');
      expect(again.pnl!.totalPnl).toBe('0');
    } finally {
      await m.client.stopPool(poolId, 'cleanup').catch(() => {});
      await ticker.stop();
    }
  });

  it('an update with a bad value is refused by its validator with a clear message; the workflow keeps running', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 300, catchUpIntervalMs: 60_000 });
      const before = await waitFor('quotes', async () => {
        const s = await m.client.status(poolId);
        return s.state === 'quoting' ? s : undefined;
      });
      // Straight to the workflow, past the client's own check, to exercise the validator.
      const refused = await m.client
        .marketMaker(poolId)
        .executeUpdate(updateConfigUpdate, { args: [{ spreadPolicy: { minSpreadBps: '600' } }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/minSpreadBps/);
      await expect(m.client.updateConfig(poolId, { refreshIntervalMs: 'fast' })).rejects.toThrow(
        /refreshIntervalMs/,
      );
      await waitFor(
        'the cycle to advance',
        async () => (await m.client.status(poolId)).cycle > before.cycle + 2,
      );
      const accepted = await m.client.updateConfig(poolId, { ladder: { levels: 2 } });
      expect(accepted.ladder.levels).toBe(2);
      await waitFor('two levels a side', async () => {
        const s = await m.client.status(poolId);
        return s.bids.length === 2 && s.asks.length === 2;
      });
      expect((await eventsOf(m.db, poolId)).pool.some((e) => e.type === 'pool_config_updated')).toBe(true);
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
  });
});
