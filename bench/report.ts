import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { backtestMarkdown, type BacktestBenchResult } from './backtest';
import type { CapacityResult } from './capacity';
import { dashboardMarkdown, type DashboardBenchResult } from './dashboard';
import type { HistoryResult } from './history';
import type { RecoveryResult } from './recovery';
import type { EventsRow } from './events';
import type { LatencyResult } from './latency';
import { nettingMarkdown, nettingRows, type NettingRow } from './netting';

/* latest.json and BENCHMARKS.md: every figure beside its baseline from the same run. */

export type Section<T> =
  | { status: 'ok'; seconds: number; result: T }
  | { status: 'error'; seconds: number; error: string }
  | { status: 'skipped'; reason: string }
  | { status: 'missing'; reason: string };

export interface MatchingRow {
  workload: string;
  clients: number;
  engineOpsPerSec: number;
  baselineOpsPerSec: number;
  ratio: number;
  repeats: number;
  opsPerRepeat: number;
}

export interface QuoteRow {
  case: string;
  opsPerSecond: number;
  microsPerOp: number;
  iterations: number;
  repeats: number;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  postgresSettings: string;
  temporal: string;
  temporalServer: string;
  workerTuning: Record<string, unknown> | null;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  options: Record<string, unknown>;
  durationSeconds?: number;
  machine: Machine;
  sections: {
    quotes: Section<QuoteRow[]>;
    backtest: Section<BacktestBenchResult>;
    events: Section<EventsRow[]>;
    matching: Section<MatchingRow[]>;
    latency: Section<LatencyResult>;
    history: Section<HistoryResult>;
    recovery: Section<RecoveryResult>;
    capacity: Section<CapacityResult>;
    capacityQuiet: Section<CapacityResult>;
    dashboard: Section<DashboardBenchResult>;
    netting: Section<NettingRow[]>;
  };
}

export function machineBase(): Pick<
  Machine,
  'cpu' | 'cores' | 'memoryGiB' | 'os' | 'node' | 'loadAverageAtStart'
