import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketMakingClient } from '../../client';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { createFundedPool, openPoolOrders, seedTicks, startTicker, waitFor } from '../helpers/market';
import { killAll, spawnWorker, whileRunning, type WorkerProcess } from '../helpers/processes';
import { connectTemporal, type TemporalTestContext } from '../helpers/temporal';

/*
 * Scale-out: two worker processes on one task queue split the pools' quoting sessions between them;
 * one is SIGKILLed and every pool it ran resumes on the survivor within the heartbeat timeout plus a
 * cycle, under a new attempt that fences off the dead one.
 */
const POOLS = 20;
const HEARTBEAT_TIMEOUT_MS = 3000;

describe('two worker processes on one task queue, one killed', () => {
  let t: TestDatabase;
  let temporal: TemporalTestContext;
  let client: MarketMakingClient;
  const workers: Record<string, WorkerProcess> = {};

  beforeAll(async () => {
    t = await createTestDatabase();
    temporal = await connectTemporal('two');
    client = new MarketMakingClient({
      client: temporal.client,
      taskQueue: temporal.taskQueue,
      db: t.traderDb(),
    });
    for (const name of ['worker-a', 'worker-b']) {
      workers[name] = spawnWorker({
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        TASK_QUEUE: temporal.taskQueue,
        DATABASE_URL: t.urls.worker,
        LOG_LEVEL: 'warn',
        WORKER_IDENTITY: name,
        // worker-a may not take every session, so the pools are split; worker-b can hold them all.
        MAX_CONCURRENT_ACTIVITIES: name === 'worker-a' ? '10' : '100',
      });
    }
  });
  afterAll(async () => {
    await killAll(Object.values(workers));
    await temporal?.close();
    await t?.drop();
  });

  /** Which worker runs the pool's quoting session, and which attempt it is. */
  const sessionOf = async (poolId: string) => {
    const d = await client.marketMaker(poolId).describe();
    const a = d.raw.pendingActivities?.find((x) => x.activityType?.name === 'runQuotingSession');
    // 2 = PENDING_ACTIVITY_STATE_STARTED: a worker holds it.
    return a?.state === 2 ? { worker: a?.lastWorkerIdentity ?? '', attempt: a?.attempt ?? 0 } : undefined;
  };

  it('twenty pools split over two workers; one worker killed moves its pools to the other', async () => {
    const pools: string[] = [];
    const feed = `feed-two-${Date.now()}`;
    await seedTicks(t.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(t.db, feed, '2000', 500);
    let stopped = false;
    try {
      for (let i = 0; i < POOLS; i++) pools.push((await createFundedPool(client, { feed })).poolId);
      await Promise.all(
        pools.map((p) =>
          client.startPool(p, { refreshIntervalMs: 1000, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS }),
        ),
      );
      const placement = await whileRunning(
        Object.values(workers),
        Promise.all(
          pools.map((p) =>
            waitFor(
              `${p} quoting`,
              async () => {
                const s = await client.status(p);
                const where = await sessionOf(p);
                return s.state === 'quoting' && s.cycle > 1 && s.lastError === null && where?.worker
                  ? where
                  : undefined;
              },
              120_000,
              250,
            ),
          ),
        ),
      );
      const byWorker = (name: string) => pools.filter((_, i) => placement[i]!.worker === name);
      expect(byWorker('worker-a').length + byWorker('worker-b').length).toBe(POOLS);
      expect(byWorker('worker-a').length).toBeGreaterThan(0);
      expect(byWorker('worker-b').length).toBeGreaterThan(0);

      const victim = 'worker-a';
      const survivor = 'worker-b';
      const moved = byWorker(victim);
      const killedAt = Date.now();
      await workers[victim]!.kill();

      const recovered = await whileRunning(
        [workers[survivor]!],
        Promise.all(
          moved.map((p) =>
            waitFor(
              `${p} running on ${survivor}`,
              async () => {
                const where = await sessionOf(p);
                const s = await client.status(p);
                return where?.worker === survivor && s.sessionRunning && (s.lastCycleAtMs ?? 0) > killedAt
                  ? { where, at: Date.now() }
                  : undefined;
              },
              60_000,
              200,
            ),
          ),
        ),
      );
      // Within the heartbeat timeout plus a cycle (and the status poll): measured, not asserted tightly.
      const slowest = Math.max(...recovered.map((r) => r.at - killedAt));
      process.stderr.write(`[two-workers] ${moved.length} pools moved; slowest back after ${slowest} ms\n`);
      for (const r of recovered) expect(r.where.attempt).toBeGreaterThan(1);
      // The survivor's pools were never interrupted.
      for (const p of byWorker(survivor)) expect((await sessionOf(p))?.worker).toBe(survivor);
      // No client order id was ever used twice (the fence keys orders by generation and attempt).
      const dupes = await t.db
        .selectFrom('orders')
        .select(['client_order_id'])
        .groupBy('client_order_id')
        .having((eb) => eb.fn.countAll(), '>', 1)
        .execute();
      expect(dupes).toEqual([]);

      const finals = await Promise.all(pools.map((p) => client.stopPool(p, 'test done')));
      stopped = true;
      for (const f of finals) expect(f?.state).toBe('stopped');
    } finally {
      if (!stopped)
        await Promise.all(
          pools.map((p) => client.stopPool(p, 'test cleanup', { wait: false }).catch(() => undefined)),
        );
      await ticker.stop();
    }
    for (const p of pools) expect(await openPoolOrders(t.db, p)).toEqual([]);
  }, 400_000);
});
