import { percentileSorted } from '../bench/stats';
import type { FaultRecord } from './faults';
import type { InvariantResult, WorkflowHistoryStats } from './invariants';
import { FAULT_DESCRIPTIONS, FAULT_KINDS, type FaultKind } from './schedule';

/*
 * The chaos run's result: what was injected, how fast the pools quoted again after each kind of
 * fault, and which invariants held. Building and formatting are pure.
 */

export interface KindSummary {
  kind: FaultKind;
  description: string;
  injected: number;
  /** Faults after which every affected pool quoted again in time. */
  recovered: number;
  /** Faults with nothing to measure (every affected pool halted itself meanwhile). */
  unmeasured: number;
  /** Faults that could not be carried out (an error while injecting). */
  failed: number;
  recoveryMs: { median: number | null; p95: number | null; max: number | null; samples: number[] };
}

export interface ChaosResult {
  ok: boolean;
  command: string;
  seed: number;
  pools: string[];
  durationSeconds: number;
  startedAt: string;
  /** Wall time of the fault phase and of the whole run, seconds. */
  faultPhaseSeconds: number;
  totalSeconds: number;
  machine: {
    cpus: number;
    /** `uptime` before and after, and the 1/5/15-minute load averages. */
    uptimeBefore: string;
    uptimeAfter: string;
    loadBefore: number[];
    loadAfter: number[];
  };
  setup: {
    temporal: string;
    postgres: string;
    heartbeatTimeoutMs: number;
    recoveryTimeoutMs: number;
  };
  byKind: KindSummary[];
  invariants: InvariantResult[];
  activity: {
    trades: number;
    takerOrders: number;
    takerErrors: number;
    workerKills: number;
    workerProcessesStarted: number;
    temporalRestarts: number;
    connectionsTerminated: number;
  };
  workflows: WorkflowHistoryStats | null;
  faults: FaultRecord[];
  notes: string[];
}

export function summarizeByKind(faults: FaultRecord[]): KindSummary[] {
  return FAULT_KINDS.map((kind) => {
    const of = faults.filter((f) => f.kind === kind);
    const samples = of
      .map((f) => f.recovery?.recoveryMs)
      .filter((ms): ms is number => typeof ms === 'number')
      .sort((a, b) => a - b);
    return {
      kind,
      description: FAULT_DESCRIPTIONS[kind],
      injected: of.length,
      recovered: of.filter((f) => f.error === null && f.recovery?.measured && f.recovery.recoveryMs !== null)
        .length,
      unmeasured: of.filter((f) => f.error === null && f.recovery !== null && !f.recovery.measured).length,
      failed: of.filter((f) => f.error !== null).length,
      recoveryMs: {
        median: samples.length ? percentileSorted(samples, 50) : null,
        p95: samples.length ? percentileSorted(samples, 95) : null,
        max: samples.length ? samples[samples.length - 1]! : null,
        samples,
      },
    };
  });
}

