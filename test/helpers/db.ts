import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrator';
import { DEFAULT_TRADER_PRINCIPAL, ROLES, createClientLogin, registerPrincipal, urlAs } from '../../db/roles';

export interface TestDatabase {
  /** An administrator's connection, for setting up and inspecting rows; no component runs as it. */
  db: Db;
  url: string;
  name: string;
  /** Each component's own login to this database (the roles of migration 0003). */
  urls: { owner: string; worker: string; trader: string; dashboard: string };
  /** The default trader's connection (principal "trader"), closed with the database. */
  traderDb(): Db;
  /** A connection as a new client login registered as `principal` (closed with the database). */
  connectAs(principal: string): Promise<Db>;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh database on the shared cluster, owned and migrated by the migration owner, so test files
 * never see each other's rows and the schema's grants are the production ones.
 */
export async function createTestDatabase(
  opts: { migrate?: boolean; maxConnections?: number } = {},
): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name} owner ${ROLES.owner}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const urls = {
    owner: urlAs(url, ROLES.owner),
    worker: urlAs(url, ROLES.worker),
    trader: urlAs(url, ROLES.trader),
    dashboard: urlAs(url, ROLES.dashboard),
  };
  if (opts.migrate !== false) {
    const owner = createDb(urls.owner, { maxConnections: 1, statementTimeoutMs: 0 });
    try {
      await migrateToLatest(owner);
    } finally {
      await owner.destroy();
    }
    await registerPrincipal(url, ROLES.trader, DEFAULT_TRADER_PRINCIPAL);
  }
  const db = createDb(url, { maxConnections: opts.maxConnections ?? 20 });
  const extra: Db[] = [];
  let trader: Db | undefined;
  return {
    traderDb: () => {
      if (!trader) extra.push((trader = createDb(urls.trader, { maxConnections: 10 })));
      return trader;
    },
    db,
    url,
    name,
    urls,
    connectAs: async (principal) => {
      const conn = createDb(await createClientLogin(url, principal), { maxConnections: 4 });
      extra.push(conn);
      return conn;
    },
    drop: async () => {
      await Promise.all(extra.map((d) => d.destroy().catch(() => {})));
      await db.destroy();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
