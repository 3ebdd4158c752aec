import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { cancelAllOrders } from '../db/order-book';
import { poolOwner } from '../domain/streams';
import {
  createBenchPool,
  openPoolOrderCount,
  seedTicks,
  startTicker,
  type MarketWorkerHarness,
} from './market';
import {
  machineBusySeconds,
  postgresGroup,
  sampleAll,
  singleProcessGroup,
  usageSince,
  type GroupUsage,
  type ProcessGroup,
} from './proc-stats';
import type { BenchInfra } from './stack';
import { mapLimit, sleep, summarize, wallMs, type Summary } from './stats';

/*
 * How many pools one worker sustains at a 1 s refresh, in two markets: 'moving' (every tick moves
 * the price past the refresh tolerance, so every cycle writes) and 'quiet' (the price holds, so
 * cycles write nothing but the occasional renewal of quote lives). Each step starts N pools (market
 * maker and spread saga each, as in production), waits until every session has cycled twice, then
 * watches a window: each session's cycle start times come from the worker's cycle observer, lag =
 * interval - refresh interval. A step passes when the p99 lag is under 1 s and every pool completed
 * a cycle in the window. The pools are stopped (and checked to have no order left open) before the
 * next step.
 */

export type CapacityMarket = 'moving' | 'quiet';

export interface CapacityOptions {
  market: CapacityMarket;
  steps: number[];
  windowMs: number;
  settleMs: number;
  refreshMs: number;
  /** After the first failing step, also try the midpoint between it and the last passing one. */
  refine: boolean;
  log: (l: string) => void;
}

export interface CapacityStep {
  pools: number;
  ok: boolean;
  failure?: string;
  /** Cycle lag over every market maker in the window, ms. */
  lag: Summary;
  cyclesPerSecond: number;
  /** Cycles in the window that wrote a reconcile (with quotes_updated), a renewal only, or nothing. */
  /** Full cycles that wrote a reconcile, a renewal, nothing; light cycles (newest tick checked in memory). */
  writes: { reconcile: number; renew: number; nothing: number; idle: number };
  /** Committed Postgres transactions in the benchmark database per completed cycle (takers none). */
  postgresTransactionsPerCycle: number | null;
  /** CPU of worker + Temporal + Postgres per completed cycle, ms. */
  cpuMsPerCycle: number | null;
  /** What N pools would run with zero lag. */
  idealCyclesPerSecond: number;
  poolsWithoutCycle: number;
  usage: GroupUsage[];
  /** Busy CPU of the whole machine (every process on it), 100 = one core. */
  machineCpuPercent: number | null;
  startSeconds: number;
  stopSeconds: number;
  openPoolOrdersAfterStop: number;
}

export interface CapacityResult {
  /** Largest step that passed; null when even the first failed. */
  sustainedPools: number | null;
  /** True when every step passed: the figure is a lower bound. */
  lowerBoundOnly: boolean;
  firstFailingPools: number | null;
  steps: CapacityStep[];
}

function groups(infra: BenchInfra): ProcessGroup[] {
  return [
    singleProcessGroup('worker (bench process)', process.pid),
    singleProcessGroup('temporal server', infra.temporalPid),
    infra.postmasterPid
      ? postgresGroup(infra.postmasterPid, infra.dbName)
      : { name: 'postgres', memory: 'pss', pids: () => [] },
  ];
}

