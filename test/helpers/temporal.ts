import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';

let runtimeInstalled = false;
/** Runtime.install may run once per process; keep the SDK's own logging to warnings. */
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier file in this fork.
  }
}

export interface TemporalTestContext {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  namespace: string;
  address: string;
  taskQueue: string;
  close(): Promise<void>;
}

export async function connectTemporal(prefix = 'test'): Promise<TemporalTestContext> {
  quietRuntime();
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    client,
    connection,
    nativeConnection,
    namespace,
    address,
    taskQueue: `${prefix}-${randomBytes(4).toString('hex')}`,
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export async function createTestWorker(
  ctx: TemporalTestContext,
  options: Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue'> & { taskQueue?: string },
): Promise<Worker> {
  return Worker.create({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue: options.taskQueue ?? ctx.taskQueue,
    ...options,
  });
}
