import { sql } from 'kysely';
import { MarketMakingClient } from '../client';
import { createDb } from '../db/connection';
import { killAll, spawnWorker, type WorkerProcess } from '../devenv/worker-process';
import { marketMakerStream } from '../domain/streams';
import { createBenchPool, seedTicks, startTicker } from './market';
import type { BenchInfra } from './stack';
import { sleep, summarize, type Summary } from './stats';

/*
 * Recovery after a worker dies: two deployable worker processes (worker/main.ts) share one task
 * queue; the one running the pool's quoting session is SIGKILLed, again and again. Every tick moves
 * the price past the refresh tolerance, so a live session requotes every cycle. Recovery = from the
 * kill to the first quotes_updated written by a newer session attempt (the server notices the dead
 * attempt by its heartbeat timeout, retries it on the survivor, and the new attempt claims the fence
 * and quotes). The killed worker is started again before the next kill, so two are always there.
 * Baseline: the heartbeat timeout itself, the time the server waits before it may move the session.
 */

export interface RecoveryOptions {
  kills: number;
  heartbeatTimeoutMs: number;
  log: (l: string) => void;
}

export interface RecoveryResult {
  kills: number;
  recovered: number;
  recoveryMs: Summary;
  samplesMs: number[];
  heartbeatTimeoutMs: number;
}

function startWorker(infra: BenchInfra, taskQueue: string, name: string): WorkerProcess {
  return spawnWorker({
    TEMPORAL_ADDRESS: infra.temporal.address,
    TEMPORAL_NAMESPACE: infra.temporal.namespace,
    TASK_QUEUE: taskQueue,
    DATABASE_URL: infra.urls.worker,
    WORKER_IDENTITY: name,
    LOG_LEVEL: 'error',
  });
}

export async function runRecoveryBench(infra: BenchInfra, o: RecoveryOptions): Promise<RecoveryResult> {
  const taskQueue = `bench-recovery-${infra.runId}`;
  const clientDb = createDb(infra.urls.trader, {
    maxConnections: 4,
    applicationName: 'bench-recovery-client',
  });
  const client = new MarketMakingClient({ client: infra.temporalClient, taskQueue, db: clientDb });
  const workers = new Map<string, WorkerProcess>();
  for (const name of ['recovery-a', 'recovery-b']) workers.set(name, startWorker(infra, taskQueue, name));
  const poolId = `recovery-${infra.runId}`;
  const { feed } = await createBenchPool(client, poolId);
  await seedTicks(infra.db, [feed]);
  const ticker = startTicker(infra.db, [feed], 250, 'moving');
  const stream = marketMakerStream(poolId);
  const samples: number[] = [];
  try {
    await client.startPool(poolId, { refreshIntervalMs: 1000, heartbeatTimeoutMs: o.heartbeatTimeoutMs });
    const session = async () => {
      const d = await client.marketMaker(poolId).describe();
      const a = d.raw.pendingActivities?.find((x) => x.activityType?.name === 'runQuotingSession');
      return a?.state === 2 && a.lastWorkerIdentity ? a.lastWorkerIdentity : undefined;
    };
    for (let k = 0; k < o.kills; k++) {
      let holder: string | undefined;
      const deadline = Date.now() + 60_000;
      while (!(holder = await session()) || !workers.has(holder)) {
        if (Date.now() > deadline) throw new Error('no worker took the quoting session within 60 s');
        await sleep(200);
      }
      // Let the session settle on its worker (and the other worker start polling) before the kill.
      await sleep(2000);
      const fence = (
        await sql<{
          g: string;
          a: number;
        }>`select mm_generation::text as g, mm_attempt as a from pools where id = ${poolId}`.execute(infra.db)
      ).rows[0]!;
      const victim = workers.get(holder)!;
      const killedAt = Date.now();
      await victim.kill();
      const oldPrefix = `mm/${poolId}/g${fence.g}a${fence.a}c`;
      let recoveredAt: number | undefined;
      while (Date.now() < killedAt + 60_000) {
        const row = (
          await sql<{ t: number }>`
            select extract(epoch from created_at) * 1000 as t from events
             where stream_id = ${stream} and type = 'quotes_updated' and created_at > to_timestamp(${killedAt / 1000})
               and event_id not like ${`${oldPrefix}%`}
             order by created_at limit 1`.execute(infra.db)
        ).rows[0];
        if (row) {
          recoveredAt = Number(row.t);
          break;
        }
        await sleep(50);
      }
      if (recoveredAt !== undefined) samples.push(recoveredAt - killedAt);
      o.log(
        `[recovery] kill ${k + 1}/${o.kills} of ${holder}: ${recoveredAt === undefined ? 'NOT recovered within 60 s' : `quoting again after ${recoveredAt - killedAt} ms`}`,
      );
      workers.set(holder, startWorker(infra, taskQueue, holder));
    }
    await client.stopPool(poolId, 'recovery benchmark done');
  } finally {
    await ticker.stop();
    await client.stopPool(poolId, 'recovery benchmark cleanup', { wait: false }).catch(() => undefined);
    await killAll([...workers.values()]);
    await clientDb.destroy();
  }
  return {
    kills: o.kills,
    recovered: samples.length,
    recoveryMs: summarize(samples),
    samplesMs: samples,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
  };
}
