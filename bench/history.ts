import proto from '@temporalio/proto';
import { openOrders } from '../db/order-book';
import { poolOwner } from '../domain/streams';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from '../workflows/ids';
import { createBenchPool, seedTicks, startTicker, type MarketWorkerHarness } from './market';
import type { BenchInfra } from './stack';
import { sleep } from './stats';

/*
 * Temporal history bytes per pool-hour for the two workflows of a pool together, in a steady market
 * with takers trading against every pool every second. The history should grow with decisions
 * (spread changes, risk actions, operator commands), not with cycles or trades. Each workflow's
 * history is read before and after the window and measured as the protobuf bytes the server stores;
 * the growth is scaled to an hour. The saga's catch-up runs every `catchUpMs` (default in the
 * benchmark: 60 s, five times the production default), so the figure is an upper bound.
 */

export interface HistoryOptions {
  pools: number;
  windowMs: number;
  catchUpMs: number;
  log: (l: string) => void;
}

export interface HistoryResult {
  pools: number;
  windowSeconds: number;
  trades: number;
  /** Cycles the sessions ran in the window (all pools). */
  cycles: number;
  catchUpMs: number;
  /** Per pool, both workflows together. */
  bytesPerPoolHour: number;
  eventsPerPoolHour: number;
  perWorkflow: Array<{ workflowId: string; bytes: number; events: number }>;
  /** The baseline: the same pool-hour on the first version's per-cycle workflow (measured then). */
  baselineBytesPerPoolHour: number;
}

/** Measured on the per-cycle design (issue 9): about 143 MB per pool-hour for the two workflows. */
const PER_CYCLE_DESIGN_BYTES_PER_POOL_HOUR = 143e6;

async function historySize(infra: BenchInfra, workflowId: string) {
  const h = await infra.temporalClient.workflow.getHandle(workflowId).fetchHistory();
  return {
    bytes: proto.temporal.api.history.v1.History.encode(h).finish().length,
    events: h.events?.length ?? 0,
  };
}

export async function runHistoryBench(
  infra: BenchInfra,
  mm: MarketWorkerHarness,
  o: HistoryOptions,
): Promise<HistoryResult> {
  const poolIds = Array.from({ length: o.pools }, (_, i) => `hist-${infra.runId}-${i}`);
  const feeds = [];
  for (const id of poolIds) feeds.push((await createBenchPool(mm.client, id)).feed);
  await seedTicks(infra.db, feeds);
  const ticker = startTicker(infra.db, feeds, 1000, 'quiet');
  const workflowIds = poolIds.flatMap((id) => [marketMakerWorkflowId(id), spreadSagaWorkflowId(id)]);
  let trades = 0;
  let stopTakers = false;
  try {
    for (const id of poolIds)
      await mm.startPool(id, { refreshIntervalMs: 1000, catchUpIntervalMs: o.catchUpMs });
    // Warm up: every pool quoting, and the start-up's own history written.
    for (const id of poolIds) {
      const deadline = Date.now() + 60_000;
      while ((await openOrders(infra.db, id, poolOwner(id))).length < 2) {
        if (Date.now() > deadline) throw new Error(`pool ${id} did not quote within 60 s`);
        await sleep(200);
      }
    }
    await sleep(3000);
    const before = await Promise.all(workflowIds.map((w) => historySize(infra, w)));
    const cycles0 = poolIds.reduce((a, id) => a + (mm.cycles.get(id)?.length ?? 0), 0);
    o.log(`[history] ${o.pools} pools quoting; takers trade every second for ${o.windowMs / 1000} s`);
    // Takers: each pool, every second, an IOC against the best quote, buying and selling in turn.
    const takers = (async () => {
      let n = 0;
      while (!stopTakers) {
        const t0 = Date.now();
        await Promise.all(
          poolIds.map(async (id) => {
            const book = await openOrders(infra.db, id, poolOwner(id));
            const side = n % 2 === 0 ? 'buy' : 'sell';
            const maker = book
              .filter((q) => q.side !== side)
              .sort((a, b) =>
                side === 'buy' ? Number(a.price) - Number(b.price) : Number(b.price) - Number(a.price),
              )[0];
            if (!maker) return;
            const r = await mm.client
              .submitOrder({
                poolId: id,
                clientOrderId: `h-${n}-${id}`,
                side,
                type: 'ioc',
                price: maker.price,
                quantity: '0.01',
              })
              .catch(() => undefined);
            trades += r?.fills.length ?? 0;
          }),
        );
        n++;
        await sleep(Math.max(0, 1000 - (Date.now() - t0)));
      }
    })();
    const start = Date.now();
    await sleep(o.windowMs);
    const windowMs = Date.now() - start;
    const after = await Promise.all(workflowIds.map((w) => historySize(infra, w)));
    stopTakers = true;
    await takers;
    const cycles = poolIds.reduce((a, id) => a + (mm.cycles.get(id)?.length ?? 0), 0) - cycles0;
    const perWorkflow = workflowIds.map((w, i) => ({
      workflowId: w,
      bytes: after[i]!.bytes - before[i]!.bytes,
      events: after[i]!.events - before[i]!.events,
    }));
    const scale = 3_600_000 / windowMs / o.pools;
    const result: HistoryResult = {
      pools: o.pools,
      windowSeconds: windowMs / 1000,
      trades,
      cycles,
      catchUpMs: o.catchUpMs,
      bytesPerPoolHour: perWorkflow.reduce((a, w) => a + w.bytes, 0) * scale,
      eventsPerPoolHour: perWorkflow.reduce((a, w) => a + w.events, 0) * scale,
      perWorkflow,
      baselineBytesPerPoolHour: PER_CYCLE_DESIGN_BYTES_PER_POOL_HOUR,
    };
    o.log(
      `[history] ${trades} trades, ${cycles} cycles in ${result.windowSeconds.toFixed(0)} s: ` +
        `${(result.bytesPerPoolHour / 1000).toFixed(1)} KB and ${result.eventsPerPoolHour.toFixed(0)} events per pool-hour ` +
        `(saga catch-up every ${o.catchUpMs / 1000} s)`,
    );
    return result;
  } finally {
    stopTakers = true;
    await ticker.stop();
    for (const id of poolIds) await mm.stopPool(id, 'history benchmark done').catch(() => undefined);
  }
}
