import { CancelledFailure, Context } from '@temporalio/activity';
import { claimSessionAttempt, FencedError, type SessionFence } from '../db/fence';
import { renewQuotes } from '../db/order-book';
import type { HedgeOutcome } from '../db/hedging';
import { poolOwner } from '../domain/streams';
import type { PoolNotificationHub } from '../db/notifications';
import type { PoolConfig } from '../domain/config';
import type { RiskBreach, RiskAction } from '../domain/risk';
import type { SerializedQuoteLevel, SerializedQuoteLadder } from '../domain/strategies/serialize';
import { spreadSagaWorkflowId } from '../workflows/ids';
import { fitFigures, type IntensityFitSummary } from './intensity';
import { runQuoteCycle, type CycleDeps, type CycleMemory, type CycleReport } from './quote-cycle';
import type { PnlBaseline } from './types';

/*
 * The quoting session: the market maker's quote loop as one long-lived, heartbeating activity
 * (DESIGN section 4). The supervising workflow holds what must be durable (lifecycle, config, the
 * operator's commands, the P&L baseline) and starts, restarts and stops sessions; the session runs
 * the cycles, so a routine cycle costs no workflow history. Each cycle's effect is one Postgres
 * transaction fenced by (generation, attempt); heartbeat details carry what a retry on another worker
 * needs to resume. Wake-ups come from Postgres notifications, not from workflow tasks.
 */

export interface QuotingSessionInput {
  poolId: string;
  /** The generation the supervisor took for this session (db/fence.ts). */
  generation: string;
  baseline: PnlBaseline;
  /** Overrides the pool's refreshIntervalMs (the start input's override). */
  refreshIntervalMs?: number;
  /** The session ends by itself after this long, so the supervisor can rotate it (and continue as new). */
  maxSessionMs?: number;
}

/** Heartbeat details: the live view the client's status shows, and what a retry resumes from. */
export interface SessionHeartbeat {
  generation: string;
  attempt: number;
  memory: CycleMemory;
  live: SessionLiveStatus;
}

export interface SessionLiveStatus {
  cycle: number;
  mid: string | null;
  spreadBps: string | null;
  bids: SerializedQuoteLevel[];
  asks: SerializedQuoteLevel[];
  restingOrders: number;
  inventoryShare: string | null;
  reserveBase: string | null;
  reserveQuote: string | null;
  /** returnPct is null while no capital was ever at risk ("n/a"). */
  pnl: { totalPnl: string; returnPct: string | null } | null;
  lastRisk: { action: RiskAction; reasons: RiskBreach[] } | null;
  /** The last hedge this session tried (a flatten or the saga's request): what it came to, or why not. */
  lastHedge: HedgeOutcome | null;
  /**
   * The pool's intensity fit as last refreshed (config intensityFit.source 'fitted'): A and k, their
   * standard errors, or the configured values and why. Optional: absent in statuses from before it.
   */
  intensity?: IntensityFitSummary | null;
  lastError: string | null;
  lastCycleAtMs: number | null;
  /** Cycles that wrote a reconcile, renewed quote lives only, or wrote nothing (this attempt). */
  reconciles: number;
  renewals: number;
  quietCycles: number;
  /** Light cycles: the newest tick was checked in memory, nothing read or written. */
  idleCycles: number;
}

/** How a session ended, with its last live figures (the supervisor shows them while no session runs). */
/** The live figures before a session's first cycle (and while none runs). */
export const NO_SESSION_YET: Readonly<SessionLiveStatus> = Object.freeze({
  cycle: 0,
  mid: null,
  spreadBps: null,
  bids: [],
  asks: [],
  restingOrders: 0,
  inventoryShare: null,
  reserveBase: null,
  reserveQuote: null,
  pnl: null,
  lastRisk: null,
  lastHedge: null,
  intensity: null,
  lastError: null,
  lastCycleAtMs: null,
  reconciles: 0,
  renewals: 0,
  quietCycles: 0,
  idleCycles: 0,
});

export type SessionOutcome = { live: SessionLiveStatus } & (
  | { ended: 'fenced' }
  | { ended: 'rotated' }
  | { ended: 'risk_pause'; reasons: RiskBreach[]; cooldownSeconds: number }
  | { ended: 'risk_stop'; reasons: RiskBreach[] }
);

