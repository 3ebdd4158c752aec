import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../db/connection';
import { migrateToLatest } from '../db/migrator';
import { DEFAULT_TRADER_PRINCIPAL, ROLES, registerPrincipal, setupRoles, urlAs } from '../db/roles';
import { startLocalPostgres } from '../devenv/local-postgres';
import { freePort, splitAddress } from '../devenv/ports';
import { startEmbeddedPostgres, type RunningPostgres } from '../devenv/postgres';
import { cliCacheDir, findTemporalCli, TEMPORAL_CLI_VERSION } from '../devenv/temporal-cli';
import { startTemporalDevServer, type RunningTemporal } from '../devenv/temporal-dev-server';
import { loadWorkerConfig } from '../worker/config';
import { cmdline, pidListeningOn, procStat } from './proc-stats';

/*
 * What every benchmark section runs on: a Temporal server, a Postgres cluster and a database of our
 * own on it (created for this run, dropped at the end, so the user's data is never touched).
 */

export type TemporalMode = 'private' | 'shared';

export interface BenchInfra {
  runId: string;
  temporal: RunningTemporal;
  temporalPid?: number;
  temporalVersion: string;
  temporalMode: string;
  postgres: RunningPostgres;
  /** Superuser URL of the cluster (other sections create their own databases there). */
  clusterUrl: string;
  dbName: string;
  /** Administrator URL of the run's database: the benchmark's own setup and reads. */
  dbUrl: string;
  /** The components' own logins to it: the worker and the default trader, as deployed. */
  urls: { worker: string; trader: string };
  /** The benchmark's own reads and setup. */
  db: Db;
  postmasterPid?: number;
  postgresVersion: string;
  postgresSettings: string;
  temporalClient: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

let runtimeInstalled = false;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function versionOf(binary: string | undefined): string {
  if (!binary) return 'unknown';
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return 'unknown';
  }
}

async function startTemporal(
  mode: TemporalMode,
  log: (l: string) => void,
): Promise<{ temporal: RunningTemporal; mode: string }> {
  if (process.env.TEMPORAL_ADDRESS) {
    const temporal: RunningTemporal = {
      address: process.env.TEMPORAL_ADDRESS,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      owned: false,
      stop: async () => {},
    };
    return { temporal, mode: `external (TEMPORAL_ADDRESS=${temporal.address})` };
  }
  if (mode === 'shared') {
    const temporal = await startTemporalDevServer({ reuse: true, detached: true, log });
    return {
      temporal,
      mode: `shared dev server from temporal-dev.yaml (${temporal.owned ? 'started' : 'reused'})`,
    };
  }
  const port = await freePort();
  const temporal = await startTemporalDevServer({
    overrides: { port, headless: true, dbFilename: null },
    logFile: join(tmpdir(), `lpmm-bench-temporal-${port}.log`),
    log,
  });
  return { temporal, mode: 'private in-memory dev server (started for this run, stopped at its end)' };
}

export type PostgresMode = 'local' | 'private';

/**
 * `local`: DATABASE_URL or the project's embedded cluster (.data/postgres), shared with the run
 * command, so another command that started it may stop it mid-run. `private`: a throw-away embedded
 * cluster of this run alone, with the same durability settings.
 */
async function startBenchPostgres(mode: PostgresMode): Promise<RunningPostgres> {
  if (mode === 'private' && !process.env.DATABASE_URL) return startEmbeddedPostgres({ fast: false });
  return startLocalPostgres();
}

