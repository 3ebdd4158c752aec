import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { startIngester, type Ingester } from '../adapters/price-feed/ingester';
import { setUpDemoPool, startDemoTakers, submitAsOwner, type DemoTakers } from '../cli/demo-market';
import { openFeed, poolIdPrefix } from '../cli/feeds';
import { streamVersion } from '../db/event-store';
import { latestTick } from '../db/price-ticks';
import { poolStream } from '../domain/streams';
import { INFORMED_OWNER, NOISE_OWNER } from '../sim/takers';
import { poolEventHintSignal, type SpreadSagaStatus } from '../workflows/definitions';
import { injectFault, type FaultContext, type FaultRecord } from './faults';
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
import { FAULT_KINDS, FaultSchedule } from './schedule';
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
}

async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
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
  const { client, db } = stack;
  const { log } = o;
  const durationMs = o.durationSeconds * 1000;
  const runTag = `chaos-${stack.runId}`;
  const feed = await openFeed({ kind: 'sim' }, { db, seed: o.seed, durationMs });
  let feedErrors = 0;
  const ingester: Ingester = startIngester({
    db,
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
    client.temporal,
    log,
  );
  let takers: DemoTakers | undefined;
  let takerErrors = 0;
  try {
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
    log(
      `[chaos] worker ${first.identity} polling after ${(pollMs / 1000).toFixed(1)} s; starting ${poolIds.join(', ')}`,
    );
    const quotingFrom = Date.now();
    for (const id of poolIds)
      await client.startPool(id, { refreshIntervalMs: REFRESH_MS, catchUpIntervalMs: SAGA_CATCH_UP_MS });
    const firstQuotes = await waitForQuotes(db, poolIds, {
      injectedAtMs: quotingFrom,
      restoredAtMs: quotingFrom,
      timeoutMs: 120_000,
    });
    if (firstQuotes.recoveryMs === null)
      throw new Error(
        `the pools did not all quote within 120 s of their start: ${JSON.stringify(firstQuotes.perPool)}`,
      );
    log(
      `[chaos] all pools quoting after ${(firstQuotes.recoveryMs / 1000).toFixed(1)} s; takers on, faults begin`,
    );
    const takerClients = {
      [NOISE_OWNER]: await stack.clientFor(NOISE_OWNER),
      [INFORMED_OWNER]: await stack.clientFor(INFORMED_OWNER),
    };
    takers = startDemoTakers(db, {
      submit: submitAsOwner(takerClients),
      poolIds,
      scales,
      seed: o.seed,
      runTag,
      feed: feed.feed,
      onError: () => void takerErrors++,
    });

    // ---- faults, one at a time
    const ctx: FaultContext = {
      client,
      db,
      adminUrl: stack.adminUrl,
      dbName: stack.dbName,
      temporal: stack.temporal,
      fleet,
      poolIds,
      recoveryTimeoutMs: RECOVERY_TIMEOUT_MS,
      log,
    };
    const schedule = new FaultSchedule({
      seed: o.seed,
      pools: poolIds.length,
      gapMs: o.gapMs ?? [2000, 6000],
    });
    const faults: FaultRecord[] = [];
    const faultPhaseStart = Date.now();
    const elapsed = () => Date.now() - faultPhaseStart;
    // The first round (every kind once) always runs in full, so a short run still covers each kind.
    while (faults.length < FAULT_KINDS.length || elapsed() < durationMs) {
      const planned = schedule.next();
      if (faults.length >= FAULT_KINDS.length && elapsed() + planned.gapMs >= durationMs) break;
      await sleep(planned.gapMs);
      const f = await injectFault(ctx, planned);
      faults.push(f);
      const rec = f.recovery;
      log(
        `[chaos] ${String(f.seq).padStart(3)} +${(elapsed() / 1000).toFixed(0).padStart(4)} s ${f.kind.padEnd(18)} ` +
          (f.error
            ? `FAILED: ${f.error}`
            : `${rec?.recoveryMs != null ? `quoting again after ${(rec.recoveryMs / 1000).toFixed(1)} s` : rec?.measured === false ? 'nothing to measure (pools halted themselves)' : `NOT quoting within ${RECOVERY_TIMEOUT_MS / 1000} s`}; ${f.detail}`),
      );
    }
    const faultPhaseSeconds = elapsed() / 1000;

    // ---- graceful end: takers off, the sagas caught up, every pool stopped
    await takers.stop();
    const takerStats = takers.populations.map((p) => p.stats());
    takers = undefined;
    if (fleet.alive().length === 0) await fleet.waitPolling(fleet.start().identity, 120_000);
    await catchUpSagas(stack, poolIds, 90_000, log);
    log(`[chaos] stopping the pools`);
    const stops = await Promise.allSettled(
      poolIds.map((id) => withTimeout(`stopPool(${id})`, 120_000, client.stopPool(id, 'chaos run finished'))),
    );
    const sagaFinals: Record<string, SpreadSagaStatus | { error: string }> = {};
    for (const id of poolIds) {
      sagaFinals[id] = await withTimeout(
        `the spread saga of ${id}`,
        60_000,
        client.spreadSaga(id).result() as Promise<SpreadSagaStatus>,
      ).catch((err: unknown) => ({ error: message(err) }));
    }
    await ingester.stop();
    await fleet.close();

    // ---- invariants
    log(`[chaos] checking invariants`);
    const invariants: InvariantResult[] = [];
    const stopProblems = stops.flatMap((s, i) =>
      s.status === 'rejected'
        ? [{ poolId: poolIds[i], problem: message(s.reason) }]
        : s.value && s.value.state !== 'stopped'
          ? [{ poolId: poolIds[i], problem: `ended in state ${s.value.state}` }]
          : [],
    );
    invariants.push({
      name: 'every market maker stopped gracefully',
      pass: stopProblems.length === 0,
      detail: `${poolIds.length - stopProblems.length} of ${poolIds.length} stopped`,
      ...(stopProblems.length ? { violations: stopProblems } : {}),
    });
    invariants.push(await noRestingPoolOrders(db, poolIds));
    invariants.push(await clientOrderIdsUnique(db));
    invariants.push(await eventsUnique(db));
    invariants.push(await streamVersionsContiguous(db));
    invariants.push(await assetsConserved(db, poolIds));
    invariants.push(await fillsHaveEvents(db));
    invariants.push(await sagaCheckpointsAtHead(db, sagaFinals));
    let workflows: WorkflowHistoryStats | null = null;
    try {
      const wf = await noFailingWorkflowTasks(client.temporal, stack.taskQueue);
      invariants.push(wf.result);
      workflows = wf.stats;
    } catch (err) {
      invariants.push({
        name: 'no workflow with a failing workflow task',
        pass: false,
        detail: `could not read the histories: ${message(err)}`,
      });
    }
    invariants.push({
      name: 'worker processes exited only when killed',
      pass: fleet.unexpectedExits.length === 0,
      detail: `${fleet.unexpectedExits.length} exited by themselves`,
      ...(fleet.unexpectedExits.length ? { violations: fleet.unexpectedExits } : {}),
    });
    invariants.push(...faultInvariants(faults, RECOVERY_TIMEOUT_MS));

    const trades = await db
      .selectFrom('trades')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    if (feedErrors) notes.push(`the price feed's ingester hit ${feedErrors} database errors (retried)`);
    return {
      ok: invariants.every((i) => i.pass),
      seed: o.seed,
      pools: poolIds,
      durationSeconds: o.durationSeconds,
      faultPhaseSeconds,
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
        takerErrors: takerStats.reduce((n, s) => n + s.errors, 0) + takerErrors,
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
