import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { startIngester, type Ingester } from '../adapters/price-feed/ingester';
import { setUpDemoPool, startDemoTakers, submitAsOwner, type DemoTakers } from '../cli/demo-market';
import { openFeed, poolIdPrefix, type RunFeed } from '../cli/feeds';
import { streamVersion } from '../db/event-store';
import { latestTick } from '../db/price-ticks';
import { poolStream } from '../domain/streams';
import { INFORMED_OWNER, NOISE_OWNER } from '../sim/takers';
import { poolEventHintSignal, type MarketMakerStatus, type SpreadSagaStatus } from '../workflows/definitions';
import { errorMessage, sleep, withTimeout } from './async';
import { runFaultSchedule } from './faults';
import {
  assetsConserved,
  clientOrderIdsUnique,
  eventsUnique,
  fillsHaveEvents,
  noFailingWorkflowTasks,
  noRestingPoolOrders,
  sagaCheckpointsAtHead,
  streamVersionsContiguous,
  type InvariantResult,
  type WorkflowHistoryStats,
} from './invariants';
import type { ChaosOptions } from './options';
import { waitForQuotes } from './recovery';
import { faultInvariants, summarizeByKind, type ChaosResult } from './report';
import { startChaosStack, type ChaosStack } from './stack';
import { WorkerFleet } from './workers';

/*
 * One chaos run: its own Temporal server and database, a few funded pools quoted by worker
 * processes and traded against by simulated takers, faults one after another on a seeded schedule,
 * then a graceful stop of every pool and the invariants.
 */

export interface ChaosRunOptions extends ChaosOptions {
  /** A local cluster for the run's database (checked by the caller); without it, embedded Postgres. */
  databaseUrl?: string;
  /** How the run was started, for the record. */
  command: string;
  /** Range of the steady quoting between two faults (default 2-6 s). */
  gapMs?: [number, number];
  log: (line: string) => void;
}

const REFRESH_MS = 1000;
/** The market maker's default: how long a silent session is trusted before it moves. */
const HEARTBEAT_TIMEOUT_MS = 4000;
// Generous: a restarted worker process on a loaded two-core machine takes half a minute to poll.
const RECOVERY_TIMEOUT_MS = 120_000;
/** The saga's own catch-up while hints may be lost to a fault; its final catch-up is hinted. */
const SAGA_CATCH_UP_MS = 10_000;

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
}

export async function runChaos(o: ChaosRunOptions): Promise<ChaosResult> {
  const { log } = o;
  const startedAt = new Date();
  const uptimeBefore = uptime();
  const loadBefore = loadavg();
  const notes: string[] = [];
  const stack = await startChaosStack({ databaseUrl: o.databaseUrl, log });
  let ok = false;
  try {
    const result = await runOnStack(stack, o, notes);
    ok = result.ok;
    return {
      ...result,
      command: o.command,
      startedAt: startedAt.toISOString(),
      totalSeconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: {
        cpus: cpus().length,
        uptimeBefore,
        uptimeAfter: uptime(),
        loadBefore,
        loadAfter: loadavg(),
      },
      notes,
    };
  } finally {
    // A failed run on someone's cluster keeps its database for a look; an embedded one goes with the cluster.
    const keep = !ok && !stack.embeddedPostgres;
    if (keep) log(`[chaos] keeping database ${stack.dbName} for inspection (drop it when done)`);
    await stack.close({ keepDatabase: keep });
  }
}

type StackResult = Omit<ChaosResult, 'command' | 'startedAt' | 'totalSeconds' | 'machine' | 'notes'>;

