import type { TestProject } from 'vitest/node';
import { setupRoles } from '../db/roles';
import { startPostgres } from '../devenv/postgres';
import { startTemporalDevServer } from '../devenv/temporal-dev-server';
import { freePort } from '../devenv/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    temporalNamespace: string;
  }
}

/** One Postgres cluster and one Temporal dev server for the whole run; each test file isolates itself. */
export default async function setup(project: TestProject) {
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const started = Date.now();
  const [postgres, temporal] = await Promise.all([
    startPostgres({ log: () => {} }),
    process.env.TEMPORAL_ADDRESS
      ? Promise.resolve({
          address: process.env.TEMPORAL_ADDRESS,
          namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
          stop: async () => {},
        })
      : (async () => {
          const port = await freePort();
          return startTemporalDevServer({
            overrides: {
              port,
              headless: true,
              dbFilename: null,
              // Lowered so continueAsNew tests reach the suggestion quickly.
              dynamicConfig: {
                'limit.historyCount.suggestContinueAsNew': 200,
                'frontend.namespaceRPS': 10000,
              },
            },
            logFile: `${process.env.TMPDIR ?? '/tmp'}/lpmm-temporal-test-${port}.log`,
            log,
          });
        })(),
  ]);
  // The system's roles are cluster-wide: set up once, each test database is then owned and migrated by lpmm_owner.
  await setupRoles(postgres.url);
  log(
    `[setup] Postgres ${postgres.url} and Temporal ${temporal.address} ready in ${Date.now() - started} ms`,
  );
  project.provide('databaseUrl', postgres.url);
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalNamespace', temporal.namespace);
  return async () => {
    await Promise.allSettled([temporal.stop(), postgres.stop()]);
  };
}
