import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { MarketMakingClient } from '../../client';
import { readStream, type StoredEvent } from '../../db/event-store';
import { orderBookStream, poolStream, marketMakerStream } from '../../domain/streams';
import { createMarketMakingWorker } from '../../worker/create-worker';
import { createDb, type Db } from '../../db/connection';
import type { TestDatabase } from './db';
import type { TemporalTestContext } from './temporal';

/*
 * Drives pools and workers for tests and for the history recorder (test/histories/record.ts), which
 * runs outside vitest: nothing here may import vitest. The per-file harness is in market.ts.
 */

/** Keeps a feed's latest tick fresh at a price the test controls. */
export function startTicker(db: Db, feed: string, initialPrice: string, everyMs = 200) {
  let price = initialPrice;
  let stopped = false;
  let t = Date.now() - 60_000;
  const write = async () => {
    t = Math.max(t + 1, Date.now());
    await db
      .insertInto('price_ticks')
      .values({ feed, price, observed_at: new Date(t) })
      .onConflict((oc) => oc.doNothing())
      .execute();
  };
  const loop = (async () => {
    while (!stopped) {
      await write();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    setPrice: async (p: string) => {
      price = p;
      await write();
    },
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Seeds a calm price history so volatility starts near zero. */
export async function seedTicks(db: Db, feed: string, prices: string[], intervalMs = 1000) {
  const start = Date.now() - prices.length * intervalMs - 1000;
  await db
    .insertInto('price_ticks')
    .values(prices.map((price, i) => ({ feed, price, observed_at: new Date(start + i * intervalMs) })))
    .execute();
}

export async function createFundedPool(
  client: MarketMakingClient,
  opts: {
    poolId?: string;
    base?: string;
    quote?: string;
    config?: Record<string, unknown>;
    feed?: string;
  } = {},
) {
  const poolId = opts.poolId ?? `eth-usdc-${randomBytes(3).toString('hex')}`;
  const feed = opts.feed ?? `feed-${poolId}`;
  await client.createPool({
    poolId,
    baseAsset: 'ETH',
    quoteAsset: 'USDC',
    tickSize: '0.01',
    lotSize: '0.001',
    minSize: '0.01',
    priceFeed: feed,
    config: opts.config ?? {},
  });
  await client.addLiquidity({
    poolId,
    base: opts.base ?? '50',
    quote: opts.quote ?? '100000',
    requestId: 'seed',
  });
  return { poolId, feed };
}

export interface MarketHarness {
  client: MarketMakingClient;
  worker: Worker;
  running: Promise<void>;
  shutdown(): Promise<void>;
}

export interface MarketWorkerOptions {
  /** Given to the worker and to the harness's client (temporal.client stays without it). */
  dataConverter?: DataConverter;
}

export async function startMarketWorker(
  t: TestDatabase,
  temporal: TemporalTestContext,
  opts: MarketWorkerOptions = {},
): Promise<MarketHarness> {
  // Each side logs in as its own least-privilege role, as in production: the worker as lpmm_worker,
  // the client as the default trader principal.
  const workerDb = createDb(t.urls.worker, { maxConnections: 20, applicationName: 'test-worker' });
  const { worker, notifications } = await createMarketMakingWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    db: workerDb,
    dataConverter: opts.dataConverter,
  });
  const running = worker.run();
  const temporalClient = opts.dataConverter
    ? new Client({
        connection: temporal.connection,
        namespace: temporal.namespace,
        dataConverter: opts.dataConverter,
      })
    : temporal.client;
  const client = new MarketMakingClient({
    client: temporalClient,
    taskQueue: temporal.taskQueue,
    // The trader's connection belongs to the test database: it outlives a worker restart.
    db: t.traderDb(),
  });
  return {
    client,
    worker,
    running,
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await notifications.close();
      await workerDb.destroy();
    },
  };
}

export async function eventsOf(
  db: Db,
  poolId: string,
): Promise<{ pool: StoredEvent[]; book: StoredEvent[]; mm: StoredEvent[] }> {
  const [pool, book, mm] = await Promise.all([
    readStream(db, poolStream(poolId), 0, 100_000),
    readStream(db, orderBookStream(poolId), 0, 100_000),
    readStream(db, marketMakerStream(poolId), 0, 100_000),
  ]);
  return { pool, book, mm };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function openPoolOrders(db: Db, poolId: string) {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('owner', '=', `pool:${poolId}`)
    .where('status', '=', 'open')
    .execute();
}
