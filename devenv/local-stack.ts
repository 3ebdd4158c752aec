import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { MarketMakingClient } from '../client';
import { payloadDataConverter } from '../codec/data-converter';
import { keyRingFromEnv } from '../codec/key-ring';
import { createDb, type Db } from '../db/connection';
import { provisionDatabase } from './database';
import { createMarketMakingWorker } from '../worker/create-worker';
import { LOCAL_DATABASE, startLocalPostgres } from './local-postgres';
import type { RunningPostgres } from './postgres';
import { startTemporalDevServer, type RunningTemporal } from './temporal-dev-server';

export interface LocalStack {
  temporal: RunningTemporal;
  postgres: RunningPostgres;
  db: Db;
  /** The default trader's client. */
  client: MarketMakingClient;
  /** A client acting as `principal` (a client login is made for it on this local server). */
  clientFor(principal?: string): Promise<MarketMakingClient>;
  worker: Worker;
  /** The running worker's promise (it is started by startLocalStack). */
  workerRunning: Promise<void>;
  taskQueue: string;
  /** The read-only dashboard role's URL of this database (the dashboard logs in with it). */
  dashboardUrl: string;
  /** Stops the worker and closes connections; servers this process started keep running unless told. */
  close(opts?: { stopServers?: boolean }): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Everything the run and benchmark commands need on one machine: the Temporal dev server (reused
 * when one already listens on the configured port, or TEMPORAL_ADDRESS), Postgres (DATABASE_URL or
 * the embedded cluster in .data/postgres), the schema, an in-process worker and a client.
 */
export async function startLocalStack(
  opts: {
    taskQueue?: string;
    log?: (line: string) => void;
    dbPoolSize?: number;
    /**
     * Signals on which the Temporal runtime shuts the worker down by itself (the SDK's default list
     * when not given). A command that stops its workflows gracefully on Ctrl-C passes [] and closes
     * the stack itself, since the workflows need the worker to run their stop handling.
     */
    shutdownSignals?: NodeJS.Signals[];
  } = {},
): Promise<LocalStack> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (!runtimeInstalled) {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      ...(opts.shutdownSignals ? { shutdownSignals: opts.shutdownSignals } : {}),
    });
    runtimeInstalled = true;
  }
  const [temporal, postgres] = await Promise.all([
    process.env.TEMPORAL_ADDRESS
      ? Promise.resolve<RunningTemporal>({
          address: process.env.TEMPORAL_ADDRESS,
          namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
          owned: false,
          stop: async () => {},
        })
      : startTemporalDevServer({ reuse: true, detached: true, log }),
    startLocalPostgres(),
  ]);
  // DATABASE_URL names an administrator's database, used as is; the embedded cluster gets its own.
  const database = await provisionDatabase(postgres.url, {
    database: process.env.DATABASE_URL ? undefined : LOCAL_DATABASE,
  });
  // The worker (and the feeds and reports of this process) log in as lpmm_worker, the client as the
  // default trader: nothing runs as the administrator.
  const db = createDb(database.urls.worker, {
    maxConnections: opts.dbPoolSize ?? 30,
    applicationName: 'lp-market-maker-run',
  });
  const clientDbs: Db[] = [];
  const clientFor = async (principal?: string) => {
    const url = principal ? await database.clientUrl(principal) : database.urls.trader;
    const clientDb = createDb(url, { maxConnections: 10, applicationName: 'lp-market-maker-client' });
    clientDbs.push(clientDb);
    return new MarketMakingClient({ client: client.temporal, taskQueue, db: clientDb });
  };
  const taskQueue = opts.taskQueue ?? 'market-making';
  const connection = await NativeConnection.connect({ address: temporal.address });
  const { worker, notifications } = await createMarketMakingWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue,
    db,
    // LPMM_PAYLOAD_KEYS turns payload encryption on; the client below reads the same variable.
    dataConverter: payloadDataConverter(keyRingFromEnv()),
  });
  const workerRunning = worker.run();
  const client = await MarketMakingClient.connect({
    address: temporal.address,
    namespace: temporal.namespace,
    taskQueue,
  });
  const clientWithDb = await clientFor();
  return {
    temporal,
    postgres,
    db,
    client: clientWithDb,
    clientFor,
    worker,
    workerRunning,
    taskQueue,
    dashboardUrl: database.urls.dashboard,
    close: async ({ stopServers = false } = {}) => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRunning;
      await notifications.close();
      await client.temporal.connection.close();
      await connection.close();
      await Promise.all(clientDbs.map((d) => d.destroy()));
      await db.destroy();
      if (stopServers) await Promise.allSettled([temporal.stop(), postgres.stop()]);
    },
  };
}
