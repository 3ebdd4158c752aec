import { sql } from 'kysely';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { expect } from 'vitest';
import type { Db } from '../../db/connection';
import type { MarketMakingClient } from '../../client';
import { DomainValidationError } from '../../domain/errors';
import { createFundedPool, openPoolOrders, seedTicks, waitFor } from './market';

/*
 * What the boundary tests assert about every refusal: it names the offending field, and nothing
 * was written. "Nothing" is checked on every table, by row count and by a digest of the rows (an
 * UPDATE changes the digest too), so a refused command that changed a config, a spread or a fence
 * generation is caught as surely as one that appended an event.
 */

export const TABLES = [
  'pools',
  'orders',
  'trades',
  'events',
  'liquidity_positions',
  'price_ticks',
  'checkpoints',
  'principals',
] as const;

export type TableSnapshot = Record<(typeof TABLES)[number], { rows: number; digest: string }>;

/*
 * The market maker's fence (pools.mm_generation, mm_attempt) is left out of the digest: a running
 * market maker takes a new generation whenever it continues as new (which the test server suggests
 * after 200 history events, so a sweep of signals reaches it) or its session moves to a new
 * attempt. A refused pause or stop that had been carried out anyway would still show: it appends
 * an event and cancels the resting orders.
 */
export async function tableSnapshot(db: Db): Promise<TableSnapshot> {
  const out = {} as TableSnapshot;
  for (const table of TABLES) {
    const r = await sql<{ rows: string; digest: string | null }>`
      select count(*)::text as rows,
             md5(coalesce(string_agg(r.j, '|' order by r.j), '')) as digest
      from (select (to_jsonb(t) - 'mm_generation' - 'mm_attempt')::text as j from ${sql.table(table)} t) r`.execute(
      db,
    );
    out[table] = { rows: Number(r.rows[0]!.rows), digest: r.rows[0]!.digest ?? '' };
  }
  return out;
}

/**
 * Waits until two snapshots a moment apart are equal (a freshly started market maker settles
 * after its first cycles), then returns it. A setup step, not an assertion: it only waits.
 */
export async function settledSnapshot(db: Db, timeoutMs = 60_000): Promise<TableSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last = await tableSnapshot(db);
  let sameInARow = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const next = await tableSnapshot(db);
    sameInARow = JSON.stringify(next) === JSON.stringify(last) ? sameInARow + 1 : 0;
    last = next;
    if (sameInARow >= 4) return last;
  }
  throw new Error(`the database did not settle within ${timeoutMs} ms`);
}

function firstEventFrom(history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
}

/** A refusal from the domain or the client library: a DomainValidationError naming `field`. */
export function expectFieldRefusal(err: unknown, field: string | RegExp, what: string): void {
  expect(err, `${what}: should be refused`).toBeInstanceOf(DomainValidationError);
  const e = err as DomainValidationError;
  if (typeof field === 'string') expect(e.field, `${what}: ${e.message}`).toBe(field);
  else expect(e.field, `${what}: ${e.message}`).toMatch(field);
  expect(e.message, what).toContain(e.field);
}

/** Runs `fn` expecting it to throw; returns what it threw. */
export async function refusalOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/**
 * No workflow task failed (a failed task would retry forever on bad input): in the handle's run,
 * or with allRuns in every run of its chain (a market maker continues as new).
 */
export async function expectNoFailedWorkflowTask(
  handle: WorkflowHandle,
  opts: { allRuns?: boolean } = {},
): Promise<void> {
  const histories = [await handle.fetchHistory()];
  if (opts.allRuns) {
    // Each run's first event names the run it continued from: walk back to the first.
    for (let from = firstEventFrom(histories[0]!); from; from = firstEventFrom(histories.at(-1)!)) {
      histories.push(await handle.client.getHandle(handle.workflowId, from).fetchHistory());
    }
  }
  // UNHANDLED_COMMAND is the server's own answer when a signal arrives while the workflow completes
  // or continues as new: the task is retried with the signal at once. Any other cause is a failure.
  const unhandledCommand =
    proto.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  const failed = histories
    .flatMap((h) => h.events ?? [])
    .filter((e) => e.workflowTaskFailedEventAttributes)
    .filter((e) => e.workflowTaskFailedEventAttributes!.cause !== unhandledCommand);
  expect(
    failed.map((e) => e.workflowTaskFailedEventAttributes?.failure?.message),
    `${handle.workflowId}: failed workflow tasks`,
  ).toEqual([]);
  const described = await handle.describe();
  expect(
    described.raw.pendingWorkflowTask?.attempt ?? 1,
    `${handle.workflowId}: workflow task attempts`,
  ).toBe(1);
}

/**
 * A pool whose market maker quotes and then writes nothing while nobody trades: quotes live an
 * hour, the seeded price never counts as stale, and no ticker runs. Refused commands against it
 * can then be checked against a settled snapshot of every table.
 */
export const QUIET_CONFIG = {
  quoting: { quoteTtlMs: 3_600_000, maxOrderAgeMs: 86_400_000 },
  risk: { maxPriceAgeSeconds: 31_536_000 },
};

export async function startQuietPool(
  client: MarketMakingClient,
  db: Db,
): Promise<{ poolId: string; feed: string; quotes: string[] }> {
  const { poolId, feed } = await createFundedPool(client, { config: QUIET_CONFIG });
  await seedTicks(db, feed, Array(30).fill('2000'));
  await client.startPool(poolId, { refreshIntervalMs: 500 });
  const quotes = await waitFor('the quiet pool quoting', async () => {
    const s = await client.status(poolId);
    const open = await openPoolOrders(db, poolId);
    return s.sessionRunning && open.length > 0 ? open.map((o) => o.id).sort() : undefined;
  });
  return { poolId, feed, quotes };
}