async function runStep(
  infra: BenchInfra,
  mm: MarketWorkerHarness,
  n: number,
  o: CapacityOptions,
): Promise<CapacityStep> {
  const { db } = infra;
  const { client } = mm;
  const poolIds = Array.from({ length: n }, (_, i) => `cap${o.market[0]}${n}-${infra.runId}-${i}`);
  o.log(`[capacity] ${o.market} market, ${n} pools: creating`);
  const feeds = (await mapLimit(poolIds, 8, (id) => createBenchPool(client, id))).map((p) => p.feed);
  await seedTicks(db, feeds);
  const ticker = startTicker(db, feeds, o.refreshMs, o.market);
  const started = Date.now();
  let step: Omit<CapacityStep, 'stopSeconds' | 'openPoolOrdersAfterStop'> | undefined;
  const failed = (failure: string): Omit<CapacityStep, 'stopSeconds' | 'openPoolOrdersAfterStop'> => ({
    pools: n,
    ok: false,
    failure,
    lag: summarize([]),
    cyclesPerSecond: 0,
    writes: { reconcile: 0, renew: 0, nothing: 0, idle: 0 },
    postgresTransactionsPerCycle: null,
    cpuMsPerCycle: null,
    idealCyclesPerSecond: (n * 1000) / o.refreshMs,
    poolsWithoutCycle: n,
    usage: [],
    machineCpuPercent: null,
    startSeconds: (Date.now() - started) / 1000,
  });
  try {
    await mapLimit(poolIds, 10, (id) => mm.startPool(id, { refreshIntervalMs: o.refreshMs }));
    const warmDeadline = Date.now() + 30_000 + n * 250;
    let warm = 0;
    while (Date.now() < warmDeadline) {
      warm = poolIds.filter((id) => (mm.cycles.get(id)?.length ?? 0) >= 2).length;
      if (warm === n) break;
      await sleep(500);
    }
    const startSeconds = (Date.now() - started) / 1000;
    if (warm < n) {
      step = {
        ...failed(
          `only ${warm} of ${n} sessions cycled twice within ${Math.round((warmDeadline - started) / 1000)} s`,
        ),
        startSeconds,
      };
    } else {
      await sleep(o.settleMs);
      const proc = sampleAll(groups(infra));
      const busy0 = machineBusySeconds();
      const x0 = await committedTransactions(infra);
      const w0 = wallMs();
      await sleep(o.windowMs);
      const usage = usageSince(proc);
      const busy1 = machineBusySeconds();
      const w1 = wallMs();
      const x1 = await committedTransactions(infra);
      const lags: number[] = [];
      let cycles = 0;
      let without = 0;
      const writes = { reconcile: 0, renew: 0, nothing: 0, idle: 0 };
      for (const id of poolIds) {
        const all = mm.cycles.get(id) ?? [];
        const ts = all.map((c) => c.at);
        const inWindow = all.filter((c) => c.at >= w0 && c.at <= w1);
        cycles += inWindow.length;
        for (const c of inWindow) if (c.wrote in writes) writes[c.wrote as keyof typeof writes]++;
        if (inWindow.length === 0) {
          without++;
          lags.push(w1 - w0);
          continue;
        }
        for (let i = 1; i < ts.length; i++)
          if (ts[i]! >= w0 && ts[i]! <= w1) lags.push(Math.max(0, ts[i]! - ts[i - 1]! - o.refreshMs));
        // A cycle still missing at the window's end is already this late (a lower bound).
        const tail = w1 - inWindow[inWindow.length - 1]!.at;
        if (tail > o.refreshMs) lags.push(tail - o.refreshMs);
      }
      const lag = summarize(lags);
      const ok = lag.p99 < 1000 && without === 0;
      step = {
        pools: n,
        ok,
        failure: ok
          ? undefined
          : without
            ? `${without} pools completed no cycle in the window`
            : `cycle lag p99 ${lag.p99.toFixed(0)} ms >= 1000 ms`,
        lag,
        cyclesPerSecond: cycles / ((w1 - w0) / 1000),
        writes,
        // The ticker's one insert per interval is subtracted: it is the market, not the market maker.
        postgresTransactionsPerCycle:
          x0 !== null && x1 !== null && cycles > 0 ? (x1 - x0 - (w1 - w0) / o.refreshMs) / cycles : null,
        cpuMsPerCycle:
          cycles > 0 && usage.every((u) => u.cpuPercent !== null)
            ? (usage.reduce((a, u) => a + (u.cpuPercent ?? 0), 0) * 10 * ((w1 - w0) / 1000)) / cycles
            : null,
        idealCyclesPerSecond: (n * 1000) / o.refreshMs,
        poolsWithoutCycle: without,
        usage,
        machineCpuPercent:
          busy0 !== undefined && busy1 !== undefined ? (100 * (busy1 - busy0)) / ((w1 - w0) / 1000) : null,
        startSeconds,
      };
    }
  } catch (err) {
    step = failed(`error: ${(err as Error).message}`);
  }
  // Stop every pool of the step, whatever happened, and make sure none of their orders stays open.
  const stopStarted = Date.now();
  await mapLimit(poolIds, 10, async (id) => {
    const stopped = mm.stopPool(id, 'benchmark step done');
    const timeout = sleep(60_000).then(() => 'timeout');
    await Promise.race([stopped.catch(() => undefined), timeout]);
  });
  const stopSeconds = (Date.now() - stopStarted) / 1000;
  await ticker.stop();
  let open = await openPoolOrderCount(db, poolIds);
  if (open > 0) {
    o.log(
      `[capacity] ${open} pool orders still open after stopping the step's pools; cancelling them directly`,
    );
    await mapLimit(poolIds, 5, (id) =>
      cancelAllOrders(db, { poolId: id, owner: poolOwner(id), reason: 'benchmark_cleanup' }),
    );
  }
  const result: CapacityStep = { ...step!, stopSeconds, openPoolOrdersAfterStop: open };
  open = await openPoolOrderCount(db, poolIds);
  if (open > 0) result.failure = `${result.failure ?? ''}; ${open} pool orders could not be cancelled`;
  const cpu = result.usage.map((u) => `${u.name} ${u.cpuPercent?.toFixed(0) ?? '?'}%`).join(', ');
  o.log(
    `[capacity] ${o.market} ${n} pools: ${result.ok ? 'sustained' : `NOT sustained (${result.failure})`}; lag p50 ${result.lag.p50.toFixed(0)} / p99 ${result.lag.p99.toFixed(0)} ms; ` +
      `${result.cyclesPerSecond.toFixed(1)} cycles/s of ${result.idealCyclesPerSecond} (writes ${JSON.stringify(result.writes)}); ` +
      `pg tx/cycle ${result.postgresTransactionsPerCycle?.toFixed(2) ?? '?'}; CPU ms/cycle ${result.cpuMsPerCycle?.toFixed(1) ?? '?'}; ` +
      `CPU ${cpu}; machine ${result.machineCpuPercent?.toFixed(0) ?? '?'}%; load ${loadavg()[0]!.toFixed(2)}`,
  );
  return result;
}

