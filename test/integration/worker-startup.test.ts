import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection } from '@temporalio/worker';
import { freePort } from '../../devenv/ports';
import { createDb } from '../../db/connection';
import { checkWorkerLogin, LoginRefusedError } from '../../db/login';
import { connectTemporal as connectTemporalChecked, WorkerStartupError } from '../../worker/preflight';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { spawnWorker } from '../helpers/processes';
import { connectTemporal, type TemporalTestContext } from '../helpers/temporal';

/*
 * The deployable worker checks the database and the Temporal server before it says it started:
 * pointed at nothing, or at a database without the schema, it exits non-zero with a message that
 * names the variable to fix and what to do (issue 10, finding 8).
 */
describe('the worker process at start', () => {
  let migrated: TestDatabase;
  let empty: TestDatabase;
  let temporal: TemporalTestContext;

  beforeAll(async () => {
    [migrated, empty, temporal] = await Promise.all([
      createTestDatabase(),
      createTestDatabase({ migrate: false }),
      connectTemporal('startup'),
    ]);
  });
  afterAll(async () => {
    await temporal?.close();
    await Promise.all([migrated?.drop(), empty?.drop()]);
  });

  /** Runs the worker until it exits or says it started (then it is killed); returns which, and its output. */
  async function startWorker(env: Partial<Record<string, string>>) {
    const w = spawnWorker({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TASK_QUEUE: temporal.taskQueue,
      DATABASE_URL: migrated.urls.worker,
      LOG_LEVEL: 'info',
      ...env,
    } as Parameters<typeof spawnWorker>[0]);
    let timer: NodeJS.Timeout | undefined;
    try {
      const started = new Promise<'started'>((resolve) => {
        timer = setInterval(() => {
          if (w.output().includes('worker started')) resolve('started');
        }, 100);
      });
      const outcome = await Promise.race([w.exited.then((e) => e), started]);
      return { outcome, output: w.output() };
    } finally {
      clearInterval(timer);
      await w.kill();
    }
  }

  it('DATABASE_URL pointing nowhere: exits 2 naming DATABASE_URL, never "worker started", no password shown', async () => {
    const port = await freePort();
    const { outcome, output } = await startWorker({
      DATABASE_URL: `postgres://lpmm_worker:s3cret@127.0.0.1:${port}/nowhere`,
    });
    expect(outcome, output).toEqual({ code: 2, signal: null });
    expect(output).toMatch(/DATABASE_URL does not reach a usable Postgres .*; fix DATABASE_URL/);
    expect(output).not.toContain('s3cret');
    expect(output).not.toContain('worker started');
  });

  it('TEMPORAL_ADDRESS pointing nowhere: exits 2 naming TEMPORAL_ADDRESS, never "worker started"', async () => {
    const port = await freePort();
    const { outcome, output } = await startWorker({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(outcome, output).toEqual({ code: 2, signal: null });
    expect(output).toMatch(
      new RegExp(`TEMPORAL_ADDRESS: cannot reach the Temporal server at 127\\.0\\.0\\.1:${port}`),
    );
    expect(output).not.toContain('worker started');
  });

  // The other checks in-process: the same functions the worker runs before it says it started.
  it('a database without the schema is refused naming DATABASE_URL and the migration command', async () => {
    const asWorker = createDb(empty.urls.worker, { maxConnections: 1 });
    try {
      const err = await checkWorkerLogin(asWorker).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LoginRefusedError);
      expect((err as Error).message).toMatch(/^DATABASE_URL points at a database without the current schema/);
      expect((err as Error).message).toMatch(/npm run db:migrate/);
    } finally {
      await asWorker.destroy();
    }
  });

  it('an unknown namespace is refused naming TEMPORAL_NAMESPACE', async () => {
    const connect = () => NativeConnection.connect({ address: temporal.address });
    const err = await connectTemporalChecked(connect, {
      address: temporal.address,
      namespace: 'no-such-namespace',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartupError);
    expect((err as Error).message).toMatch(
      /^TEMPORAL_NAMESPACE: namespace "no-such-namespace" does not exist/,
    );
    const ok = await connectTemporalChecked(connect, {
      address: temporal.address,
      namespace: temporal.namespace,
    });
    await ok.close();
  });
});