> {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const n0 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : Math.round(x).toLocaleString('en-US');
const n1 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(1);
const ratio = (a: number, b: number) => {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  const r = a / b;
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`;
};

type Row = [
  section: string,
  figure: string,
  value: string,
  baseline: string,
  baselineValue: string,
  ratio: string,
];

function notOk(name: string, s: Section<unknown>): Row | undefined {
  if (s.status === 'ok') return undefined;
  const text =
    s.status === 'error'
      ? `ERROR: ${s.error.split('\n')[0]}`
      : s.status === 'missing'
        ? `TODO: ${s.reason}`
        : `skipped (${s.reason})`;
  return [name, text, '—', '—', '—', '—'];
}

function summaryRows(r: BenchResults): Row[] {
  const rows: Row[] = [];
  const { latency, history, recovery, capacity, capacityQuiet, matching, events, quotes, backtest } =
    r.sections;
  const skip = (name: string, s: Section<unknown>) => {
    const row = notOk(name, s);
    if (row) rows.push(row);
    return !row;
  };
  if (skip('latency', latency) && latency.status === 'ok') {
    const { requote: a, roundTrip: b } = latency.result;
    for (const p of ['p50', 'p95', 'p99'] as const) {
      rows.push([
        'latency',
        `trade-to-requote ${p} (ms, n=${a.n})`,
        n1(a[p]),
        `Temporal signal→activity→row ${p} (n=${b.n})`,
        n1(b[p]),
        ratio(a[p], b[p]),
      ]);
    }
  }
  if (skip('history', history) && history.status === 'ok') {
    const h = history.result;
    rows.push([
      'history',
      `Temporal history per pool-hour, both workflows (KB; takers every second; saga catch-up every ${n0(h.catchUpMs / 1000)} s)`,
      n1(h.bytesPerPoolHour / 1000),
      'per-cycle workflow design, measured before the quoting session (KB)',
      n0(h.baselineBytesPerPoolHour / 1000),
      ratio(h.bytesPerPoolHour, h.baselineBytesPerPoolHour),
    ]);
  }
  if (skip('recovery', recovery) && recovery.status === 'ok') {
    const rc = recovery.result;
    for (const p of ['p50', 'max'] as const)
      rows.push([
        'recovery',
        `worker SIGKILLed → the pool quotes again from the other worker, ${p} (ms, ${rc.recovered} of ${rc.kills} kills)`,
        n0(rc.recoveryMs[p]),
        'heartbeat timeout (ms)',
        n0(rc.heartbeatTimeoutMs),
        ratio(rc.recoveryMs[p], rc.heartbeatTimeoutMs),
      ]);
  }
  for (const [name, label, section] of [
    ['capacity', 'moving market (every cycle writes)', capacity],
    ['capacityQuiet', 'quiet market', capacityQuiet],
  ] as const) {
    if (!skip(name, section) || section.status !== 'ok') continue;
    const c = section.result;
    const value = c.sustainedPools === null ? 'none' : `${c.lowerBoundOnly ? '≥ ' : ''}${c.sustainedPools}`;
    rows.push([
      name,
      `pools one worker sustains at 1 s refresh, ${label} (cycle lag p99 < 1 s)`,
      value,
      'first failing step',
      c.firstFailingPools === null ? 'none (ramp ended)' : String(c.firstFailingPools),
      '—',
    ]);
    for (const st of c.steps) {
      rows.push([
        name,
        `${st.pools} pools: cycles/s (lag p99 ${n0(st.lag.p99)} ms; ${st.postgresTransactionsPerCycle === null ? '—' : n1(st.postgresTransactionsPerCycle)} pg tx and ${st.cpuMsPerCycle === null ? '—' : n1(st.cpuMsPerCycle)} CPU ms per cycle)`,
        n1(st.cyclesPerSecond),
        'one cycle per pool per refresh',
        n1(st.idealCyclesPerSecond),
        ratio(st.cyclesPerSecond, st.idealCyclesPerSecond),
      ]);
    }
  }
  if (skip('matching', matching) && matching.status === 'ok') {
    for (const m of matching.result) {
      rows.push([
        'matching',
        `${m.workload}, ${m.clients} client(s) (orders/s)`,
        n0(m.engineOpsPerSec),
        'plain pg transaction of the same shape (tx/s)',
        n0(m.baselineOpsPerSec),
        ratio(m.engineOpsPerSec, m.baselineOpsPerSec),
      ]);
    }
  }
  if (skip('events', events) && events.status === 'ok') {
    for (const e of events.result) {
      rows.push([
        'events',
        `appendToStream, batch ${e.batchSize} (events/s)`,
        n0(e.engineEventsPerSec),
        `plain INSERT of the same rows, batch ${e.batchSize} (rows/s)`,
        n0(e.baselineEventsPerSec),
        ratio(e.engineEventsPerSec, e.baselineEventsPerSec),
      ]);
    }
  }
  if (skip('backtest', backtest) && backtest.status === 'ok') {
    const b = backtest.result;
    if (b.engine.length === 0) {
      rows.push([
        'backtest',
        `engine not measured: ${b.engineProblem ?? 'no strategies'}`,
        '—',
        'float-only reference simulation (steps/s)',
        n0(b.reference.stepsPerSecond),
        '—',
      ]);
    }
    const comparisons = [
      // The bounded references do no work the market does not require: the target's basis.
      { label: 'no latency', ref: b.bounded, rows: b.engine },
      { label: `latency ${b.latency.latencyMs} ms`, ref: b.latency.bounded, rows: b.latency.engine },
    ];
    for (const { label, ref, rows: engineRows } of comparisons) {
      for (const e of engineRows) {
        rows.push([
          'backtest',
          `backtest steps/s, ${e.strategy}, ${label} (live strategy code, 1 thread; target ≥ ${n0(b.target * 100)}% of the reference)`,
          n0(e.stepsPerSecond),
          `float-only reference simulation of the same market, ${label}, draws that cannot fill bounded (steps/s)`,
          n0(ref.stepsPerSecond),
          ratio(e.stepsPerSecond, ref.stepsPerSecond),
        ]);
      }
    }
  }
  const netting = r.sections.netting;
  if (skip('netting', netting) && netting.status === 'ok') rows.push(...nettingRows(netting.result));
  if (skip('quotes', quotes) && quotes.status === 'ok') {
    const [base, ...rest] = quotes.result;
    for (const q of rest) {
      rows.push([
        'quotes',
        `${q.case} (ladders/s)`,
        n0(q.opsPerSecond),
        base?.case ?? 'baseline',
        n0(base?.opsPerSecond),
        ratio(q.opsPerSecond, base?.opsPerSecond ?? NaN),
      ]);
    }
  }
  const { dashboard } = r.sections;
  if (skip('dashboard', dashboard) && dashboard.status === 'ok') {
    const d = dashboard.result;
    const live = d.costs.find((c) => c.operation.startsWith('live update'));
    const load = d.costs.find((c) => c.operation.startsWith('pool page load, 15 min'));
    if (live && load) {
      rows.push([
        'dashboard',
        `live update read, ${d.pools} pools running (rows read; p50 ${n1(live.ms.p50)} ms)`,
        n0(live.rowsRead),
        `pool page load, 15 min window (rows read; p50 ${n1(load.ms.p50)} ms)`,
        n0(load.rowsRead),
        ratio(live.rowsRead, load.rowsRead),
      ]);
    }
    rows.push([
      'dashboard',
      `pool reads/s for ${d.live.pages} live pages (coalesced, shared)`,
      n1(d.live.poolReadsPerSecond),
      'one read per notification per page',
      n1(d.live.naiveReadsPerSecond),
      ratio(d.live.poolReadsPerSecond, d.live.naiveReadsPerSecond),
    ]);
  }
  return rows;
}

/** CPU milliseconds each group spent per market-maker cycle (saga iterations included). */
function perCycle(s: CapacityResult['steps'][number]): string {
  if (!s.cyclesPerSecond) return '—';
  return ['worker', 'temporal', 'postgres']
    .map((name) => {
      const g = s.usage.find((x) => x.name.startsWith(name));
      return g?.cpuPercent == null ? '—' : n1((g.cpuPercent * 10) / s.cyclesPerSecond);
    })
    .join(' / ');
}

/** Which resource ran out first, judged from the last step measured (or the last passing one). */
export function limitingResource(c: CapacityResult, cores: number): string {
  const measured = c.steps.filter((x) => x.usage.length > 0);
  const s =
    measured.find((x) => x.pools === c.firstFailingPools) ?? measured.sort((a, b) => b.pools - a.pools)[0];
  if (!s) return 'no step was measured';
  const ours = s.usage.reduce((a, g) => a + (g.cpuPercent ?? 0), 0);
  const top = [...s.usage].sort((a, b) => (b.cpuPercent ?? 0) - (a.cpuPercent ?? 0))[0]!;
  const split = s.usage.map((g) => `${g.name.split(' ')[0]} ${n0(g.cpuPercent)}%`).join(', ');
  const machine = s.machineCpuPercent ?? 0;
  if (machine >= 80 * cores && ours < 0.75 * machine) {
    return `at ${s.pools} pools the machine's CPUs were saturated (${n0(machine)}% of ${cores * 100}%) mostly by other processes (this benchmark's: ${split}); the figure reflects contention, re-run on a quiet machine`;
  }
  if (machine >= 80 * cores) {
    return `at ${s.pools} pools all ${cores} cores were busy (${n0(machine)}%), shared as ${split}: CPU-bound, the largest share is the ${top.name}`;
  }
  return `at ${s.pools} pools the CPUs were not saturated (${n0(machine)}%; ${split}); the lag comes from a serial bottleneck rather than total CPU (the largest consumer is the ${top.name})`;
}

function capacityTable(c: CapacityResult): string[] {
  const u = (s: CapacityResult['steps'][number], name: string) => {
    const g = s.usage.find((x) => x.name.startsWith(name));
    return g ? `${n0(g.cpuPercent)}% / ${n0(g.memMiB)}` : '—';
  };
  return [
    '| pools | result | lag p50 / p95 / p99 / max (ms) | cycles/s (ideal) | cycles: reconcile / renewal only / nothing written / light | pg transactions per cycle | worker CPU % / RSS MiB | Temporal CPU % / RSS MiB | Postgres CPU % / PSS MiB | CPU ms per cycle (worker / Temporal / Postgres) | machine CPU % | start / stop (s) | pool orders open after stop |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...c.steps.map(
      (s) =>
        `| ${s.pools} | ${s.ok ? 'sustained' : `not sustained: ${s.failure}`} | ${n0(s.lag.p50)} / ${n0(s.lag.p95)} / ${n0(s.lag.p99)} / ${n0(s.lag.max)} | ${n1(s.cyclesPerSecond)} (${s.idealCyclesPerSecond}) | ${s.writes.reconcile} / ${s.writes.renew} / ${s.writes.nothing} / ${s.writes.idle} | ${s.postgresTransactionsPerCycle === null ? '—' : n1(s.postgresTransactionsPerCycle)} | ${u(s, 'worker')} | ${u(s, 'temporal')} | ${u(s, 'postgres')} | ${perCycle(s)} | ${n0(s.machineCpuPercent)} | ${n1(s.startSeconds)} / ${n1(s.stopSeconds)} | ${s.openPoolOrdersAfterStop} |`,
    ),
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const lines = [
    '# Benchmarks',
    '',
    `Generated by \`${r.command}\` on ${r.date}${r.quick ? ' (quick mode: fewer samples, shorter windows)' : ''}; took ${n0(r.durationSeconds)} s.`,
    'Every figure is measured beside its baseline in the same run on the same machine; ratio = figure / baseline.',
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}, ${m.cores} logical cores; memory ${m.memoryGiB} GiB; ${m.os}`,
    `- Node ${m.node}; Postgres ${m.postgres} (${m.postgresSettings}); ${m.temporal}`,
    `- Temporal server: ${m.temporalServer}`,
    `- Worker tuning (worker/config.ts defaults unless overridden by the environment): ${m.workerTuning ? JSON.stringify(m.workerTuning) : '—'}`,
    `- Load average (1/5/15 min) at start ${m.loadAverageAtStart.join(' / ')}, at end ${m.loadAverageAtEnd?.join(' / ') ?? '—'}: anything well above 0 means other work shared the CPUs.`,
    '',
    '## Summary',
    '',
    '| section | figure | value | baseline | baseline value | ratio |',
    '| --- | --- | ---: | --- | ---: | ---: |',
    ...summaryRows(r).map((row) => `| ${row.join(' | ')} |`),
    '',
  ];
  const { latency, history, recovery, capacity, capacityQuiet, backtest } = r.sections;
  if (backtest.status === 'ok') lines.push('## Backtest speed', '', ...backtestMarkdown(backtest.result), '');
  if (latency.status === 'ok') {
    const l = latency.result;
    lines.push(
      '## Trade-to-requote latency',
      '',
      '| | n | min | p50 | p95 | p99 | max | mean |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...(
        [
          ['trade commit → quotes resting (ms)', l.requote],
          ['signal sent → activity row committed (ms)', l.roundTrip],
        ] as const
      ).map(
        ([name, s]) =>
          `| ${name} | ${s.n} | ${n1(s.min)} | ${n1(s.p50)} | ${n1(s.p95)} | ${n1(s.p99)} | ${n1(s.max)} | ${n1(s.mean)} |`,
      ),
      '',
      `Missed samples (no requote / no row within the timeout): ${l.requoteMissed} / ${l.roundTripMissed}. ` +
        `Requotes that placed new orders: ${l.requotesPlacing} of ${l.requote.n}; trades after which the saga also adjusted the spread: ${l.spreadAdjustments}. ` +
        `Pool orders open after the market maker stopped: ${l.openPoolOrdersAfterStop}.`,
      '',
      "Requote path: trade commit (its transaction notifies the pool channel) → the worker's LISTEN connection → the pool's quoting session wakes → " +
        'one read, the strategy, one reconcile transaction ending in `quotes_updated`. No workflow task is on the path. ' +
        'The baseline is one signal → workflow task → one activity inserting one row. Samples alternate between the two.',
      '',
    );
  }
  if (history.status === 'ok') {
    const h = history.result;
    lines.push(
      '## Temporal history per pool-hour',
      '',
      `${h.pools} pools for ${n0(h.windowSeconds)} s, takers trading against every pool every second (${h.trades} trades), ${h.cycles} quoting cycles; ` +
        `the saga's catch-up every ${n0(h.catchUpMs / 1000)} s (production default 300 s, so this is an upper bound). ` +
        'Growth of each history in the window (protobuf bytes as the server stores them), scaled to one pool-hour:',
      '',
      `- **${n1(h.bytesPerPoolHour / 1000)} KB and ${n0(h.eventsPerPoolHour)} events per pool-hour** for the two workflows together ` +
        `(the per-cycle design: about ${n0(h.baselineBytesPerPoolHour / 1e6)} MB).`,
      '',
      '| workflow | bytes in the window | events in the window |',
      '| --- | ---: | ---: |',
      ...h.perWorkflow.map((w) => `| ${w.workflowId} | ${w.bytes} | ${w.events} |`),
      '',
    );
  }
  if (recovery.status === 'ok') {
    const rc = recovery.result;
    lines.push(
      '## Recovery after a worker is killed',
      '',
      `Two worker processes on one task queue; the one running the pool's quoting session is SIGKILLed ${rc.kills} times (restarted after each). ` +
        `Every tick moves the price, so a live session requotes every cycle. Recovery = kill → first \`quotes_updated\` of a newer session attempt. ` +
        `Heartbeat timeout ${rc.heartbeatTimeoutMs} ms.`,
      '',
      `- recovered ${rc.recovered} of ${rc.kills}; p50 ${n0(rc.recoveryMs.p50)} ms, p95 ${n0(rc.recoveryMs.p95)} ms, max ${n0(rc.recoveryMs.max)} ms`,
      `- samples (ms): ${rc.samplesMs.map((x) => n0(x)).join(', ')}`,
      '',
    );
  }
  for (const [title, section] of [
    ['moving market: every tick moves the price past the refresh tolerance', capacity],
    ['quiet market: the price holds, cycles write nothing but quote-life renewals', capacityQuiet],
  ] as const) {
    if (section.status !== 'ok') continue;
    lines.push(
      `## Capacity ramp, ${title} (1 s refresh; market maker + spread saga per pool)`,
      '',
      ...capacityTable(section.result),
      '',
      `What limited it: ${limitingResource(section.result, m.cores)}.`,
      '',
    );
  }
  if (r.sections.dashboard.status === 'ok') lines.push(...dashboardMarkdown(r.sections.dashboard.result));
  if (r.sections.netting.status === 'ok') lines.push(...nettingMarkdown(r.sections.netting.result), '');
  if (capacity.status === 'ok' || capacityQuiet.status === 'ok') {
    lines.push(
      "Lag = a session's interval between consecutive cycle starts (from the worker's cycle observer) minus the 1 s refresh, never below 0; " +
        'a pool with no cycle in the window counts as a lag of the whole window. Each pool has its own feed, ticking once a second; a tick wakes the ' +
        'session at once, the refresh timer wakes it too, so a pool runs one to two cycles a second. pg transactions per cycle: committed transactions ' +
        "of the benchmark database in the window (less the ticker's one insert a second) per cycle. CPU: 100% = one core busy for the whole window, from " +
        '/proc utime+stime deltas. The worker is this benchmark process (it also runs the price ticker and the measurement queries). Postgres: the ' +
        'postmaster, its auxiliary processes and the client backends of the benchmark database. Machine CPU includes every process on the machine.',
      '',
    );
  }
  return lines.join('\n');
}

export function writeResults(dir: string, r: BenchResults): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const md = join(dir, 'BENCHMARKS.md');
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(r));
  return { json, md };
}
