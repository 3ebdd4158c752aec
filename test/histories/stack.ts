import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createDb, type Db } from '../../db/connection';
import { provisionDatabase } from '../../devenv/database';
import { freePort } from '../../devenv/ports';
import { startEmbeddedPostgres } from '../../devenv/postgres';
import { startTemporalDevServer } from '../../devenv/temporal-dev-server';
import type { TestDatabase } from '../helpers/db';
import type { TemporalTestContext } from '../helpers/temporal';

/**
 * A throw-away embedded Postgres and in-memory Temporal dev server for the recorder, shaped like the
 * test harness's contexts so the same helpers (startMarketWorker, createFundedPool, ...) drive it.
 * Never the developer's own servers: recordings must start from empty ones.
 */
export interface RecordingStack {
  database: TestDatabase;
  temporal: TemporalTestContext;
  stop(): Promise<void>;
}

export async function startRecordingStack(log: (line: string) => void): Promise<RecordingStack> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const port = await freePort();
  const [postgres, server] = await Promise.all([
    startEmbeddedPostgres({ fast: true }),
    startTemporalDevServer({
      overrides: { port, uiPort: await freePort(), headless: true, dbFilename: null },
      logFile: join(tmpdir(), `lpmm-histories-temporal-${port}.log`),
      log,
    }),
  ]);
  // Set up as production is (roles, owner-migrated schema, the default trader): the worker and the
  // clients log in as their own roles, as in the tests.
  const provisioned = await provisionDatabase(postgres.url, { database: 'histories' });
  const db = createDb(provisioned.adminUrl, { maxConnections: 10 });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const temporal: TemporalTestContext = {
    client: new Client({ connection, namespace: server.namespace }),
    connection,
    nativeConnection,
    namespace: server.namespace,
    address: server.address,
    taskQueue: `histories-${randomBytes(2).toString('hex')}`,
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
  const connections: Db[] = [];
  const connect = (url: string) => {
    const conn = createDb(url, { maxConnections: 10 });
    connections.push(conn);
    return conn;
  };
  let trader: Db | undefined;
  const database: TestDatabase = {
    db,
    url: provisioned.adminUrl,
    name: 'histories',
    urls: provisioned.urls,
    traderDb: () => (trader ??= connect(provisioned.urls.trader)),
    connectAs: async (principal) => connect(await provisioned.clientUrl(principal)),
    drop: async () => {
      await Promise.all(connections.map((c) => c.destroy()));
      await db.destroy();
    },
  };
  return {
    database,
    temporal,
    stop: async () => {
      await temporal.close();
      await database.drop();
      await Promise.allSettled([server.stop(), postgres.stop()]);
    },
  };
}
