import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { ROLES, urlAs } from '../db/roles';
import type { Db } from '../db/connection';
import type { Database } from '../db/types';
import { LiveHub } from '../dashboard/live';
import { WorkflowView } from '../dashboard/workflows';
import { readOverview, readPoolDelta, readPoolWindow, type Cursor } from '../dashboard/queries';
import {
  createBenchPool,
  openPoolOrderCount,
  seedTicks,
  startTicker,
  type MarketWorkerHarness,
} from './market';
import type { BenchInfra } from './stack';
import { mapLimit, sleep, summarize, type Summary } from './stats';

/*
 * What the dashboard costs the database with N pools running (market maker + spread saga each, a
 * moving market, takers trading): each read a page load or a live update makes, timed over repeats,
 * and its rows read and buffers touched from EXPLAIN (ANALYZE, BUFFERS) of the very statements it
 * sent (captured through Kysely's query log). Then the live stream's fan-out: the notifications the
 * one LISTEN connection receives against the reads it makes for the pages watching.
 */

export interface DashboardBenchOptions {
  pools: number;
  warmupSeconds: number;
  repeats: number;
  liveSeconds: number;
  pages: number;
  log: (line: string) => void;
}

export interface DashboardCostRow {
  operation: string;
  statements: number;
  ms: Summary;
  rowsRead: number;
  rowsReturned: number;
  buffers: number;
}

export interface DashboardBenchResult {
  pools: number;
  warmupSeconds: number;
  tradesInWarmup: number;
  costs: DashboardCostRow[];
  temporal: { statusCallsMs: Summary; pools: number };
  live: {
    seconds: number;
    pages: number;
    watchedPools: number;
    notificationsPerSecond: number;
    poolReadsPerSecond: number;
    overviewRefreshesPerSecond: number;
    deltasDelivered: number;
    /** Reads a naive design would make: one per notification per page watching. */
    naiveReadsPerSecond: number;
  };
}

interface Captured {
  sql: string;
  parameters: readonly unknown[];
}

/** A read-only Db whose statements are recorded, to be explained afterwards. */
function capturingDb(url: string): { db: Db; take(): Captured[]; close(): Promise<void> } {
  let captured: Captured[] = [];
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    options: '-c default_transaction_read_only=on',
    application_name: 'bench-dashboard',
  });
  pool.on('error', () => {});
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (e: LogEvent) => {
      if (e.level === 'query') captured.push({ sql: e.query.sql, parameters: e.query.parameters });
    },
  });
  return {
    db,
    take: () => {
      const out = captured;
      captured = [];
      return out;
    },
    close: () => db.destroy(),
  };
}

interface PlanNode {
  'Node Type': string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

const SCANS = /Scan$/;

/** Rows the scans touched (returned plus filtered away, per loop) and the buffers of the statement. */
function planCost(root: PlanNode): { rowsRead: number; rowsReturned: number; buffers: number } {
  let rowsRead = 0;
  const walk = (n: PlanNode) => {
    if (SCANS.test(n['Node Type']) && n['Node Type'] !== 'Bitmap Index Scan') {
      rowsRead +=
        ((n['Actual Rows'] ?? 0) +
          (n['Rows Removed by Filter'] ?? 0) +
          (n['Rows Removed by Index Recheck'] ?? 0)) *
        (n['Actual Loops'] ?? 1);
    }
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(root);
  return {
    rowsRead,
    rowsReturned: root['Actual Rows'] ?? 0,
    buffers: (root['Shared Hit Blocks'] ?? 0) + (root['Shared Read Blocks'] ?? 0),
  };
}

async function explainAll(url: string, statements: Captured[]) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    let rowsRead = 0;
    let rowsReturned = 0;
    let buffers = 0;
    for (const s of statements) {
      const r = await c.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `explain (analyze, buffers, format json) ${s.sql}`,
        s.parameters as unknown[],
      );
      const cost = planCost(r.rows[0]!['QUERY PLAN'][0]!.Plan);
      rowsRead += cost.rowsRead;
      rowsReturned += cost.rowsReturned;
      buffers += cost.buffers;
    }
    return { rowsRead, rowsReturned, buffers };
  } finally {
    await c.end().catch(() => {});
  }
}

