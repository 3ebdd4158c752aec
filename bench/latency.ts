import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { sql } from 'kysely';
import { createDb } from '../db/connection';
import { Big, formatDecimal } from '../domain/money';
import { marketMakerStream, poolOwner } from '../domain/streams';
import { createRoundTripActivities, createRoundTripTable } from './fixtures/roundtrip-activities';
import { finishSignal, goSignal } from './fixtures/roundtrip-workflow';
import {
  createBenchPool,
  openPoolOrderCount,
  seedTicks,
  startTicker,
  type MarketWorkerHarness,
} from './market';
import { runWorker, type BenchInfra } from './stack';
import { sleep, summarize, wallMs, type Summary } from './stats';

/*
 * Trade-to-requote latency beside a bare Temporal signal -> activity -> Postgres row round trip,
 * sampled alternately in the same run so load from elsewhere on the machine hits both alike.
 *
 * Requote: an IOC taker lifts (or hits) the pool's whole best level through client.submitOrder,
 * which commits the trade; the commit notifies the pool's channel and the worker's listener wakes
 * the quoting session, which reconciles in one transaction. Start = the commit (the taker client's
 * pool connection is released right after COMMIT). End = created_at (clock_timestamp() at insert)
 * of the session's next quotes_updated event, the last row its reconcile transaction writes before
 * committing. The session runs with a 60 s refresh and the saga with a 60 s catch-up, so only the
 * trade can cause the requote.
 *
 * Baseline: signal sent -> RoundTripWorkflow runs one activity -> one INSERT committed (the row's
 * clock_timestamp()). Both clocks are this machine's wall clock.
 */

const FIXTURE_WORKFLOWS = fileURLToPath(new URL('./fixtures/roundtrip-workflow.ts', import.meta.url));

export interface LatencyOptions {
  samples: number;
  warmup: number;
  /** Give up on one sample after this long (counted as missed). */
  timeoutMs: number;
  /** Poll interval for detection; precision comes from the database timestamps, not from this. */
  pollMs: number;
  log: (l: string) => void;
}

export interface LatencyResult {
  requote: Summary;
  roundTrip: Summary;
  requoteMissed: number;
  roundTripMissed: number;
  /** Requotes whose reconcile placed at least one new order. */
  requotesPlacing: number;
  /** Trades for which the saga adjusted the spread (an extra activity on the path). */
  spreadAdjustments: number;
  openPoolOrdersAfterStop: number;
  samples: { requoteMs: number[]; roundTripMs: number[] };
}

async function poll<T>(
  deadlineMs: number,
  everyMs: number,
  fn: () => Promise<T | undefined>,
): Promise<T | undefined> {
  while (Date.now() < deadlineMs) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  return undefined;
}

