/**
 * The deployable worker: `npm run worker` (or `node --import tsx worker/main.ts`). Configuration
 * comes from the environment (see worker/config.ts and the README); SIGINT and SIGTERM drain
 * in-flight tasks for SHUTDOWN_GRACE_MS and exit.
 */
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import pino from 'pino';
import { payloadDataConverter } from '../codec/data-converter';
import { createDb } from '../db/connection';
import { checkWorkerLogin, LoginRefusedError } from '../db/login';
import { loadWorkerConfig, WorkerConfigError } from './config';
import { createMarketMakingWorker } from './create-worker';
import { connectTemporal, WorkerStartupError } from './preflight';

const logger = pino({ base: { service: 'lp-market-maker-worker' } });

async function main() {
  const config = loadWorkerConfig();
  logger.level = config.logLevel;
  Runtime.install({
    logger: {
      log: (level, message, meta) => logger[level.toLowerCase() as 'info']?.(meta ?? {}, message),
      trace: (m, meta) => logger.trace(meta ?? {}, m),
      debug: (m, meta) => logger.debug(meta ?? {}, m),
      info: (m, meta) => logger.info(meta ?? {}, m),
      warn: (m, meta) => logger.warn(meta ?? {}, m),
      error: (m, meta) => logger.error(meta ?? {}, m),
    },
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(config.metricsBindAddress
        ? { metrics: { prometheus: { bindAddress: config.metricsBindAddress } } }
        : {}),
    },
  });
  // Without DATABASE_URL a developer's worker shares the project's embedded Postgres, set up the
  // way production is, and logs in as lpmm_worker like any other.
  const workerUrl = config.databaseUrl ?? (await localWorkerUrl());
  const db = createDb(workerUrl, {
    maxConnections: config.dbPoolSize,
    applicationName: 'lp-market-maker-worker',
  });
  // Nothing is started before both servers answered: a worker that says "started" can work.
  const login = await checkWorkerLogin(db);
  const connection = await connectTemporal(
    () => NativeConnection.connect({ address: config.address, tls: config.tls, apiKey: config.apiKey }),
    { address: config.address, namespace: config.namespace },
  );
  const { worker, notifications } = await createMarketMakingWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    db,
    log: (msg, meta) => logger.warn(meta ?? {}, msg),
    workflowBundlePath: config.workflowBundlePath,
    dataConverter: payloadDataConverter(config.payloadKeys),
    tuning: {
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
      maxConcurrentLocalActivityExecutions: config.maxConcurrentLocalActivities,
      maxConcurrentWorkflowTaskExecutions: config.maxConcurrentWorkflowTasks,
      maxCachedWorkflows: config.maxCachedWorkflows,
      shutdownGraceTime: config.shutdownGraceMs,
      identity: config.identity,
    },
  });
  logger.info(
    {
      address: config.address,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      bundled: Boolean(config.workflowBundlePath),
      databaseLogin: login,
      // Ids only: key material is never logged.
      payloadEncryption: config.payloadKeys
        ? { currentKeyId: config.payloadKeys.currentKeyId, keyIds: config.payloadKeys.keyIds }
        : 'off',
    },
    'worker started',
  );
  const stats = setInterval(
    () =>
      logger.info(
        { notifications: notifications.received, listening: notifications.listening },
        'pool notifications',
      ),
    60_000,
  );
  stats.unref();
  try {
    await worker.run();
  } finally {
    clearInterval(stats);
    await notifications.close();
    await connection.close();
    await db.destroy();
    logger.info('worker stopped');
  }
}

async function localWorkerUrl(): Promise<string> {
  const { startLocalPostgres, LOCAL_DATABASE } = await import('../devenv/local-postgres');
  const { provisionDatabase } = await import('../devenv/database');
  const postgres = await startLocalPostgres();
  return (await provisionDatabase(postgres.url, { database: LOCAL_DATABASE })).urls.worker;
}

main().catch((err) => {
  if (
    err instanceof WorkerConfigError ||
    err instanceof LoginRefusedError ||
    err instanceof WorkerStartupError
  ) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err }, 'worker failed');
  process.exit(1);
});