/** One completed cycle, for metrics (the benchmark measures cycle lag with it). */
export interface CycleObservation {
  poolId: string;
  startedAtMs: number;
  durationMs: number;
  wrote: 'reconcile' | 'renew' | 'nothing' | 'idle' | 'halt' | 'error';
}

export interface SessionDeps extends CycleDeps {
  notifications: PoolNotificationHub;
  log?: (msg: string, meta: Record<string, unknown>) => void;
  onCycle?: (o: CycleObservation) => void;
}

const DEFAULT_MAX_SESSION_MS = 6 * 3600_000;
/**
 * A full cycle (read, risk, strategy, reconcile) runs on every change of the pool itself, on a tick
 * that moves the reference price by half the refresh tolerance or more, and at least this often;
 * in between, a cycle only checks the newest tick in memory (a light cycle).
 */
const FULL_CYCLE_MAX_GAP_MS = 5000;

interface LastFullCycle {
  atMs: number;
  feed: string;
  mid: string | null;
  priceSource: string;
  /** Half the refresh tolerance, as a fraction of the price. */
  halfTolerance: number;
  ttlMs: number;
  renewAtMs: number | null;
}
/** Hints to the saga are decisions, but a decision the saga cannot carry out must not hint every cycle. */
const SAGA_HINT_MIN_INTERVAL_MS = 10_000;
/** Backoff after a failed cycle (database blip): the next cycle retries. */
const FAILED_CYCLE_BACKOFF_MS = 250;