export async function runLatencyBench(
  infra: BenchInfra,
  mm: MarketWorkerHarness,
  o: LatencyOptions,
): Promise<LatencyResult> {
  const { db, runId } = infra;
  const { client } = mm;
  await createRoundTripTable(db);
  const rtDb = createDb(infra.dbUrl, { maxConnections: 5, applicationName: 'bench-roundtrip' });
  const rtQueue = `bench-rt-${runId}`;
  const rtWorker = runWorker(
    await Worker.create({
      connection: infra.nativeConnection,
      namespace: infra.temporal.namespace,
      taskQueue: rtQueue,
      workflowsPath: FIXTURE_WORKFLOWS,
      activities: createRoundTripActivities(rtDb),
    }),
  );
  const rt = await infra.temporalClient.workflow.start('RoundTripWorkflow', {
    taskQueue: rtQueue,
    workflowId: `bench-roundtrip-${runId}`,
    args: [{ runId }],
  });

  const poolId = `lat-${runId}`;
  const { feed } = await createBenchPool(client, poolId);
  await seedTicks(db, [feed]);
  const ticker = startTicker(db, [feed]);
  const stream = marketMakerStream(poolId);
  const owner = poolOwner(poolId);
  let openAfter = -1;
  try {
    await mm.startPool(poolId, { refreshIntervalMs: 60_000, catchUpIntervalMs: 60_000 });
    const ready = await poll(Date.now() + 60_000, 100, async () => {
      const s = await client.status(poolId).catch(() => undefined);
      return s && s.state === 'quoting' && s.bids.length > 0 && s.asks.length > 0 ? s : undefined;
    });
    if (!ready) throw new Error(`market maker of ${poolId} did not quote within 60 s`);

    const mmVersion = async () => {
      const r = await sql<{
        v: string | null;
      }>`select max(stream_version) as v from events where stream_id = ${stream}`.execute(db);
      return Number(r.rows[0]!.v ?? 0);
    };
    const spreadAdjustedCount = async () => {
      const r = await sql<{
        n: string;
      }>`select count(*) as n from events where stream_id = ${`pool-${poolId}`} and type = 'spread_adjusted'`.execute(
        db,
      );
      return Number(r.rows[0]!.n);
    };

    let seq = 0;
    const requoteOnce = async (): Promise<{ ms: number; placed: number } | undefined> => {
      const i = seq++;
      const side = i % 2 === 0 ? 'buy' : 'sell';
      const makerSide = side === 'buy' ? 'sell' : 'buy';
      const best = (
        await sql<{ price: string; left: string }>`
          select price, quantity - filled_quantity as left from orders
          where pool_id = ${poolId} and owner = ${owner} and status = 'open' and side = ${makerSide}
          order by price ${sql.raw(makerSide === 'sell' ? 'asc' : 'desc')}, seq limit 1`.execute(db)
      ).rows[0];
      if (!best) {
        await sleep(200);
        return undefined;
      }
      const before = await mmVersion();
      const r = await client.submitOrder({
        poolId,
        clientOrderId: `lat-${i}`,
        side,
        type: 'ioc',
        price: formatDecimal(new Big(best.price)),
        quantity: formatDecimal(new Big(best.left)),
      });
      const committedAt = mm.lastCommitMs();
      if (r.fills.length === 0) return undefined;
      const ev = await poll(Date.now() + o.timeoutMs, o.pollMs, async () => {
        const row = (
          await sql<{ t: number; placed: string }>`
            select extract(epoch from created_at) * 1000 as t, payload->>'placed' as placed from events
            where stream_id = ${stream} and stream_version > ${before} and type = 'quotes_updated'
              and created_at > to_timestamp(${committedAt / 1000})
            order by stream_version limit 1`.execute(db)
        ).rows[0];
        return row ? { ms: Number(row.t) - committedAt, placed: Number(row.placed) } : undefined;
      });
      await sleep(150); // let the cycle finish before the next trade
      return ev;
    };

    const roundTripOnce = async (): Promise<number | undefined> => {
      const i = seq++;
      const sentAt = wallMs();
      await rt.signal(goSignal, { seq: i });
      const t = await poll(Date.now() + o.timeoutMs, o.pollMs, async () => {
        const row = (
          await sql<{
            t: number;
          }>`select extract(epoch from committed_at) * 1000 as t from bench_roundtrip where run_id = ${runId} and seq = ${i}`.execute(
            db,
          )
        ).rows[0];
        return row ? Number(row.t) : undefined;
      });
      await sleep(150);
      return t === undefined ? undefined : t - sentAt;
    };

    for (let w = 0; w < o.warmup; w++) {
      await requoteOnce();
      await roundTripOnce();
    }
    const adjustedBefore = await spreadAdjustedCount();
    const requoteMs: number[] = [];
    const roundTripMs: number[] = [];
    let requoteMissed = 0;
    let roundTripMissed = 0;
    let placing = 0;
    for (let s = 0; s < o.samples; s++) {
      const a = await requoteOnce();
      if (a) {
        requoteMs.push(a.ms);
        if (a.placed > 0) placing++;
      } else requoteMissed++;
      const b = await roundTripOnce();
      if (b === undefined) roundTripMissed++;
      else roundTripMs.push(b);
      if ((s + 1) % 25 === 0) o.log(`[latency] ${s + 1}/${o.samples} samples`);
    }
    const spreadAdjustments = (await spreadAdjustedCount()) - adjustedBefore;
    await mm.stopPool(poolId, 'benchmark done');
    openAfter = await openPoolOrderCount(db, [poolId]);
    return {
      requote: summarize(requoteMs),
      roundTrip: summarize(roundTripMs),
      requoteMissed,
      roundTripMissed,
      requotesPlacing: placing,
      spreadAdjustments,
      openPoolOrdersAfterStop: openAfter,
      samples: { requoteMs, roundTripMs },
    };
  } finally {
    if (openAfter < 0) await mm.stopPool(poolId, 'benchmark aborted').catch(() => {});
    await ticker.stop();
    await rt.signal(finishSignal).catch(() => {});
    await rt.result().catch(() => {});
    await rtWorker.stop();
    await rtDb.destroy().catch(() => {});
  }
}
