import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './types';

// int8 (bigint) as string everywhere: positions and sequence numbers can exceed 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export type Db = Kysely<Database>;

const pgPools = new WeakMap<Db, pg.Pool>();

/** The pg pool behind a Db made by createDb: a LISTEN needs a connection of its own. */
export function pgPoolOf(db: Db): pg.Pool {
  const pool = pgPools.get(db);
  if (!pool)
    throw new Error('This Db was not made by createDb; pass a connection string for LISTEN instead.');
  return pool;
}

export interface DbOptions {
  maxConnections?: number;
  applicationName?: string;
  /** 0 turns a limit off (migrations). */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

export function createDb(url: string, opts: DbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 10,
    application_name: opts.applicationName ?? 'lp-market-maker',
    // A hung transaction must not hold a pool's row lock (and the global event readers) forever.
    idle_in_transaction_session_timeout: 60_000,
    // A runaway statement or a queue on a pool's row lock fails instead of stalling every writer
    // of that pool behind it; the roles carry the same limits (db/roles.ts).
    statement_timeout: opts.statementTimeoutMs ?? 15_000,
    lock_timeout: opts.lockTimeoutMs ?? 5_000,
    connectionTimeoutMillis: 10_000,
    // A peer gone without a word (a half-open TCP connection) is noticed instead of waited on forever.
    keepAlive: true,
  });
  // A dropped connection is reported on the pool; without a listener it would crash the process.
  pool.on('error', () => {});
  // pg-pool only listens while a client is idle: a socket reset during a query would emit an
  // unhandled 'error' on the client and crash the process. The query itself still rejects.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pgPools.set(db, pool);
  return db;
}

/** Postgres error codes that mean "try again", not "your input is wrong". */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  if (!code) {
    const msg = String((err as Error)?.message ?? '');
    return /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect/i.test(msg);
  }
  return (
    code === '40001' || code === '40P01' || code.startsWith('08') || code === '57P01' || code === '53300'
  );
}
