import Big from 'big.js';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { claimSessionAttempt, FencedError, haltQuoting, takeGeneration } from '../../db/fence';
import { cancelAllOrders, reconcileOrders, renewQuotes } from '../../db/order-book';
import { poolOwner } from '../../domain/streams';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';

/*
 * The quoting session under its supervisor (DESIGN section 4), against the real dev server and
 * Postgres: the fence, quote expiry, wake-ups through Postgres, quiet cycles, and control.
 */

async function historyLength(m: ReturnType<typeof useMarketHarness>, workflowId: string): Promise<number> {
  const h = await m.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return h.events?.length ?? 0;
}

async function quotingPool(
  m: ReturnType<typeof useMarketHarness>,
  config: Record<string, unknown> = {},
  start = {},
) {
  const { poolId, feed } = await createFundedPool(m.client, { config });
  await seedTicks(m.db, feed, Array(30).fill('2000'));
  const ticker = startTicker(m.db, feed, '2000', 500);
  await m.client.startPool(poolId, { catchUpIntervalMs: 600_000, ...start });
  const first = await waitFor('first quotes', async () => {
    const s = await m.client.status(poolId);
    return s.state === 'quoting' && s.asks.length > 0 && (await openPoolOrders(m.db, poolId)).length > 0
      ? s
      : undefined;
  });
  return { poolId, feed, ticker, first };
}

