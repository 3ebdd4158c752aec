/**
 * npm run db:migrate (to latest) | npm run db:down (one step down). With DATABASE_URL, that URL must
 * log in as the migration owner (lpmm_owner, README "Database roles"); without it, the embedded
 * cluster's roles and database are set up first and the owner migrates them.
 */
import { createDb } from '../db/connection';
import { migrateDown, migrateToLatest } from '../db/migrator';
import { ROLES, ensureDatabase, setupRoles, urlAs } from '../db/roles';
import { LOCAL_DATABASE, startLocalPostgres } from '../devenv/local-postgres';

const direction = process.argv[2];
if (direction !== 'latest' && direction !== 'down') {
  process.stderr.write('Usage: tsx cli/migrate.ts latest|down\n');
  process.exit(2);
}
const pg = await startLocalPostgres();
let url = pg.url;
if (!process.env.DATABASE_URL) {
  await setupRoles(pg.url);
  await ensureDatabase(pg.url, LOCAL_DATABASE);
  url = urlAs(pg.url, ROLES.owner, undefined, LOCAL_DATABASE);
}
const db = createDb(url, { statementTimeoutMs: 0, applicationName: 'lpmm-migrate' });
try {
  const result = direction === 'latest' ? await migrateToLatest(db) : await migrateDown(db);
  for (const r of result.results ?? [])
    process.stdout.write(`${r.direction} ${r.migrationName}: ${r.status}\n`);
  if (!result.results?.length) process.stdout.write('Nothing to do: the schema is already there.\n');
} finally {
  await db.destroy();
  await pg.stop();
}
