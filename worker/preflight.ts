import type { NativeConnection } from '@temporalio/worker';

/*
 * What the worker checks of Temporal before it says it started (db/login.ts checks the database):
 * the server answers and has the namespace. Each failure names the variable to fix and what to do,
 * instead of a worker that logs "started" and then fails every task.
 */

export class WorkerStartupError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'WorkerStartupError';
  }
}

function reasonOf(err: unknown): string {
  const e = err as { message?: string; code?: string } | null;
  const text = e?.message || e?.code || String(err);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

export async function connectTemporal(
  connect: () => Promise<NativeConnection>,
  where: { address: string; namespace: string },
): Promise<NativeConnection> {
  let connection: NativeConnection;
  try {
    connection = await connect();
  } catch (err) {
    throw new WorkerStartupError(
      'TEMPORAL_ADDRESS',
      `cannot reach the Temporal server at ${where.address} (${reasonOf(err)}). ` +
        `Start it (npm run temporal:dev for a local one) or set TEMPORAL_ADDRESS to its frontend's host:port` +
        ` (and the TEMPORAL_TLS_* / TEMPORAL_API_KEY variables for a remote cluster).`,
    );
  }
  try {
    await connection.workflowService.describeNamespace({ namespace: where.namespace });
  } catch (err) {
    await connection.close().catch(() => undefined);
    const notFound = (err as { code?: number }).code === 5;
    throw new WorkerStartupError(
      notFound ? 'TEMPORAL_NAMESPACE' : 'TEMPORAL_ADDRESS',
      notFound
        ? `namespace "${where.namespace}" does not exist on ${where.address}. Create it ` +
            `(temporal operator namespace create --namespace ${where.namespace}) or set TEMPORAL_NAMESPACE to an existing one.`
        : `the Temporal server at ${where.address} did not answer (${reasonOf(err)}); check the address, TLS and API key.`,
    );
  }
  return connection;
}