describe('quoting session', () => {
  const m = useMarketHarness('session');

  it('a session holding an old generation or attempt can never write', async () => {
    const { poolId } = await createFundedPool(m.client);
    const owner = poolOwner(poolId);
    const g1 = await takeGeneration(m.db, poolId);
    expect(await claimSessionAttempt(m.db, poolId, { generation: g1, attempt: 1 })).toBe(true);
    const level = { side: 'buy' as const, price: '1990', size: '0.5' };
    const write = (generation: string, attempt: number, key: string) =>
      reconcileOrders(m.db, {
        poolId,
        owner,
        cycleKey: key,
        desired: [level],
        toleranceBps: '2',
        fence: { generation, attempt },
        ttlMs: 60_000,
      });
    expect((await write(g1, 1, 'k1')).placed).toBe(1);
    // A retry claims attempt 2: attempt 1 (a zombie) is fenced off, and cannot claim back.
    expect(await claimSessionAttempt(m.db, poolId, { generation: g1, attempt: 2 })).toBe(true);
    expect(await claimSessionAttempt(m.db, poolId, { generation: g1, attempt: 1 })).toBe(false);
    await expect(write(g1, 1, 'k2')).rejects.toBeInstanceOf(FencedError);
    expect(
      await renewQuotes(m.db, { poolId, owner, fence: { generation: g1, attempt: 1 }, ttlMs: 60_000 }),
    ).toBeNull();
    await expect(
      cancelAllOrders(m.db, { poolId, owner, reason: 'zombie', fence: { generation: g1, attempt: 1 } }),
    ).rejects.toBeInstanceOf(FencedError);
    // A newer session (new generation) fences off the whole older one.
    const g2 = await takeGeneration(m.db, poolId);
    await expect(write(g1, 2, 'k3')).rejects.toBeInstanceOf(FencedError);
    expect(await claimSessionAttempt(m.db, poolId, { generation: g1, attempt: 3 })).toBe(false);
    expect(await claimSessionAttempt(m.db, poolId, { generation: g2, attempt: 1 })).toBe(true);
    // A stop bumps the generation while cancelling: nothing the stopped session does writes after it.
    const halted = await haltQuoting(m.db, { poolId, reason: 'market_maker_stopped' });
    expect(halted.cancelled).toBe(1);
    await expect(write(g2, 1, 'k4')).rejects.toBeInstanceOf(FencedError);
    expect(await claimSessionAttempt(m.db, poolId, { generation: g2, attempt: 2 })).toBe(false);
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);
  });

  it('a trade wakes the session through Postgres: requoted with no workflow task in between', async () => {
    // A refresh interval far longer than the test: only the trade's notification can cause the requote.
    const { poolId, ticker, first } = await quotingPool(m, {}, { refreshIntervalMs: 600_000 });
    try {
      const mmId = `market-maker/${poolId}`;
      const sagaId = `spread-saga/${poolId}`;
      const before = [await historyLength(m, mmId), await historyLength(m, sagaId)];
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
      const requote = await waitFor(
        'quotes updated after the trade',
        async () =>
          (await eventsOf(m.db, poolId)).mm.find(
            (e) => e.type === 'quotes_updated' && BigInt(e.globalPosition) > BigInt(executed.globalPosition),
          ),
        5000,
      );
      expect(requote.payload.placed).toBeGreaterThan(0);
      expect([await historyLength(m, mmId), await historyLength(m, sagaId)]).toEqual(before);
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);
  });

  it('a quiet market writes no quotes_updated (quote lives are renewed without events)', async () => {
    const { poolId, ticker } = await quotingPool(
      m,
      { quoting: { quoteTtlMs: 1500 } },
      { refreshIntervalMs: 200 },
    );
    try {
      const count = async () =>
        (await eventsOf(m.db, poolId)).mm.filter((e) => e.type === 'quotes_updated').length;
      const orders = async () => (await openPoolOrders(m.db, poolId)).map((o) => o.id).sort();
      const startCount = await count();
      const startOrders = await orders();
      const startCycle = (await m.client.status(poolId)).cycle;
      // Several quote lifetimes pass: the same orders must still be alive, renewed, not replaced.
      await new Promise((r) => setTimeout(r, 4500));
      const s = await m.client.status(poolId);
      expect(s.cycle).toBeGreaterThan(startCycle + 5);
      expect(await count()).toBe(startCount);
      expect(await orders()).toEqual(startOrders);
      const live = await m.db
        .selectFrom('orders')
        .select('expires_at')
        .where('id', 'in', startOrders)
        .execute();
      for (const o of live) expect(o.expires_at!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
  });

  it('a config update reaches the running session through the database', async () => {
    const { poolId, ticker, first } = await quotingPool(m, {}, { refreshIntervalMs: 600_000 });
    try {
      expect(first.bids).toHaveLength(3);
      const sessions = (await m.client.status(poolId)).sessions;
      await m.client.updateConfig(poolId, { ladder: { levels: 2 } });
      await waitFor('two levels a side', async () => (await openPoolOrders(m.db, poolId)).length === 4, 5000);
      // The same session applied it: no restart.
      expect((await m.client.status(poolId)).sessions).toBe(sessions);
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
  });

  it('a resume acknowledged while the pause is still cancelling is not lost', async () => {
    const { poolId, ticker, first } = await quotingPool(m, {}, { refreshIntervalMs: 300 });
    const locker = new pg.Client({ connectionString: m.dbUrl });
    await locker.connect();
    try {
      // Hold the pool's row lock: the pause's cancel-all blocks behind it.
      await locker.query('begin');
      await locker.query('select 1 from pools where id = $1 for update', [poolId]);
      await m.client.pause(poolId, 'maintenance');
      await new Promise((r) => setTimeout(r, 500));
      await m.client.resume(poolId);
      await new Promise((r) => setTimeout(r, 500));
      await locker.query('commit');
      const back = await waitFor(
        'quoting again after pause and resume',
        async () => {
          const s = await m.client.status(poolId);
          // A new session (the pause ended the first one), quoting with orders resting.
          return s.state === 'quoting' &&
            s.sessions > first.sessions &&
            s.sessionRunning &&
            (await openPoolOrders(m.db, poolId)).length > 0
            ? s
            : undefined;
        },
        15_000,
      );
      expect(back.pauseReason).toBeNull();
      const types = (await eventsOf(m.db, poolId)).mm.map((e) => e.type);
      expect(types.lastIndexOf('market_maker_resumed')).toBeGreaterThan(
        types.lastIndexOf('market_maker_paused'),
      );
    } finally {
      await locker.end();
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
  });

  it('stop on a terminated workflow cancels every resting order through the database', async () => {
    const { poolId, ticker } = await quotingPool(m);
    try {
      await m.client.marketMaker(poolId).terminate('operator pulled the plug');
      expect((await openPoolOrders(m.db, poolId)).length).toBeGreaterThan(0);
      await m.client.stopPool(poolId, 'clean up');
      expect(await openPoolOrders(m.db, poolId)).toEqual([]);
      const stopped = (await eventsOf(m.db, poolId)).mm.filter((e) => e.type === 'market_maker_stopped');
      expect(stopped).toHaveLength(1);
      expect(stopped[0]!.payload.cancelledOrders).toBeGreaterThan(0);
      // The terminated run's session is fenced off for good: nothing quotes again.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await openPoolOrders(m.db, poolId)).toEqual([]);
    } finally {
      await ticker.stop();
    }
  });
});

describe('quotes expire with no worker alive', () => {
  const m = useMarketHarness('expiry');

  it('a taker cannot fill a quote older than its expiry once the only worker is gone', async () => {
    const { poolId, ticker, first } = await quotingPool(
      m,
      { quoting: { quoteTtlMs: 1000 } },
      { refreshIntervalMs: 200 },
    );
    try {
      // The only worker goes away (its shutdown does not cancel the quotes: a crash would not either).
      await m.shutdownWorker();
      const resting = await openPoolOrders(m.db, poolId);
      expect(resting.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1500));
      const bestAsk = first.asks[0]!;
      const r = await m.client.submitOrder({
        poolId,
        clientOrderId: 'late-1',
        side: 'buy',
        type: 'ioc',
        price: new Big(bestAsk.price).times(1.05).round(2).toFixed(),
        quantity: bestAsk.size,
      });
      expect(r.fills).toEqual([]);
      const reserves = await m.db
        .selectFrom('pools')
        .select(['reserve_base'])
        .where('id', '=', poolId)
        .executeTakeFirstOrThrow();
      expect(reserves.reserve_base).toBe('50');
    } finally {
      await m.restartWorker();
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);
  });
});