async function runOnStack(stack: ChaosStack, o: ChaosRunOptions, notes: string[]): Promise<StackResult> {
  const { log } = o;
  const feed = await openFeed(
    { kind: 'sim' },
    { db: stack.db, seed: o.seed, durationMs: o.durationSeconds * 1000 },
  );
  let feedErrors = 0;
  const ingester: Ingester = startIngester({
    db: stack.db,
    feed: feed.feed,
    intervalMs: feed.pollMs,
    logger: { warn: () => {} },
    onError: () => void feedErrors++,
  });
  const fleet = new WorkerFleet(
    {
      TEMPORAL_ADDRESS: stack.temporal.address,
      TEMPORAL_NAMESPACE: stack.temporal.namespace,
      TASK_QUEUE: stack.taskQueue,
      DATABASE_URL: stack.workerDbUrl,
      WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath,
      LOG_LEVEL: 'warn',
    },
    stack.client.temporal,
    log,
  );
  let takers: DemoTakers | undefined;
  try {
    const market = await startMarket(stack, fleet, feed, o);
    takers = market.takers;
    const { faults, elapsedMs } = await runFaultSchedule(
      {
        client: stack.client,
        db: stack.db,
        adminUrl: stack.adminUrl,
        dbName: stack.dbName,
        temporal: stack.temporal,
        fleet,
        poolIds: market.poolIds,
        recoveryTimeoutMs: RECOVERY_TIMEOUT_MS,
        log,
      },
      { seed: o.seed, durationMs: o.durationSeconds * 1000, gapMs: o.gapMs ?? [2000, 6000] },
    );
    await takers.stop();
    const takerStats = takers.populations.map((p) => p.stats());
    takers = undefined;
    const ended = await stopMarket(stack, fleet, market.poolIds, log);
    await ingester.stop();
    await fleet.close();

    log(`[chaos] checking invariants`);
    const { invariants, workflows } = await checkInvariants(stack, market.poolIds, ended);
    invariants.push({
      name: 'worker processes exited only when killed',
      pass: fleet.unexpectedExits.length === 0,
      detail: `${fleet.unexpectedExits.length} exited by themselves`,
      ...(fleet.unexpectedExits.length ? { violations: fleet.unexpectedExits } : {}),
    });
    invariants.push(...faultInvariants(faults, RECOVERY_TIMEOUT_MS));
    if (feedErrors) notes.push(`the price feed's ingester hit ${feedErrors} database errors (retried)`);
    const trades = await stack.db
      .selectFrom('trades')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return {
      ok: invariants.every((i) => i.pass),
      seed: o.seed,
      pools: market.poolIds,
      durationSeconds: o.durationSeconds,
      faultPhaseSeconds: elapsedMs / 1000,
      setup: {
        temporal: `own dev server at ${stack.temporal.address}, history in a file (kept across restarts)`,
        postgres: stack.embeddedPostgres
          ? 'throw-away embedded Postgres (fsync on)'
          : `database ${stack.dbName} on DATABASE_URL's cluster`,
        heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
        recoveryTimeoutMs: RECOVERY_TIMEOUT_MS,
      },
      byKind: summarizeByKind(faults),
      invariants,
      activity: {
        trades: Number(trades.n),
        takerOrders: takerStats.reduce((n, s) => n + s.orders, 0),
        takerErrors: takerStats.reduce((n, s) => n + s.errors, 0) + market.takerLoopErrors(),
        workerKills: fleet.kills,
        workerProcessesStarted: fleet.startedCount,
        temporalRestarts: faults.filter((f) => f.kind === 'temporal-restart' && f.error === null).length,
        connectionsTerminated: faults.reduce((n, f) => n + (f.metrics.connectionsTerminated ?? 0), 0),
      },
      workflows,
      faults,
    };
  } finally {
    await takers?.stop().catch(() => undefined);
    await ingester.stop().catch(() => undefined);
    await fleet.close();
  }
}

/** The funded pools, a worker quoting them, and the takers trading against them. */
async function startMarket(stack: ChaosStack, fleet: WorkerFleet, feed: RunFeed, o: ChaosRunOptions) {
  const { client, db } = stack;
  const runTag = `chaos-${stack.runId}`;
  const poolIds = Array.from({ length: o.pools }, (_, i) => `${poolIdPrefix({ kind: 'sim' })}-${i + 1}`);
  const scales: number[] = [];
  for (const [index, poolId] of poolIds.entries()) {
    const s = await setUpDemoPool(stack, {
      poolId,
      index,
      feedKind: 'sim',
      firstPrice: feed.firstPrice,
      strategy: 'rule_based',
      refreshMs: REFRESH_MS,
      runTag,
    });
    scales.push(s.scale);
  }
  const tickDeadline = Date.now() + 30_000;
  while (!(await latestTick(db, feed.feed.name))) {
    if (Date.now() > tickDeadline) throw new Error(`the simulated price feed stored no tick within 30 s`);
    await sleep(100);
  }
  const first = fleet.start();
  const pollMs = await fleet.waitPolling(first.identity, 120_000);
  o.log(
    `[chaos] worker ${first.identity} polling after ${(pollMs / 1000).toFixed(1)} s; starting ${poolIds.join(', ')}`,
  );
  const startedAt = Date.now();
  for (const id of poolIds)
    await client.startPool(id, { refreshIntervalMs: REFRESH_MS, catchUpIntervalMs: SAGA_CATCH_UP_MS });
  const quoting = await waitForQuotes(db, poolIds, {
    injectedAtMs: startedAt,
    restoredAtMs: startedAt,
    timeoutMs: 120_000,
  });
  if (quoting.recoveryMs === null)
    throw new Error(
      `the pools did not all quote within 120 s of their start: ${JSON.stringify(quoting.perPool)}`,
    );
  o.log(
    `[chaos] all pools quoting after ${(quoting.recoveryMs / 1000).toFixed(1)} s; takers on, faults begin`,
  );
  let loopErrors = 0;
  const takers = startDemoTakers(db, {
    submit: submitAsOwner({
      [NOISE_OWNER]: await stack.clientFor(NOISE_OWNER),
      [INFORMED_OWNER]: await stack.clientFor(INFORMED_OWNER),
    }),
    poolIds,
    scales,
    seed: o.seed,
    runTag,
    feed: feed.feed,
    onError: () => void loopErrors++,
  });
  return { poolIds, takers, takerLoopErrors: () => loopErrors };
}