/** Committed transactions of the benchmark database so far (pg_stat_database lags by up to its stats interval). */
async function committedTransactions(infra: BenchInfra): Promise<number | null> {
  try {
    const r = await sql<{ n: string }>`
      select xact_commit::text as n from pg_stat_database where datname = current_database()`.execute(
      infra.db,
    );
    return Number(r.rows[0]!.n);
  } catch {
    return null;
  }
}

export async function runCapacityBench(
  infra: BenchInfra,
  mm: MarketWorkerHarness,
  o: CapacityOptions,
): Promise<CapacityResult> {
  const steps: CapacityStep[] = [];
  let lastOk: number | null = null;
  let firstFail: number | null = null;
  for (const n of o.steps) {
    const s = await runStep(infra, mm, n, o);
    steps.push(s);
    if (!s.ok) {
      firstFail = n;
      break;
    }
    lastOk = n;
  }
  if (o.refine && firstFail !== null && lastOk !== null && firstFail - lastOk > Math.max(2, lastOk / 4)) {
    const mid = Math.round((firstFail + lastOk) / 2);
    const s = await runStep(infra, mm, mid, o);
    steps.push(s);
    if (s.ok) lastOk = mid;
    else firstFail = mid;
  }
  return { sustainedPools: lastOk, lowerBoundOnly: firstFail === null, firstFailingPools: firstFail, steps };
}
