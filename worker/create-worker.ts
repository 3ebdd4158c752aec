import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { HedgeVenue } from '../adapters/hedge-venue/port';
import { SimulatedHedgeVenue } from '../adapters/hedge-venue/simulated';
import { checkWorkflowBundle } from '../codec/data-converter';
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
  log?: (msg: string, meta?: Record<string, unknown>) => void;
  /** Payload codecs and failure converter: codec/data-converter.ts payloadDataConverter(). */
  dataConverter?: DataConverter;
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

export async function createMarketMakingWorker(opts: MarketMakingWorkerOptions) {
  if (opts.workflowBundlePath) checkWorkflowBundle(opts.workflowBundlePath, opts.dataConverter);
  // One LISTEN connection for every session this worker runs; it also keeps the feeds' recent ticks.
  const notifications = new PoolNotificationHub(opts.db, opts.log);
  await notifications.start();
  const activities = createActivities({
    db: opts.db,
    hedgeVenue: opts.hedgeVenue ?? defaultHedgeVenue(),
    notifications,
    log: opts.log,
    onCycle: opts.onCycle,
  });
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    // An option present but undefined would override the SDK's default (identity: "Missing property").
    // Every pool's session holds an activity slot for hours: the default of 100 would cap a worker at 100 pools.
    maxConcurrentActivityTaskExecutions: 10_000,
    ...Object.fromEntries(Object.entries(opts.tuning ?? {}).filter(([, v]) => v !== undefined)),
  });
  return { worker, notifications };
}
