import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { MarketMakingClient } from '../client';
import { createDb, type Db } from '../db/connection';
import type { Database } from '../db/types';
import { createMarketMakingWorker } from '../worker/create-worker';
import { productionTuning, runWorker, type BenchInfra } from './stack';
import { wallMs } from './stats';

/*
 * Pools, price feeds and the market-making worker as the benchmark sections use them.
 */

export const MID = '2000';

/** A funded ETH/USDC pool at a 50/50 value split around MID with a TVL far above the widening tiers. */
export async function createBenchPool(
  client: MarketMakingClient,
  poolId: string,
  config: Record<string, unknown> = {},
) {
  const feed = `feed-${poolId}`;
  await client.createPool({
    poolId,
    baseAsset: 'ETH',
    quoteAsset: 'USDC',
    tickSize: '0.01',
    lotSize: '0.001',
    minSize: '0.01',
    priceFeed: feed,
    config,
  });
  await client.addLiquidity({
    poolId,
    base: '500',
    quote: '1000000',
    requestId: `seed-${poolId}`,
  });
  return { poolId, feed };
}

/** A calm price history for each feed, so volatility starts near zero (one statement for all feeds). */
export async function seedTicks(db: Db, feeds: string[], count = 61, intervalMs = 1000) {
  const start = Date.now() - count * intervalMs - 1000;
  const rows = feeds.flatMap((feed) =>
    Array.from({ length: count }, (_, i) => ({
      feed,
      price: MID,
      observed_at: new Date(start + i * intervalMs),
    })),
  );
  for (let i = 0; i < rows.length; i += 5000)
    await db
      .insertInto('price_ticks')
      .values(rows.slice(i, i + 5000))
      .execute();
}

/**
 * Keeps every feed's latest tick fresh (one multi-row insert per interval for all feeds).
 * `moving`: every tick moves the price 5 bps (2000 <-> 2001), past the 2 bps refresh tolerance,
 * so every cycle must requote; otherwise the price stays at MID (a quiet market).
 */
export function startTicker(db: Db, feeds: string[], everyMs = 1000, market: 'quiet' | 'moving' = 'quiet') {
  let stopped = false;
  let last = Date.now();
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      last = Math.max(last + 1, Date.now());
      const at = new Date(last);
      const price = market === 'moving' && n++ % 2 === 1 ? '2001' : MID;
      await db
        .insertInto('price_ticks')
        .values(feeds.map((feed) => ({ feed, price, observed_at: at })))
        .onConflict((oc) => oc.doNothing())
        .execute()
        .catch(() => {});
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

export async function openPoolOrderCount(db: Db, poolIds: string[]): Promise<number> {
  if (poolIds.length === 0) return 0;
  const r = await sql<{ n: string }>`
    select count(*) as n from orders where pool_id = any(${poolIds}) and is_pool_order and status = 'open'`.execute(
    db,
  );
  return Number(r.rows[0]!.n);
}

/**
 * A Db for the taker client whose pool reports when a connection comes back: Kysely releases the
 * connection right after COMMIT, so the last release is the commit time of the client's last write.
 */
export function createTimedDb(url: string): { db: Db; lastReleaseMs: () => number } {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'bench-taker' });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  let last = 0;
  pool.on('release', () => {
    last = wallMs();
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), lastReleaseMs: () => last };
}

export interface MarketWorkerHarness {
  client: MarketMakingClient;
  /** Start times of every completed quoting cycle, per pool (from the worker's cycle observer). */
  cycles: Map<string, Array<{ at: number; wrote: string }>>;
  /** Starts a pool's workflows and remembers them, so stop() can end any still running. */
  startPool(poolId: string, opts: Parameters<MarketMakingClient['startPool']>[1]): Promise<void>;
  /** Graceful stop (the market maker cancels its orders); waits for both workflows to end. */
  stopPool(poolId: string, reason: string): Promise<void>;
  /** Wall time of the taker client's last commit. */
  lastCommitMs: () => number;
  taskQueue: string;
  tuning: ReturnType<typeof productionTuning>;
  stop(): Promise<void>;
}

/** The market-making worker with the deployed worker's tuning, on a task queue of this run. */
export async function startMarketWorker(infra: BenchInfra): Promise<MarketWorkerHarness> {
  const tuning = productionTuning();
  const taskQueue = `bench-mm-${infra.runId}`;
  const workerDb = createDb(infra.urls.worker, {
    maxConnections: tuning.dbPoolSize,
    applicationName: 'bench-worker',
  });
  const cycles = new Map<string, Array<{ at: number; wrote: string }>>();
  const { worker, notifications } = await createMarketMakingWorker({
    connection: infra.nativeConnection,
    namespace: infra.temporal.namespace,
    taskQueue,
    db: workerDb,
    tuning: tuning.tuning,
    onCycle: (c) => {
      let list = cycles.get(c.poolId);
      if (!list) cycles.set(c.poolId, (list = []));
      list.push({ at: c.startedAtMs, wrote: c.wrote });
      if (list.length > 5000) list.splice(0, 2500);
    },
  });
  const run = runWorker(worker);
  const timed = createTimedDb(infra.urls.trader);
  const client = new MarketMakingClient({ client: infra.temporalClient, taskQueue, db: timed.db });
  const started = new Set<string>();
  return {
    client,
    cycles,
    startPool: async (poolId, opts) => {
      started.add(poolId);
      await client.startPool(poolId, opts);
    },
    stopPool: async (poolId, reason) => {
      await client.stopPool(poolId, reason);
      started.delete(poolId);
    },
    lastCommitMs: timed.lastReleaseMs,
    taskQueue,
    tuning,
    stop: async () => {
      // Sections stop their pools gracefully; this only catches an interrupted run's leftovers.
      await Promise.all(
        [...started].flatMap((id) =>
          [client.marketMaker(id), client.spreadSaga(id)].map((h) =>
            h.terminate('benchmark ended').catch(() => {}),
          ),
        ),
      );
      await run.stop();
      await notifications.close();
      await timed.db.destroy().catch(() => {});
      await workerDb.destroy().catch(() => {});
    },
  };
}
