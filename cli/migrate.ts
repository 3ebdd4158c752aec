/** npm run db:migrate (to latest) | npm run db:down (one step down), against DATABASE_URL or the embedded Postgres. */
import { createDb } from '../db/connection';
import { migrateDown, migrateToLatest } from '../db/migrator';
import { startLocalPostgres } from '../devenv/local-postgres';

const direction = process.argv[2];
if (direction !== 'latest' && direction !== 'down') {
  process.stderr.write('Usage: tsx cli/migrate.ts latest|down\n');
  process.exit(2);
}
const pg = await startLocalPostgres();
const db = createDb(pg.url);
try {
  const result = direction === 'latest' ? await migrateToLatest(db) : await migrateDown(db);
  for (const r of result.results ?? [])
    process.stdout.write(`${r.direction} ${r.migrationName}: ${r.status}\n`);
  if (!result.results?.length) process.stdout.write('Nothing to do: the schema is already there.\n');
} finally {
  await db.destroy();
  await pg.stop();
}