export async function runDashboardBench(
  infra: BenchInfra,
  mm: MarketWorkerHarness,
  o: DashboardBenchOptions,
): Promise<DashboardBenchResult> {
  const { log } = o;
  const dashboardUrl = urlAs(infra.dbUrl, ROLES.dashboard);
  const poolIds = Array.from({ length: o.pools }, (_, i) => `dash-${infra.runId}-${i + 1}`);
  log(`[bench] dashboard: creating and starting ${o.pools} pools…`);
  const feeds: string[] = [];
  await mapLimit(poolIds, 8, async (id) => feeds.push((await createBenchPool(mm.client, id)).feed));
  await seedTicks(infra.db, feeds);
  const ticker = startTicker(infra.db, feeds, 1000, 'moving');
  let trading = true;
  let trades = 0;
  const reads = capturingDb(dashboardUrl);
  const hub = new LiveHub(reads.db, dashboardUrl);
  try {
    await mapLimit(poolIds, 8, (id) => mm.startPool(id, { refreshIntervalMs: 1000 }));
    const deadline = Date.now() + 120_000;
    while ((await openPoolOrderCount(infra.db, poolIds)) < poolIds.length * 2 && Date.now() < deadline)
      await sleep(500);

    // Takers: one IOC order a second on each of a tenth of the pools, round robin, lifting the best ask.
    const takers = (async () => {
      let k = 0;
      while (trading) {
        const batch = poolIds.filter((_, i) => i % 10 === k % 10);
        k++;
        await Promise.all(
          batch.map(async (poolId) => {
            const ask = await infra.db
              .selectFrom('orders')
              .select(['price'])
              .where('pool_id', '=', poolId)
              .where('side', '=', 'sell')
              .where('status', '=', 'open')
              .orderBy('price')
              .limit(1)
              .executeTakeFirst();
            if (!ask) return;
            const r = await mm.client
              .submitOrder({
                poolId,
                clientOrderId: `dash-${k}-${poolId}`,
                side: 'buy',
                type: 'ioc',
                price: ask.price,
                quantity: '0.05',
              })
              .catch(() => undefined);
            trades += r?.fills.length ?? 0;
          }),
        );
        await sleep(100);
      }
    })();
    log(`[bench] dashboard: ${o.warmupSeconds} s of market history…`);
    await sleep(o.warmupSeconds * 1000);
    const tradesInWarmup = trades;

    const costs: DashboardCostRow[] = [];
    const measure = async (operation: string, fn: () => Promise<unknown>) => {
      const ms: number[] = [];
      let last: Captured[] = [];
      for (let i = 0; i < o.repeats; i++) {
        reads.take();
        const t0 = performance.now();
        await fn();
        ms.push(performance.now() - t0);
        last = reads.take();
      }
      const cost = await explainAll(dashboardUrl, last);
      costs.push({ operation, statements: last.length, ms: summarize(ms), ...cost });
      log(`[bench] dashboard: ${operation}: ${summarize(ms).p50.toFixed(1)} ms, ${cost.rowsRead} rows read`);
    };
    const focus = poolIds[0]!;
    const now = () => Date.now();
    await measure(`overview (${o.pools} pools, one statement)`, () => readOverview(reads.db));
    for (const [label, span] of [
      ['15 min', 15 * 60_000],
      ['1 h', 3600_000],
    ] as const) {
      await measure(`pool page load, ${label} window`, () =>
        readPoolWindow(reads.db, focus, { fromMs: now() - span, toMs: now(), window: null }),
      );
    }
    let cursor: Cursor = (
      await readPoolWindow(reads.db, focus, { fromMs: now() - 60_000, toMs: now(), window: null })
    ).cursor;
    await measure('live update (one coalesced read, ~1 s of changes)', async () => {
      await sleep(1000);
      const t0 = performance.now();
      const d = await readPoolDelta(reads.db, focus, cursor);
      cursor = d.cursor;
      return performance.now() - t0;
    });
    // The sleep is not the read's cost: time the read alone for this row.
    const liveRow = costs[costs.length - 1]!;
    const liveMs: number[] = [];
    for (let i = 0; i < o.repeats; i++) {
      await sleep(1000);
      const t0 = performance.now();
      cursor = (await readPoolDelta(reads.db, focus, cursor)).cursor;
      liveMs.push(performance.now() - t0);
    }
    liveRow.ms = summarize(liveMs);
    reads.take();

    const statusMs: number[] = [];
    for (let i = 0; i < Math.min(o.repeats, 5); i++) {
      const view = new WorkflowView(mm.client, undefined, infra.temporal.namespace);
      const t0 = performance.now();
      await view.forPools(poolIds, true);
      statusMs.push(performance.now() - t0);
    }

    // The live stream: `pages` pages over a fifth of the pools, for `liveSeconds`.
    await hub.start();
    const watched = poolIds.slice(0, Math.max(1, Math.ceil(o.pools / 5)));
    let delivered = 0;
    const unsubscribe: Array<() => void> = [];
    for (let p = 0; p < o.pages; p++) {
      const poolId = watched[p % watched.length]!;
      const c = (await readPoolWindow(reads.db, poolId, { fromMs: now() - 1000, toMs: now(), window: null }))
        .cursor;
      unsubscribe.push(hub.subscribePool(poolId, c, () => delivered++));
    }
    unsubscribe.push(hub.subscribeOverview(() => {}));
    const before = { ...hub.stats };
    await sleep(o.liveSeconds * 1000);
    const after = { ...hub.stats };
    for (const u of unsubscribe) u();
    const rate = (k: 'notifications' | 'poolReads' | 'overviewRefreshes') =>
      (after[k] - before[k]) / o.liveSeconds;
    const perPoolNotifications = rate('notifications') / o.pools;

    trading = false;
    await takers;
    return {
      pools: o.pools,
      warmupSeconds: o.warmupSeconds,
      tradesInWarmup,
      costs,
      temporal: { statusCallsMs: summarize(statusMs), pools: o.pools },
      live: {
        seconds: o.liveSeconds,
        pages: o.pages,
        watchedPools: watched.length,
        notificationsPerSecond: rate('notifications'),
        poolReadsPerSecond: rate('poolReads'),
        overviewRefreshesPerSecond: rate('overviewRefreshes'),
        deltasDelivered: delivered,
        naiveReadsPerSecond: perPoolNotifications * o.pages,
      },
    };
  } finally {
    trading = false;
    await hub.close();
    await ticker.stop();
    await mapLimit(poolIds, 8, (id) => mm.stopPool(id, 'bench done').catch(() => {}));
    await reads.close();
  }
}

