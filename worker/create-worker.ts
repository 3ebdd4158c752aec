import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { dbTickSource, type Tick, type TickSource } from '../activities/market-data';
import { MarketDataCache } from '../adapters/market-data-cache';
import type { HedgeVenue } from '../adapters/hedge-venue/port';
import { SimulatedHedgeVenue } from '../adapters/hedge-venue/simulated';
import type { Db } from '../db/connection';
import { PoolNotificationHub } from '../db/notifications';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface MarketMakingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  hedgeVenue?: HedgeVenue;
  /** Prebundled workflow code (production); without it the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
  /** How long one feed's recent ticks are shared between pools' cycles. */
  tickCacheTtlMs?: number;
  log?: (msg: string, meta?: Record<string, unknown>) => void;
  onCycle?: ActivityDeps['onCycle'];
  tuning?: Pick<
    WorkerOptions,
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxCachedWorkflows'
    | 'shutdownGraceTime'
    | 'identity'
  >;
}

export function defaultHedgeVenue(): HedgeVenue {
  return new SimulatedHedgeVenue({
    slippageBps: '5',
    feeBps: '2',
    priceDecimals: 8,
    baseDecimals: 8,
    quoteDecimals: 8,
  });
}

/** Recent ticks of a feed, shared for a short TTL: many pools quoting one feed read it once. */
export function cachedTickSource(
  db: Db,
  ttlMs: number,
): { source: TickSource; cache: MarketDataCache<Tick[]> } {
  const inner = dbTickSource(db);
  const cache = new MarketDataCache<Tick[]>({ defaultTtlMs: ttlMs, maxEntries: 1000 });
  return {
    cache,
    source: {
      recentTicks: (feed, limit) => cache.get(`${feed}:${limit}`, () => inner.recentTicks(feed, limit)),
    },
  };
}

export async function createMarketMakingWorker(opts: MarketMakingWorkerOptions) {
  const { source, cache } = cachedTickSource(opts.db, opts.tickCacheTtlMs ?? 200);
  // One LISTEN connection for every session this worker runs. A new tick drops the feed's cached
  // ticks before the sessions it wakes read them.
  const notifications = new PoolNotificationHub(opts.db, opts.log, (feed) =>
    cache.invalidatePrefix(`${feed}:`),
  );
  await notifications.start();
  const activities = createActivities({
    db: opts.db,
    hedgeVenue: opts.hedgeVenue ?? defaultHedgeVenue(),
    ticks: source,
    notifications,
    log: opts.log,
    onCycle: opts.onCycle,
  });
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities,
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    // An option present but undefined would override the SDK's default (identity: "Missing property").
    // Every pool's session holds an activity slot for hours: the default of 100 would cap a worker at 100 pools.
    maxConcurrentActivityTaskExecutions: 10_000,
    ...Object.fromEntries(Object.entries(opts.tuning ?? {}).filter(([, v]) => v !== undefined)),
  });
  return { worker, tickCache: cache, notifications };
}
