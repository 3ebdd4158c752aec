import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrator';

export interface TestDatabase {
  db: Db;
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database on the shared cluster, so test files never see each other's rows. */
export async function createTestDatabase(
  opts: { migrate?: boolean; maxConnections?: number } = {},
): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const db = createDb(url, { maxConnections: opts.maxConnections ?? 20 });
  if (opts.migrate !== false) await migrateToLatest(db);
  return {
    db,
    url,
    name,
    drop: async () => {
      await db.destroy();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
