import { join } from 'node:path';
import { startPostgres, type RunningPostgres } from './postgres';
import { PROJECT_ROOT } from './temporal-dev-server';

/** Port of the embedded cluster a person's commands share (run, migrate, worker). */
export const LOCAL_EMBEDDED_PORT = 54329;

/** The database the local commands use on the embedded cluster, owned by the migration owner. */
export const LOCAL_DATABASE = 'lpmm';

/**
 * DATABASE_URL, or the project's persistent embedded cluster in .data/postgres. The cluster keeps
 * running for the next command when this one only borrowed it (see startEmbeddedPostgres's reuse).
 */
export async function startLocalPostgres(): Promise<RunningPostgres> {
  return startPostgres({ dataDir: join(PROJECT_ROOT, '.data', 'postgres'), port: LOCAL_EMBEDDED_PORT });
}
