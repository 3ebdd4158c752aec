import { sql } from 'kysely';
import pg from 'pg';
import type { MarketMakingClient } from '../client';
import type { Db } from '../db/connection';
import { countOpenPoolOrders } from '../db/order-book';
import { marketMakerStream } from '../domain/streams';
import { errorMessage, sleep, withTimeout } from './async';
import { waitForQuotes, type RecoveryOutcome } from './recovery';
import { FAULT_KINDS, FaultSchedule, type FaultKind, type FaultParams, type PlannedFault } from './schedule';
import type { RestartableTemporal } from './stack';
import type { WorkerFleet } from './workers';

/*
 * Each fault kind: inject it, end it, and measure how long until the pools it touched quote again.
 * Faults run one at a time, so every recovery time belongs to one fault.
 */

export interface FaultContext {
  client: MarketMakingClient;
  db: Db;
  /** The cluster's own URL (terminating other sessions takes more than the app's rights). */
  adminUrl: string;
  dbName: string;
  temporal: RestartableTemporal;
  fleet: WorkerFleet;
  poolIds: string[];
  recoveryTimeoutMs: number;
  log: (l: string) => void;
}

export interface FaultRecord {
  seq: number;
  kind: FaultKind;
  params: FaultParams;
  /** When the fault began and when it ended (epoch ms). */
  injectedAtMs: number;
  restoredAtMs: number;
  pools: string[];
  /** What was done, in words (which worker, how many connections, ...). */
  detail: string;
  /** Checks of the fault's own effect: a pause emptied the book, a command was accepted. */
  checks: Record<string, { pass: boolean; detail: string }>;
  /** Figures of the fault itself (connections terminated, server downtime). */
  metrics: Record<string, number>;
  recovery: RecoveryOutcome | null;
  error: string | null;
}

export async function injectFault(ctx: FaultContext, planned: PlannedFault): Promise<FaultRecord> {
  const p = planned.params;
  const record: FaultRecord = {
    seq: planned.seq,
    kind: p.kind,
    params: p,
    injectedAtMs: Date.now(),
    restoredAtMs: Date.now(),
    pools: 'poolIndex' in p ? [ctx.poolIds[p.poolIndex]!] : [...ctx.poolIds],
    detail: '',
    checks: {},
    metrics: {},
    recovery: null,
    error: null,
  };
  try {
    await INJECTORS[p.kind](ctx, p as never, record);
    record.recovery = await waitForQuotes(ctx.db, record.pools, {
      injectedAtMs: record.injectedAtMs,
      restoredAtMs: record.restoredAtMs,
      timeoutMs: ctx.recoveryTimeoutMs,
    });
  } catch (err) {
    record.error = errorMessage(err);
  }
  return record;
}

/**
 * Faults one after another on the seeded schedule for `durationMs`; the first round (every kind
 * once) always runs in full, so a short run still covers each kind.
 */
export async function runFaultSchedule(
  ctx: FaultContext,
  opts: { seed: number; durationMs: number; gapMs: [number, number] },
): Promise<{ faults: FaultRecord[]; elapsedMs: number }> {
  const schedule = new FaultSchedule({ seed: opts.seed, pools: ctx.poolIds.length, gapMs: opts.gapMs });
  const faults: FaultRecord[] = [];
  const start = Date.now();
  const elapsed = () => Date.now() - start;
  while (faults.length < FAULT_KINDS.length || elapsed() < opts.durationMs) {
    const planned = schedule.next();
    if (faults.length >= FAULT_KINDS.length && elapsed() + planned.gapMs >= opts.durationMs) break;
    await sleep(planned.gapMs);
    const f = await injectFault(ctx, planned);
    faults.push(f);
    const at = `+${(elapsed() / 1000).toFixed(0).padStart(4)} s`;
    ctx.log(
      `[chaos] ${String(f.seq).padStart(3)} ${at} ${f.kind.padEnd(18)} ${outcome(f, ctx.recoveryTimeoutMs)}`,
    );
  }
  return { faults, elapsedMs: elapsed() };
}

function outcome(f: FaultRecord, timeoutMs: number): string {
  if (f.error) return `FAILED: ${f.error}`;
  const r = f.recovery;
  const how =
    r?.recoveryMs != null
      ? `quoting again after ${(r.recoveryMs / 1000).toFixed(1)} s`
      : r?.measured === false
        ? 'nothing to measure (the pools halted themselves)'
        : `NOT quoting within ${timeoutMs / 1000} s`;
  return `${how}; ${f.detail}`;
}

type Injector<K extends FaultKind> = (
  ctx: FaultContext,
  params: Extract<FaultParams, { kind: K }>,
  record: FaultRecord,
) => Promise<void>;

