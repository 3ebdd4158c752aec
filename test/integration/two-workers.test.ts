import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketMakingClient, type MarketMakerStatus } from '../../client';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { createFundedPool, openPoolOrders, seedTicks, startTicker, waitFor } from '../helpers/market';
import { killAll, spawnWorker, whileRunning, type WorkerProcess } from '../helpers/processes';
import { connectTemporal, type TemporalTestContext } from '../helpers/temporal';

/** The identity of the worker that completed the pool's latest workflow task. */
async function lastWorkerOf(client: MarketMakingClient, poolId: string): Promise<string | undefined> {
  const history = await client.marketMaker(poolId).fetchHistory();
  const completed = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes);
  return completed[completed.length - 1]?.workflowTaskCompletedEventAttributes?.identity ?? undefined;
}

/*
 * Two worker processes share one task queue; one is SIGKILLed. Every pool it was running must carry
 * on with the survivor (after the sticky queue's schedule-to-start timeout moves its tasks).
 */
describe('two worker processes on one task queue, one killed', () => {
  let t: TestDatabase;
  let temporal: TemporalTestContext;
  let client: MarketMakingClient;
  const workers: Record<string, WorkerProcess> = {};

  beforeAll(async () => {
    t = await createTestDatabase();
    temporal = await connectTemporal('two');
    client = new MarketMakingClient({ client: temporal.client, taskQueue: temporal.taskQueue, db: t.db });
    for (const name of ['worker-a', 'worker-b']) {
      workers[name] = spawnWorker({
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        TASK_QUEUE: temporal.taskQueue,
        DATABASE_URL: t.url,
        LOG_LEVEL: 'warn',
        WORKER_IDENTITY: name,
      });
    }
  });
  afterAll(async () => {
    await killAll(Object.values(workers));
    await temporal?.close();
    await t?.drop();
  });

  it('every pool keeps quoting after one worker is killed', async () => {
    const pools: string[] = [];
    const tickers: Array<{ stop(): Promise<void> }> = [];
    let stopped = false;
    try {
      for (let i = 0; i < 3; i++) {
        const { poolId, feed } = await createFundedPool(client);
        await seedTicks(t.db, feed, Array(30).fill('2000'));
        tickers.push(startTicker(t.db, feed, '2000'));
        pools.push(poolId);
      }
      await Promise.all(pools.map((p) => client.startPool(p, { refreshIntervalMs: 500 })));
      const quoting = async (poolId: string, minCycle: number) => {
        const s = await client.status(poolId);
        return s.state === 'quoting' && s.cycle > minCycle && s.lastError === null ? s : undefined;
      };
      await whileRunning(
        Object.values(workers),
        Promise.all(
          pools.map((p) => waitFor(`${p} quoting on two workers`, () => quoting(p, 2), 120_000, 250)),
        ),
      );

      // Kill the worker that ran pool 0 most recently, so at least one pool loses its (sticky) worker.
      const victimName = await waitFor(
        'the worker running the first pool',
        () => lastWorkerOf(client, pools[0]!),
        30_000,
      );
      expect(Object.keys(workers)).toContain(victimName);
      const survivorName = victimName === 'worker-a' ? 'worker-b' : 'worker-a';
      await workers[victimName]!.kill();

      const atKill: MarketMakerStatus[] = await Promise.all(
        // A query needs a worker: the survivor answers once the dead worker's sticky queue times out.
        pools.map((p) => waitFor(`${p} status after the kill`, () => client.status(p), 90_000, 250)),
      );
      const after = await whileRunning(
        [workers[survivorName]!],
        Promise.all(
          pools.map((p, i) =>
            waitFor(
              `${p} cycling again after the kill`,
              () => quoting(p, atKill[i]!.cycle + 3),
              120_000,
              250,
            ),
          ),
        ),
      );
      for (const [i, s] of after.entries()) expect(s.cycle).toBeGreaterThan(atKill[i]!.cycle);
      // Every pool is now run by the survivor.
      for (const p of pools) expect(await lastWorkerOf(client, p)).toBe(survivorName);

      const finals = await Promise.all(pools.map((p) => client.stopPool(p, 'test done')));
      stopped = true;
      for (const f of finals) expect(f?.state).toBe('stopped');
    } finally {
      if (!stopped)
        await Promise.all(
          pools.map((p) => client.stopPool(p, 'test cleanup', { wait: false }).catch(() => undefined)),
        );
      await Promise.all(tickers.map((tk) => tk.stop()));
    }
    for (const p of pools) expect(await openPoolOrders(t.db, p)).toEqual([]);
  }, 400_000);
});
