import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import * as schema from '../migrations/0001_schema';
import * as quotingSession from '../migrations/0002_quoting_session';
import * as identity from '../migrations/0003_identity';
import * as hedgingAndCheckpoints from '../migrations/0004_hedging_and_checkpoints';
import * as intensityAndCapital from '../migrations/0005_intensity_and_capital';
import * as dashboardReads from '../migrations/0006_dashboard_reads';
import * as portfolio from '../migrations/0007_portfolio';
import type { Db } from './connection';

/** Listed statically so bundlers and tsx need no directory scanning. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_schema': schema,
  '0002_quoting_session': quotingSession,
  '0003_identity': identity,
  '0004_hedging_and_checkpoints': hedgingAndCheckpoints,
  '0005_intensity_and_capital': intensityAndCapital,
  '0006_dashboard_reads': dashboardReads,
  '0007_portfolio': portfolio,
};

export function migrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
}

function check(result: MigrationResultSet, what: string): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `Migration ${what} failed at ${failed}: ${(result.error as Error).message ?? String(result.error)}`,
    );
  }
  return result;
}

export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateToLatest(), 'to latest');
}

export async function migrateDown(db: Db): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateDown(), 'down');
}
