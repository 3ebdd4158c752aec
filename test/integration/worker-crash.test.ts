import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketMakingClient } from '../../client';
import { readStream } from '../../db/event-store';
import { submitOrder } from '../../db/order-book';
import { poolStream } from '../../domain/streams';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { createFundedPool, openPoolOrders, seedTicks, startTicker, waitFor } from '../helpers/market';
import { killAll, spawnWorker, whileRunning, type WorkerProcess } from '../helpers/processes';
import { connectTemporal, type TemporalTestContext } from '../helpers/temporal';

/*
 * The dual write of design section 4: a trade commits in Postgres, then a hint signal goes to the
 * saga. Here the worker process is SIGKILLed and a trade is committed with no signal at all (the
 * process "died between commit and signal"), and a second trade's hint arrives while no worker runs.
 * After a new worker process takes over, the saga must have counted every order_executed event of
 * the pool's stream exactly once, and keep it so.
 */
const step = (what: string) => process.stderr.write(`[worker-crash] ${new Date().toISOString()} ${what}\n`);

describe('exactly once across a worker crash (worker as a child process)', () => {
  let t: TestDatabase;
  let temporal: TemporalTestContext;
  let client: MarketMakingClient;
  const workers: WorkerProcess[] = [];
  const startWorker = () => {
    const w = spawnWorker({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TASK_QUEUE: temporal.taskQueue,
      DATABASE_URL: t.urls.worker,
      LOG_LEVEL: 'warn',
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    temporal = await connectTemporal('crash');
    client = new MarketMakingClient({
      client: temporal.client,
      taskQueue: temporal.taskQueue,
      db: t.traderDb(),
    });
  });
  afterAll(async () => {
    await killAll(workers);
    await temporal?.close();
    await t?.drop();
  });

  /** Per event type: how many events of the pool stream the saga has read (versions up to its checkpoint). */
  const streamCounts = async (poolId: string, upTo: number) => {
    const events = await readStream(t.db, poolStream(poolId), 0, 100_000);
    const counts: Record<string, number> = {};
    for (const e of events) if (e.streamVersion <= upTo) counts[e.type] = (counts[e.type] ?? 0) + 1;
    return { counts, executed: events.filter((e) => e.type === 'order_executed').length };
  };

  it('counts each order_executed event once when the worker dies between commit and signal', async () => {
    const { poolId, feed } = await createFundedPool(client);
    await seedTicks(t.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(t.db, feed, '2000');
    let first = startWorker();
    let stopped = false;
    try {
      await client.startPool(poolId, { refreshIntervalMs: 600_000, catchUpIntervalMs: 3000 });
      const quoting = await whileRunning(
        [first],
        waitFor(
          'first quotes from the worker process',
          async () => {
            const s = await client.status(poolId);
            return s.state === 'quoting' && s.asks.length > 0 && s.bids.length > 0 ? s : undefined;
          },
          120_000,
          250,
        ),
      );
      expect(quoting.restingOrders).toBeGreaterThan(0);
      // The saga has caught up with the pool's setup events before the crash.
      await waitFor(
        'the saga to run once',
        async () => (await client.spreadStatus(poolId)).iteration > 0,
        60_000,
        250,
      );

      step('quoting; killing the worker');
      await first.kill();
      expect(first.child.signalCode).toBe('SIGKILL');

      // Trade 1: committed straight to Postgres, no signal (the crash between commit and signal).
      const book = await openPoolOrders(t.db, poolId);
      const asks = book.filter((o) => o.side === 'sell').sort((a, b) => Number(a.price) - Number(b.price));
      const bids = book.filter((o) => o.side === 'buy').sort((a, b) => Number(b.price) - Number(a.price));
      expect(asks.length).toBeGreaterThan(0);
      expect(bids.length).toBeGreaterThan(0);
      const lift = await submitOrder(t.db, {
        poolId,
        owner: 'taker-crash',
        clientOrderId: 'lift-unsignalled',
        side: 'buy',
        type: 'ioc',
        price: asks[0]!.price,
        quantity: '0.01',
      });
      expect(lift.fills.length).toBeGreaterThan(0);
      expect(lift.fills.every((f) => f.makerIsPool)).toBe(true);

      // Trade 2: through the client, whose hint signal reaches a saga no worker is running.
      const hit = await client.submitOrder({
        poolId,
        clientOrderId: 'hit-hinted',
        side: 'sell',
        type: 'ioc',
        price: bids[0]!.price,
        quantity: '0.01',
      });
      expect(hit.fills.length).toBeGreaterThan(0);

      const executedBeforeRestart = (await streamCounts(poolId, Number.MAX_SAFE_INTEGER)).executed;
      expect(executedBeforeRestart).toBe(lift.fills.length + hit.fills.length);

      first = startWorker();
      step('second worker started');
      const caughtUp = await whileRunning(
        [first],
        waitFor(
          'the new worker process to count both trades',
          async () => {
            const s = await client.spreadStatus(poolId);
            return (s.counts.order_executed ?? 0) >= executedBeforeRestart ? s : undefined;
          },
          120_000,
          250,
        ),
      );
      const { counts, executed } = await streamCounts(poolId, caughtUp.checkpoint);
      expect(caughtUp.counts.order_executed).toBe(executed);
      // Every event type up to the checkpoint, not only trades: nothing lost, nothing twice.
      expect(caughtUp.counts).toEqual(counts);

      step('caught up');
      // Further catch-ups (3 s each) read nothing twice.
      const iterationAfter = caughtUp.iteration;
      await waitFor(
        'three more catch-ups',
        async () => (await client.spreadStatus(poolId)).iteration >= iterationAfter + 3,
        90_000,
        500,
      );
      const later = await client.spreadStatus(poolId);
      const again = await streamCounts(poolId, later.checkpoint);
      expect(later.counts.order_executed).toBe(again.executed);
      expect(later.counts).toEqual(again.counts);
      expect(later.counts.order_executed).toBe(executedBeforeRestart);
      expect(later.lastError).toBeNull();

      const final = await client.stopPool(poolId, 'test done');
      stopped = true;
      expect(final?.state).toBe('stopped');
    } finally {
      if (!stopped) await client.stopPool(poolId, 'test cleanup', { wait: false }).catch(() => undefined);
      await ticker.stop();
    }
    expect(await openPoolOrders(t.db, poolId)).toEqual([]);
  }, 300_000);
});