const n1 = (x: number) => x.toFixed(1);

export function dashboardMarkdown(r: DashboardBenchResult): string[] {
  return [
    `## Dashboard cost with ${r.pools} pools running`,
    '',
    `${r.pools} pools quoting at a 1 s refresh in a moving market, takers lifting asks (${r.tradesInWarmup} trades in ${r.warmupSeconds} s of history before measuring). ` +
      'The dashboard reads as `lpmm_dashboard` (read-only). ms: wall time of the read from the dashboard process; rows read: rows its scans touched ' +
      '(returned + filtered away, per loop) and buffers from EXPLAIN (ANALYZE, BUFFERS) of the same statements.',
    '',
    '| read | statements | p50 ms | p95 ms | rows read | rows returned | buffers |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.costs.map(
      (c) =>
        `| ${c.operation} | ${c.statements} | ${n1(c.ms.p50)} | ${n1(c.ms.p95)} | ${c.rowsRead} | ${c.rowsReturned} | ${c.buffers} |`,
    ),
    '',
    `Temporal side of a first overview load (cold cache: one visibility list + each running pool's status, 8 at a time): ` +
      `p50 ${n1(r.temporal.statusCallsMs.p50)} ms for ${r.temporal.pools} pools. Later loads answer from the cache, which is refreshed ` +
      'in the background when older than 10 s (a pool page: 2 s).',
    '',
    `Live stream: ${r.live.pages} pages on ${r.live.watchedPools} pools for ${r.live.seconds} s. The one LISTEN connection received ` +
      `${n1(r.live.notificationsPerSecond)} notifications/s (trades, pool changes, ticks of all ${r.pools} pools); it made ` +
      `${n1(r.live.poolReadsPerSecond)} pool reads/s (coalesced per pool, at most 4/s each, shared by its pages) and ` +
      `${n1(r.live.overviewRefreshesPerSecond)} overview refreshes/s; one read per notification per page would have been ${n1(r.live.naiveReadsPerSecond)}/s. ` +
      `${r.live.deltasDelivered} deltas delivered to pages.`,
    '',
  ];
}