const INJECTORS: { [K in FaultKind]: Injector<K> } = {
  'worker-sigkill': async (ctx, p, record) => {
    const victims = ctx.fleet.alive();
    record.injectedAtMs = Date.now();
    await Promise.all(victims.map((w) => ctx.fleet.kill(w)));
    record.restoredAtMs = Date.now();
    if (p.restartDelayMs > 0) await sleep(p.restartDelayMs);
    const next = ctx.fleet.start();
    record.detail = `SIGKILLed ${victims.map((w) => `${w.identity} (pid ${w.process.child.pid})`).join(', ') || 'no worker (none alive)'}; started ${next.identity}${p.restartDelayMs ? ` after ${p.restartDelayMs} ms` : ''}`;
  },

  'worker-failover': async (ctx, _p, record) => {
    const holders = ctx.fleet.alive();
    const standby = ctx.fleet.start();
    const pollMs = await ctx.fleet.waitPolling(standby.identity, 120_000);
    record.injectedAtMs = Date.now();
    await Promise.all(holders.map((w) => ctx.fleet.kill(w)));
    record.restoredAtMs = record.injectedAtMs;
    record.detail = `started ${standby.identity} (polling after ${pollMs} ms), then SIGKILLed ${holders.map((w) => w.identity).join(', ') || 'no worker (none alive)'}: the survivor takes the sessions over`;
  },

  'db-terminate': async (ctx, p, record) => {
    const admin = new pg.Client({
      connectionString: ctx.adminUrl,
      application_name: 'lpmm-chaos-terminator',
    });
    admin.on('error', () => {});
    await admin.connect();
    const killed: number[] = [];
    try {
      record.injectedAtMs = Date.now();
      for (let i = 0; i < p.rounds; i++) {
        if (i > 0) await sleep(p.intervalMs);
        const r = await admin.query<{ n: string }>(
          `select count(*) filter (where pg_terminate_backend(pid)) as n
             from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
          [ctx.dbName],
        );
        killed.push(Number(r.rows[0]!.n));
      }
      record.restoredAtMs = Date.now();
    } finally {
      await admin.end().catch(() => {});
    }
    record.metrics.connectionsTerminated = killed.reduce((a, b) => a + b, 0);
    record.detail = `terminated ${killed.reduce((a, b) => a + b, 0)} connections in ${p.rounds} rounds ${p.intervalMs} ms apart (${killed.join(', ')})`;
  },

  'temporal-restart': async (ctx, p, record) => {
    const { stoppedAtMs, readyAtMs } = await ctx.temporal.restart(p.downMs);
    record.injectedAtMs = stoppedAtMs;
    record.restoredAtMs = readyAtMs;
    record.metrics.downMs = readyAtMs - stoppedAtMs;
    record.detail = `server down for ${readyAtMs - stoppedAtMs} ms (stop, ${p.downMs} ms wait, start on the same history file)`;
  },

  'pause-resume': async (ctx, p, record) => {
    const poolId = ctx.poolIds[p.poolIndex]!;
    const pausedAt = Date.now();
    await withTimeout('pause', 30_000, ctx.client.pause(poolId, 'chaos'));
    const cleared = await waitPauseEffect(ctx.db, poolId, pausedAt, 30_000);
    record.checks.pauseEmptiedBook = cleared;
    await sleep(p.holdMs);
    record.injectedAtMs = Date.now();
    await withTimeout('resume', 30_000, ctx.client.resume(poolId));
    record.restoredAtMs = record.injectedAtMs;
    record.detail = `paused ${poolId} (${cleared.detail}), held ${p.holdMs} ms, resumed`;
  },

  'config-update': async (ctx, p, record) => {
    const poolId = ctx.poolIds[p.poolIndex]!;
    record.injectedAtMs = Date.now();
    const accepted = await command(
      () => ctx.client.updateConfig(poolId, p.patch),
      (config) => containsPatch(config, p.patch),
    );
    record.checks.commandAccepted = accepted;
    record.restoredAtMs = Date.now();
    record.detail = `updateConfig ${poolId} ${JSON.stringify(p.patch)}: ${accepted.detail}`;
  },

  'risk-limits-update': async (ctx, p, record) => {
    const poolId = ctx.poolIds[p.poolIndex]!;
    record.injectedAtMs = Date.now();
    const accepted = await command(
      () => ctx.client.setRiskLimits(poolId, p.limits),
      (limits) => containsPatch(limits, p.limits),
    );
    record.checks.commandAccepted = accepted;
    record.restoredAtMs = Date.now();
    record.detail = `setRiskLimits ${poolId} ${JSON.stringify(p.limits)}: ${accepted.detail}`;
  },
};

async function command<T>(
  send: () => Promise<T>,
  applied: (result: T) => boolean,
): Promise<{ pass: boolean; detail: string }> {
  try {
    const result = await withTimeout('the update', 30_000, send());
    return applied(result)
      ? { pass: true, detail: 'accepted and applied' }
      : {
          pass: false,
          detail: `accepted, but the returned configuration lacks it: ${JSON.stringify(result)}`,
        };
  } catch (err) {
    return { pass: false, detail: `refused or failed: ${errorMessage(err)}` };
  }
}

/** Every leaf of the patch is in the result (decimal strings compared as numbers). */
function containsPatch(result: unknown, patch: unknown): boolean {
  if (patch !== null && typeof patch === 'object') {
    if (result === null || typeof result !== 'object') return false;
    return Object.entries(patch).every(([k, v]) => containsPatch((result as Record<string, unknown>)[k], v));
  }
  return typeof patch === 'string' || typeof result === 'string'
    ? Number(patch) === Number(result)
    : patch === result;
}

/** A pause is in effect when its event is recorded and none of the pool's quotes rest. */
async function waitPauseEffect(
  db: Db,
  poolId: string,
  sinceMs: number,
  timeoutMs: number,
): Promise<{ pass: boolean; detail: string }> {
  const deadline = Date.now() + timeoutMs;
  let open = -1;
  let recorded = false;
  while (Date.now() < deadline) {
    try {
      const r = await sql<{ n: string }>`
        select count(*) as n from events
         where stream_id = ${marketMakerStream(poolId)} and type = 'market_maker_paused'
           and created_at >= to_timestamp(${sinceMs / 1000})`.execute(db);
      recorded = Number(r.rows[0]!.n) > 0;
      open = await countOpenPoolOrders(db, poolId);
      if (recorded && open === 0)
        return { pass: true, detail: `book empty after ${Date.now() - sinceMs} ms` };
    } catch {
      // retried
    }
    await sleep(100);
  }
  return {
    pass: false,
    detail: `after ${timeoutMs} ms: pause event ${recorded ? 'recorded' : 'missing'}, ${open} quote(s) still open`,
  };
}