/** A wake-up latch: notifications set it; the loop waits on it with a deadline. */
class Wakeup {
  pending = false;
  /** Set by the pool's own notifications (a fill, liquidity, config, spread), not by ticks. */
  poolChanged = true;
  private resolve: (() => void) | undefined;
  wake = () => {
    this.pending = true;
    this.resolve?.();
  };
  wakePool = () => {
    this.poolChanged = true;
    this.wake();
  };
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || ms <= 0 || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.resolve = done;
    });
  }
  take(): boolean {
    const was = this.pending;
    this.pending = false;
    return was;
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

function liveOf(report: CycleReport | null, prev: SessionLiveStatus, cycle: number): SessionLiveStatus {
  if (!report) return { ...prev, cycle };
  const s = report.snapshot;
  const ladder: SerializedQuoteLadder | null = report.ladder;
  return {
    ...prev,
    cycle,
    mid: s.mid,
    spreadBps: s.spreadBps,
    bids: ladder?.bids ?? [],
    asks: ladder?.asks ?? [],
    restingOrders: report.restingOrders,
    inventoryShare: s.inventoryShare,
    reserveBase: s.reserveBase,
    reserveQuote: s.reserveQuote,
    pnl: { totalPnl: s.pnl.totalPnl, returnPct: s.pnl.returnPct },
    lastRisk: { action: report.risk.action, reasons: report.risk.reasons },
    lastHedge: report.hedge ?? prev.lastHedge ?? null,
    intensity: report.intensityFit ?? prev.intensity ?? null,
    lastError: null,
    lastCycleAtMs: s.observedAtMs,
  };
}

export async function runQuotingSession(
  deps: SessionDeps,
  input: QuotingSessionInput,
): Promise<SessionOutcome> {
  const ctx = Context.current();
  const { poolId } = input;
  const attempt = ctx.info.attempt;
  const fence: SessionFence = { generation: input.generation, attempt };
  const resumed = ctx.info.heartbeatDetails as SessionHeartbeat | undefined;
  // Resume only what this generation's previous attempt left: a new generation starts fresh.
  const memory: CycleMemory =
    resumed?.generation === input.generation
      ? resumed.memory
      : {
          cycle: 0,
          lastBreachKey: '',
          sagaView: { volatilityRegime: 'normal', imbalanceLevel: 'none', tvlTier: 'deep' },
        };
  let live: SessionLiveStatus =
    resumed?.generation === input.generation
      ? { ...resumed.live, reconciles: 0, renewals: 0, quietCycles: 0, idleCycles: 0 }
      : { ...NO_SESSION_YET, cycle: memory.cycle };
  if (!(await claimSessionAttempt(deps.db, poolId, fence))) return { ended: 'fenced', live };

  const wakeup = new Wakeup();
  const subscription = deps.notifications.subscribe(poolId, { pool: wakeup.wakePool, tick: wakeup.wake });
  const signal = ctx.cancellationSignal;
  const startedAt = deps.now();
  const maxSessionMs = input.maxSessionMs ?? DEFAULT_MAX_SESSION_MS;
  let lastSagaHintAt = -Infinity;
  let previousLadder: SerializedQuoteLadder | null = null;
  let feed: { name: string; window: number } | undefined;
  /** What the last full cycle saw: a light cycle compares the newest tick with it. */
  let lastFull: LastFullCycle | null = null;
  let lastConfig: PoolConfig | undefined;
  let loggedIntensity = '';
  const lightCycle = (last: LastFullCycle, nowMs: number): boolean => {
    if (nowMs - last.atMs >= FULL_CYCLE_MAX_GAP_MS || last.priceSource !== 'reference' || last.mid === null)
      return false;
    const latest = deps.ticks?.recent(last.feed, 1)?.[0];
    if (!latest) return false;
    const mid = Number(last.mid);
    return Math.abs(Number(latest.price) - mid) / mid < last.halfTolerance;
  };
  const beatEveryMs = Math.max(100, Math.floor((ctx.info.heartbeatTimeoutMs ?? 4000) / 4));
  const beat = () =>
    ctx.heartbeat({ generation: input.generation, attempt, memory, live } satisfies SessionHeartbeat);
  beat();
  // A steady heartbeat, whatever the loop is doing (a slow cycle, a lock wait, the requote gap): a
  // live session must never look dead to the server. The SDK sends at most one per throttle interval.
  const heartbeats = setInterval(beat, beatEveryMs);
  try {
    for (;;) {
      if (signal.aborted) throw new CancelledFailure(String(signal.reason ?? 'CANCELLED'));
      const cycleStartedAt = deps.now();
      wakeup.take();
      const poolChanged = wakeup.poolChanged;
      wakeup.poolChanged = false;
      let report: CycleReport | null = null;
      let nextDueMs: number | null = null;
      const light = !poolChanged && lastFull ? lightCycle(lastFull, cycleStartedAt) : null;
      if (light) {
        // Nothing the quotes depend on has changed enough to look: no read, no transaction; only
        // extend the quotes' lives when they come due (one fenced statement).
        try {
          let wrote: 'renew' | 'idle' = 'idle';
          if (lastFull!.renewAtMs !== null && cycleStartedAt >= lastFull!.renewAtMs) {
            const renewed = await renewQuotes(deps.db, {
              poolId,
              owner: poolOwner(poolId),
              fence,
              ttlMs: lastFull!.ttlMs,
            });
            if (renewed === null) return { ended: 'fenced', live };
            lastFull!.renewAtMs = cycleStartedAt + lastFull!.ttlMs / 2;
            wrote = 'renew';
            live.renewals++;
          } else live.idleCycles++;
          deps.onCycle?.({
            poolId,
            startedAtMs: cycleStartedAt,
            durationMs: deps.now() - cycleStartedAt,
            wrote,
          });
          nextDueMs = lastFull!.renewAtMs === null ? null : lastFull!.renewAtMs - deps.now();
        } catch (err) {
          wakeup.poolChanged = true; // look properly next time
          live = { ...live, lastError: (err as Error).message ?? String(err) };
        }
      } else
        try {
          report = await runQuoteCycle(
            deps,
            {
              poolId,
              fence,
              cycleKey: `mm/${poolId}/g${input.generation}a${attempt}c${memory.cycle}`,
              baseline: input.baseline,
              previousLadder,
              feed,
            },
            memory,
          );
          subscription.setFeed(report.snapshot.priceFeed);
          lastFull = {
            atMs: cycleStartedAt,
            feed: report.snapshot.priceFeed,
            mid: report.snapshot.referencePrice,
            priceSource: report.snapshot.config.priceSource,
            halfTolerance: Number(report.snapshot.config.quoteTolerance) / 20_000,
            ttlMs: report.snapshot.config.quoting.quoteTtlMs,
            renewAtMs: null,
          };
          feed = { name: report.snapshot.priceFeed, window: report.snapshot.config.volatility.window };
          live = liveOf(report, live, memory.cycle);
          // Every refresh is an intensity_fitted event; the log says only when the source or reason changes.
          const fit = report.intensityFit;
          if (fit && `${fit.source}:${fit.reason}` !== loggedIntensity) {
            loggedIntensity = `${fit.source}:${fit.reason}`;
            logIntensityFit(deps.log, poolId, fit);
          }
          const outcome = report.outcome;
          deps.onCycle?.({
            poolId,
            startedAtMs: cycleStartedAt,
            durationMs: deps.now() - cycleStartedAt,
            wrote: outcome.kind === 'halt' ? 'halt' : outcome.wrote,
          });
          if (outcome.kind === 'halt') {
            beat();
            return outcome.action === 'stop'
              ? { ended: 'risk_stop', live, reasons: outcome.risk.reasons }
              : {
                  ended: 'risk_pause',
                  live,
                  reasons: outcome.risk.reasons,
                  cooldownSeconds:
                    outcome.risk.cooldownSeconds ?? report.snapshot.config.risk.cooldownSeconds,
                };
          }
          previousLadder = report.ladder;
          if (outcome.wrote === 'reconcile') live.reconciles++;
          else if (outcome.wrote === 'renew') live.renewals++;
          else live.quietCycles++;
          nextDueMs = outcome.renewInMs;
          lastFull!.renewAtMs = nextDueMs === null ? null : cycleStartedAt + nextDueMs;
          if (report.sagaDecisionDue && cycleStartedAt - lastSagaHintAt >= SAGA_HINT_MIN_INTERVAL_MS) {
            lastSagaHintAt = cycleStartedAt;
            await hintSaga(ctx, poolId, deps.log);
          }
        } catch (err) {
          if (err instanceof FencedError) return { ended: 'fenced', live };
          if (err instanceof CancelledFailure) throw err;
          lastFull = null;
          live = { ...live, lastError: (err as Error).message ?? String(err) };
          deps.onCycle?.({
            poolId,
            startedAtMs: cycleStartedAt,
            durationMs: deps.now() - cycleStartedAt,
            wrote: 'error',
          });
          deps.log?.('quote cycle failed; the next cycle retries', {
            poolId,
            cycle: memory.cycle,
            error: live.lastError,
          });
          await sleep(FAILED_CYCLE_BACKOFF_MS, signal);
        }
      memory.cycle++;
      live.cycle = memory.cycle;
      beat();
      if (deps.now() - startedAt >= maxSessionMs) return { ended: 'rotated', live };

      if (report) lastConfig = report.snapshot.config;
      const cfg = lastConfig;
      const refreshMs = input.refreshIntervalMs ?? cfg?.refreshIntervalMs ?? 1000;
      const untilRefresh = cycleStartedAt + refreshMs - deps.now();
      const deadline = deps.now() + (nextDueMs === null ? untilRefresh : Math.min(untilRefresh, nextDueMs));
      while (!wakeup.pending && !signal.aborted && deps.now() < deadline) {
        await wakeup.wait(deadline - deps.now(), signal);
      }
      // A burst of notifications costs one requote per minimum interval, not one each. Only a cycle
      // that wrote holds the next one back: after a read-only cycle a trade is answered at once.
      if (report?.outcome.kind === 'quoted' && report.outcome.wrote === 'reconcile') {
        const minGap = cfg?.quoting.minRequoteIntervalMs ?? 0;
        await sleep(cycleStartedAt + minGap - deps.now(), signal);
      }
    }
  } finally {
    clearInterval(heartbeats);
    subscription.close();
  }
}

/** Best effort: a saga that is not running has nothing to decide, and its catch-up covers a lost hint. */
async function hintSaga(ctx: Context, poolId: string, log?: SessionDeps['log']) {
  try {
    await ctx.client.workflow.getHandle(spreadSagaWorkflowId(poolId)).signal('poolEventHint', {});
  } catch (err) {
    log?.('spread saga not hinted', { poolId, error: (err as Error).message });
  }
}

function logIntensityFit(log: SessionDeps['log'], poolId: string, fit: IntensityFitSummary) {
  log?.(
    fit.source === 'fitted'
      ? "intensity refitted from the pool's fills"
      : 'intensity fit not usable; quoting on the configured A and k',
    { poolId, ...fitFigures(fit) },
  );
}