/** Invariants about the faults themselves: each kind injected, each fault carried out and recovered from. */
export function faultInvariants(faults: FaultRecord[], recoveryTimeoutMs: number): InvariantResult[] {
  const missing = FAULT_KINDS.filter((k) => !faults.some((f) => f.kind === k && f.error === null));
  const failed = faults.filter((f) => f.error !== null);
  const unrecovered = faults.filter(
    (f) => f.error === null && f.recovery?.measured && f.recovery.recoveryMs === null,
  );
  const checks = faults.flatMap((f) =>
    Object.entries(f.checks)
      .filter(([, c]) => !c.pass)
      .map(([name, c]) => ({ seq: f.seq, kind: f.kind, check: name, detail: c.detail })),
  );
  const measured = faults.filter((f) => f.recovery?.measured).length;
  const excluded = faults.filter((f) => f.recovery && Object.keys(f.recovery.excluded).length).length;
  return [
    {
      name: 'every fault kind injected at least once',
      pass: missing.length === 0 && failed.length === 0,
      detail: `${faults.length} faults: ${FAULT_KINDS.map((k) => `${k} ${faults.filter((f) => f.kind === k).length}`).join(', ')}${missing.length ? `; never carried out: ${missing.join(', ')}` : ''}`,
      ...(failed.length
        ? { violations: failed.slice(0, 10).map((f) => ({ seq: f.seq, kind: f.kind, error: f.error })) }
        : {}),
    },
    {
      name: `every fault recovered from: the affected pools quoted again within ${recoveryTimeoutMs / 1000} s`,
      pass: unrecovered.length === 0,
      detail: `${measured - unrecovered.length} of ${measured} measured faults recovered${excluded ? `; ${excluded} fault(s) left out pools whose market maker had halted itself (risk pause or stop)` : ''}`,
      ...(unrecovered.length
        ? {
            violations: unrecovered
              .slice(0, 10)
              .map((f) => ({ seq: f.seq, kind: f.kind, perPool: f.recovery!.perPool, detail: f.detail })),
          }
        : {}),
    },
    {
      name: 'every pause emptied the book and every update was applied',
      pass: checks.length === 0,
      detail: `${faults.reduce((n, f) => n + Object.keys(f.checks).length, 0)} checks of pauses and updates, ${checks.length} failed`,
      ...(checks.length ? { violations: checks.slice(0, 10) } : {}),
    },
  ];
}

const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function formatSummary(r: ChaosResult): string {
  const lines: string[] = [];
  lines.push(
    `Chaos run, seed ${r.seed}: ${r.pools.length} pools for ${r.faultPhaseSeconds.toFixed(0)} s of faults (${r.totalSeconds.toFixed(0)} s in all)`,
  );
  lines.push(`  command: ${r.command}`);
  lines.push(`  load before: ${r.machine.uptimeBefore}`);
  lines.push(`  load after:  ${r.machine.uptimeAfter}`);
  lines.push('');
  lines.push(
    `  ${'fault'.padEnd(20)}${'injected'.padStart(9)}${'recovered'.padStart(10)}${'median'.padStart(9)}${'p95'.padStart(9)}${'max'.padStart(9)}`,
  );
  for (const k of r.byKind) {
    const extra = [k.unmeasured ? `${k.unmeasured} unmeasured` : '', k.failed ? `${k.failed} failed` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${k.kind.padEnd(20)}${String(k.injected).padStart(9)}${String(k.recovered).padStart(10)}${secs(k.recoveryMs.median).padStart(9)}${secs(k.recoveryMs.p95).padStart(9)}${secs(k.recoveryMs.max).padStart(9)}${extra ? `  (${extra})` : ''}`,
    );
  }
  lines.push(
    `  recovery: from the fault until every affected pool quoted again (a quotes_updated event, or a quote placed or renewed, after the fault ended)`,
  );
  lines.push('');
  const a = r.activity;
  lines.push(
    `  activity: ${a.trades} trades from ${a.takerOrders} taker orders (${a.takerErrors} refused or failed), ${a.workerKills} worker SIGKILLs, ` +
      `${a.workerProcessesStarted} worker processes started, ${a.temporalRestarts} Temporal restarts, ${a.connectionsTerminated} database connections terminated`,
  );
  lines.push('');
  lines.push('  Invariants:');
  for (const inv of r.invariants) {
    lines.push(`  ${inv.pass ? 'PASS' : 'FAIL'}  ${inv.name}`);
    lines.push(`        ${inv.detail}`);
    for (const v of inv.violations?.slice(0, 5) ?? []) lines.push(`        - ${JSON.stringify(v)}`);
  }
  for (const n of r.notes) lines.push(`  note: ${n}`);
  lines.push('');
  lines.push(
    r.ok ? 'All invariants held.' : `${r.invariants.filter((i) => !i.pass).length} invariant(s) FAILED.`,
  );
  return lines.join('\n');
}
