import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { dropStaleDatabases } from '../bench/stack';
import { MarketMakingClient } from '../client';
import { payloadDataConverter } from '../codec/data-converter';
import { keyRingFromEnv } from '../codec/key-ring';
import { createDb, type Db } from '../db/connection';
import { provisionDatabase } from '../devenv/database';
import { freePort } from '../devenv/ports';
import { startEmbeddedPostgres, type RunningPostgres } from '../devenv/postgres';
import { startTemporalDevServer, type RunningTemporal } from '../devenv/temporal-dev-server';
import { WORKFLOWS_PATH } from '../worker/create-worker';
import { trackChild, untrackChild } from './children';

/*
 * What the chaos command runs on, all of it its own: a Temporal dev server whose history lives in a
 * file (so a restart keeps every workflow), a database created for the run, and the workflow code
 * bundled once so a restarted worker process is polling within seconds.
 */

/** A Temporal dev server that can be stopped and started again on the same port and history file. */
export interface RestartableTemporal {
  readonly address: string;
  readonly namespace: string;
  readonly logFile: string;
  /** Stops the server (SIGTERM), waits `downMs`, starts it again; resolves once it answers. */
  restart(downMs: number): Promise<{ stoppedAtMs: number; readyAtMs: number }>;
  stop(): Promise<void>;
}

async function startRestartableTemporal(dir: string, log: (l: string) => void): Promise<RestartableTemporal> {
  const port = await freePort();
  const dbFile = join(dir, 'temporal.db');
  const logFile = join(dir, 'temporal.log');
  const start = async () => {
    const t = await startTemporalDevServer({
      overrides: { port, headless: true, dbFilename: dbFile },
      logFile,
      log,
    });
    trackChild(t.pid);
    return t;
  };
  const stop = async (t: RunningTemporal) => {
    await t.stop();
    untrackChild(t.pid);
  };
  let current: RunningTemporal = await start();
  return {
    address: current.address,
    namespace: current.namespace,
    logFile,
    restart: async (downMs) => {
      const stoppedAtMs = Date.now();
      await stop(current);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      current = await start();
      return { stoppedAtMs, readyAtMs: Date.now() };
    },
    stop: () => stop(current),
  };
}

export interface ChaosStack {
  runId: string;
  temporal: RestartableTemporal;
  /** The cluster's own (superuser) URL: terminating other sessions needs it. */
  adminUrl: string;
  dbName: string;
  /** The run's database, as the worker processes log in to it (lpmm_worker). */
  workerDbUrl: string;
  /** The chaos driver's setup, reads and checks, as the database's administrator: it audits everything. */
  db: Db;
  /** The default trader's client: creates and funds the pools, sends the operator's commands. */
  client: MarketMakingClient;
  /** A client acting as `principal` through a login of its own (the takers). */
  clientFor(principal: string): Promise<MarketMakingClient>;
  taskQueue: string;
  workflowBundlePath: string;
  embeddedPostgres: boolean;
  /** Drops the database unless `keepDatabase`; stops the servers this run started. */
  close(opts?: { keepDatabase?: boolean }): Promise<void>;
}