interface MarketEnd {
  stops: Array<PromiseSettledResult<MarketMakerStatus | undefined>>;
  sagaFinals: Record<string, SpreadSagaStatus | { error: string }>;
}

/** The graceful end: the sagas caught up, every pool stopped, each saga's final status collected. */
async function stopMarket(
  stack: ChaosStack,
  fleet: WorkerFleet,
  poolIds: string[],
  log: (l: string) => void,
): Promise<MarketEnd> {
  const { client } = stack;
  if (fleet.alive().length === 0) await fleet.waitPolling(fleet.start().identity, 120_000);
  await catchUpSagas(stack, poolIds, 90_000, log);
  log(`[chaos] stopping the pools`);
  const stops = await Promise.allSettled(
    poolIds.map((id) => withTimeout(`stopPool(${id})`, 120_000, client.stopPool(id, 'chaos run finished'))),
  );
  const sagaFinals: MarketEnd['sagaFinals'] = {};
  for (const id of poolIds) {
    sagaFinals[id] = await withTimeout(
      `the spread saga of ${id}`,
      60_000,
      client.spreadSaga(id).result() as Promise<SpreadSagaStatus>,
    ).catch((err: unknown) => ({ error: errorMessage(err) }));
  }
  return { stops, sagaFinals };
}

async function checkInvariants(
  stack: ChaosStack,
  poolIds: string[],
  end: MarketEnd,
): Promise<{ invariants: InvariantResult[]; workflows: WorkflowHistoryStats | null }> {
  const { db } = stack;
  const stopProblems = end.stops.flatMap((s, i) =>
    s.status === 'rejected'
      ? [{ poolId: poolIds[i], problem: errorMessage(s.reason) }]
      : s.value && s.value.state !== 'stopped'
        ? [{ poolId: poolIds[i], problem: `ended in state ${s.value.state}` }]
        : [],
  );
  const invariants: InvariantResult[] = [
    {
      name: 'every market maker stopped gracefully',
      pass: stopProblems.length === 0,
      detail: `${poolIds.length - stopProblems.length} of ${poolIds.length} stopped`,
      ...(stopProblems.length ? { violations: stopProblems } : {}),
    },
    await noRestingPoolOrders(db, poolIds),
    await clientOrderIdsUnique(db),
    await eventsUnique(db),
    await streamVersionsContiguous(db),
    await assetsConserved(db, poolIds),
    await fillsHaveEvents(db),
    await sagaCheckpointsAtHead(db, end.sagaFinals),
  ];
  let workflows: WorkflowHistoryStats | null = null;
  try {
    const wf = await noFailingWorkflowTasks(stack.client.temporal, stack.taskQueue);
    invariants.push(wf.result);
    workflows = wf.stats;
  } catch (err) {
    invariants.push({
      name: 'no workflow with a failing workflow task',
      pass: false,
      detail: `could not read the histories: ${errorMessage(err)}`,
    });
  }
  return { invariants, workflows };
}

/**
 * Wakes each pool's saga until its checkpoint is the head of the pool's stream (a hint may have been
 * lost to a fault; the iteration may itself append, so it is checked again). Best effort: the
 * invariant after the stop is what counts.
 */
async function catchUpSagas(
  stack: ChaosStack,
  poolIds: string[],
  timeoutMs: number,
  log: (l: string) => void,
) {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(poolIds);
  let lastHint = 0;
  while (pending.size && Date.now() < deadline) {
    const hint = Date.now() - lastHint > 5000;
    if (hint) lastHint = Date.now();
    for (const id of [...pending]) {
      try {
        if (hint) await stack.client.spreadSaga(id).signal(poolEventHintSignal, {});
        const [status, head] = await Promise.all([
          stack.client.spreadStatus(id),
          streamVersion(stack.db, poolStream(id)),
        ]);
        if (status.checkpoint >= head) pending.delete(id);
      } catch {
        // retried
      }
    }
    if (pending.size) await sleep(250);
  }
  if (pending.size)
    log(`[chaos] sagas not caught up after ${timeoutMs / 1000} s: ${[...pending].join(', ')}`);
}