export async function startBenchInfra(opts: {
  temporal: TemporalMode;
  postgres: PostgresMode;
  log: (l: string) => void;
}): Promise<BenchInfra> {
  const { log } = opts;
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const runId = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${randomBytes(3).toString('hex')}`;
  const [{ temporal, mode }, postgres] = await Promise.all([
    startTemporal(opts.temporal, log),
    startBenchPostgres(opts.postgres),
  ]);
  const dbName = `bench_${runId}`;
  const admin = new pg.Client({ connectionString: postgres.url });
  admin.on('error', () => {});
  await admin.connect();
  try {
    await dropStaleDatabases(admin, log);
    await setupRoles(postgres.url);
    await admin.query(`create database ${dbName} owner ${ROLES.owner}`);
  } finally {
    await admin.end();
  }
  const dbUrl = withDatabase(postgres.url, dbName);
  const db = createDb(dbUrl, { maxConnections: 10, applicationName: 'bench-driver' });
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  const dropAll = async () => {
    await db.destroy().catch(() => {});
    const c = new pg.Client({ connectionString: postgres.url });
    c.on('error', () => {});
    await c
      .connect()
      .then(() => c.query(`drop database if exists ${dbName} with (force)`))
      .catch((e) => log(`[bench] could not drop ${dbName} (${String(e)}); the next benchmark run drops it`));
    await c.end().catch(() => {});
  };
  try {
    const owner = createDb(urlAs(dbUrl, ROLES.owner), { maxConnections: 1, statementTimeoutMs: 0 });
    await migrateToLatest(owner).finally(() => owner.destroy());
    await registerPrincipal(dbUrl, ROLES.trader, DEFAULT_TRADER_PRINCIPAL);
    const info = await sql<{ pid: number; version: string; fsync: string; sc: string }>`
      select pg_backend_pid() as pid, current_setting('server_version') as version,
             current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc`.execute(db);
    const row = info.rows[0]!;
    const ppid = procStat(Number(row.pid))?.ppid;
    const postmasterPid = ppid && /postgres|postmaster/.test(cmdline(ppid)) ? ppid : undefined;
    const temporalPid = temporal.pid ?? pidListeningOn(splitAddress(temporal.address).port);
    const exe = temporalPid ? safeReadlink(`/proc/${temporalPid}/exe`) : undefined;
    const cliPath = exe ?? findTemporalCli()?.path;
    let temporalVersion = versionOf(cliPath);
    // `go install` builds report 0.0.0-DEV; the cache folder names the release it was built from.
    if (temporalVersion.includes('0.0.0-DEV') && cliPath?.startsWith(dirname(cliCacheDir())))
      temporalVersion += ` (built from ${TEMPORAL_CLI_VERSION} by go install)`;
    nativeConnection = await NativeConnection.connect({ address: temporal.address });
    connection = await Connection.connect({ address: temporal.address });
    const temporalClient = new Client({ connection, namespace: temporal.namespace });
    log(
      `[bench] run ${runId}: Temporal ${temporal.address} (${mode}), database ${dbName} on ${process.env.DATABASE_URL ? 'DATABASE_URL' : opts.postgres === 'private' ? 'a private embedded cluster' : 'the embedded cluster in .data/postgres'}`,
    );
    return {
      runId,
      temporal,
      temporalPid,
      temporalVersion,
      temporalMode: mode,
      postgres,
      clusterUrl: postgres.url,
      dbName,
      dbUrl,
      urls: { worker: urlAs(dbUrl, ROLES.worker), trader: urlAs(dbUrl, ROLES.trader) },
      db,
      postmasterPid,
      postgresVersion: row.version,
      postgresSettings: `fsync=${row.fsync}, synchronous_commit=${row.sc}; ${process.env.DATABASE_URL ? 'DATABASE_URL' : opts.postgres === 'private' ? 'private throw-away embedded cluster' : 'embedded cluster in .data/postgres'}, database ${dbName} (dropped at the end)`,
      temporalClient,
      nativeConnection,
      close: async () => {
        await connection?.close().catch(() => {});
        await nativeConnection?.close().catch(() => {});
        await dropAll();
        await Promise.allSettled([temporal.stop(), postgres.stop()]);
      },
    };
  } catch (err) {
    await connection?.close().catch(() => {});
    await nativeConnection?.close().catch(() => {});
    await dropAll();
    await Promise.allSettled([temporal.stop(), postgres.stop()]);
    throw err;
  }
}

const STALE_AFTER_MS = 2 * 3600_000;

/**
 * Databases of earlier runs that could not drop their own (Ctrl-C reaches the embedded Postgres
 * too, which then shuts down before the drop). Only names `<prefix>_<14-digit time>_<6 hex>` that
 * these commands make, and only when their timestamp is older than any run lasts, so a concurrent
 * run is never touched.
 */
export async function dropStaleDatabases(admin: pg.Client, log: (l: string) => void, prefix = 'bench') {
  if (!/^[a-z]+$/.test(prefix)) throw new Error(`database prefix must be lowercase letters, got ${prefix}`);
  const { rows } = await admin.query<{ datname: string }>(
    `select datname from pg_database where datname ~ $1`,
    [`^${prefix}_[0-9]{14}_[0-9a-f]{6}$`],
  );
  for (const { datname } of rows) {
    const t = datname.slice(prefix.length + 1, prefix.length + 15);
    const at = Date.UTC(
      +t.slice(0, 4),
      +t.slice(4, 6) - 1,
      +t.slice(6, 8),
      +t.slice(8, 10),
      +t.slice(10, 12),
      +t.slice(12, 14),
    );
    if (Date.now() - at < STALE_AFTER_MS) continue;
    await admin.query(`drop database if exists ${datname} with (force)`).then(
      () => log(`[${prefix}] dropped ${datname}, left behind by an interrupted run`),
      () => {},
    );
  }
}

function safeReadlink(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** The deployed worker's tuning (worker/config.ts defaults, or the environment's overrides). */
export function productionTuning() {
  const c = loadWorkerConfig({ ...process.env, DATABASE_URL: undefined });
  return {
    dbPoolSize: c.dbPoolSize,
    tuning: {
      maxConcurrentActivityTaskExecutions: c.maxConcurrentActivities,
      maxConcurrentLocalActivityExecutions: c.maxConcurrentLocalActivities,
      maxConcurrentWorkflowTaskExecutions: c.maxConcurrentWorkflowTasks,
      maxCachedWorkflows: c.maxCachedWorkflows,
      shutdownGraceTime: 2000,
    },
  };
}

/** Runs a worker until stop(); stop() drains it. */
export function runWorker(worker: Worker) {
  const running = worker.run();
  return {
    running,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