export async function startChaosStack(opts: {
  /** A local cluster to create the run's database on; without it a throw-away embedded Postgres. */
  databaseUrl?: string;
  log: (l: string) => void;
}): Promise<ChaosStack> {
  const { log } = opts;
  const runId = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'lpmm-chaos-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // Also when the run is interrupted: the process exits without unwinding.
  process.once('exit', removeDir);
  const cleanups: Array<() => Promise<unknown>> = [
    async () => {
      removeDir();
      process.off('exit', removeDir);
    },
  ];
  const unwind = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    // With LPMM_PAYLOAD_KEYS set (the workers inherit it) the run is encrypted end to end: the
    // driver's client decrypts with the same keys and the bundle encodes failure messages.
    const dataConverter = payloadDataConverter(keyRingFromEnv());
    const bundle = bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: quietBundlerLogger,
      ...(dataConverter.failureConverterPath
        ? { failureConverterPath: dataConverter.failureConverterPath }
        : {}),
    });
    // Awaited below; a failure before then must not surface as an unhandled rejection.
    bundle.catch(() => undefined);
    const [t, p] = await Promise.allSettled([
      startRestartableTemporal(dir, log),
      opts.databaseUrl
        ? Promise.resolve<RunningPostgres>({ url: opts.databaseUrl, embedded: false, stop: async () => {} })
        : // Durable settings, as a deployment has them: recovery figures should not flatter.
          startEmbeddedPostgres({ fast: false }),
    ]);
    if (t.status === 'fulfilled') cleanups.push(() => t.value.stop());
    if (p.status === 'fulfilled') cleanups.push(() => p.value.stop());
    if (t.status === 'rejected') throw t.reason;
    if (p.status === 'rejected') throw p.reason;
    const temporal = t.value;
    const postgres = p.value;
    const dbName = `chaos_${runId}`;
    await dropStaleRunDatabases(postgres, log);
    const dropDb = () => dropDatabase(postgres.url, dbName);
    cleanups.push(dropDb);
    // Set up as production is: the roles, the database owned and migrated by lpmm_owner, the
    // default trader registered; each component then logs in as itself.
    const database = await provisionDatabase(postgres.url, { database: dbName }).catch((err: unknown) => {
      throw new Error(
        `could not set up the run's database ${dbName} (${(err as Error).message}); ` +
          "DATABASE_URL's user must be an administrator (CREATEDB, CREATEROLE)",
      );
    });
    const db = createDb(database.adminUrl, { maxConnections: 10, applicationName: 'lpmm-chaos-driver' });
    const clientDbs: Db[] = [db];
    cleanups.push(() => Promise.all(clientDbs.map((d) => d.destroy())));
    const workflowBundlePath = join(dir, 'workflow-bundle.js');
    writeFileSync(workflowBundlePath, (await bundle).code);
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const taskQueue = `chaos-${runId}`;
    const temporalClient = new Client({ connection, namespace: temporal.namespace, dataConverter });
    const clientAt = (url: string, name: string) => {
      const clientDb = createDb(url, { maxConnections: 4, applicationName: `lpmm-chaos-${name}` });
      clientDbs.push(clientDb);
      return new MarketMakingClient({ client: temporalClient, taskQueue, db: clientDb });
    };
    const client = clientAt(database.urls.trader, 'trader');
    log(
      `[chaos] run ${runId}: Temporal ${temporal.address} (history ${join(dir, 'temporal.db')}), database ${dbName} on ${opts.databaseUrl ? 'DATABASE_URL' : 'a throw-away embedded Postgres'}`,
    );
    return {
      runId,
      temporal,
      adminUrl: postgres.url,
      dbName,
      workerDbUrl: database.urls.worker,
      db,
      client,
      clientFor: async (principal) => clientAt(await database.clientUrl(principal), principal),
      taskQueue,
      workflowBundlePath,
      embeddedPostgres: postgres.embedded,
      close: async ({ keepDatabase = false } = {}) => {
        if (keepDatabase) cleanups.splice(cleanups.indexOf(dropDb), 1);
        await unwind();
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

const quietBundlerLogger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string, meta?: Record<string, unknown>) =>
    process.stderr.write(`[bundler] ${message} ${meta ? JSON.stringify(meta) : ''}\n`),
  log: () => {},
};

/** Databases of chaos runs that were interrupted before they could drop their own. */
async function dropStaleRunDatabases(postgres: RunningPostgres, log: (l: string) => void) {
  const admin = new pg.Client({ connectionString: postgres.url });
  admin.on('error', () => {});
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `Postgres is not reachable at ${postgres.embedded ? 'the embedded cluster' : 'DATABASE_URL'} (${(err as Error).message}). ` +
        'Start that server, fix the URL, or unset DATABASE_URL to use a throw-away embedded Postgres.',
    );
  }
  try {
    await dropStaleDatabases(admin, log, 'chaos');
  } finally {
    await admin.end().catch(() => {});
  }
}

async function dropDatabase(adminUrl: string, dbName: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query(`drop database if exists ${dbName} with (force)`);
  } finally {
    await c.end().catch(() => {});
  }
}
