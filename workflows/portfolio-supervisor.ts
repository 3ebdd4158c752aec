import {
  ApplicationFailure,
  condition,
  continueAsNew,
  allHandlersFinished,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeskEvaluation, SkewedTarget } from '../activities/desk';
import type { DeskHedgeRound } from '../db/desk';
import {
  SUPERVISOR_PERIOD_MS,
  SUPERVISOR_TICKS_PER_RUN,
  parseDeskHedging,
  parseDeskId,
  parseDeskPools,
  parseSupervisorLimits,
  skewedTargetShare,
  type DeskHedging,
} from '../domain/desk-config';
import { DomainValidationError } from '../domain/errors';
import type { NewEvent } from '../domain/events';
import {
  INITIAL_PORTFOLIO_RISK_STATE,
  type PoolActionChange,
  type PortfolioLimits,
  type PortfolioRiskState,
} from '../domain/portfolio-risk';
import { MAX_REASON_LENGTH } from '../domain/text';
import { cleanup, describeError, local, writes } from './activity-options';
import { marketMakerWorkflowId } from './ids';
import {
  invalidInput,
  isNotFound,
  asFailure,
  isPlainObject,
  recordRefusedSignals,
  signalReason,
} from './input-validation';
import { integerFieldProblem } from './input-rules';
import { pauseSignal, resumeSignal, stopSignal } from './definitions';
import {
  addPoolsUpdate,
  portfolioStatusQuery,
  portfolioSupervisorWorkflowId,
  removePoolsUpdate,
  setHedgingUpdate,
  setLimitsUpdate,
  stopSupervisorSignal,
  type PortfolioActionRecord,
  type PortfolioSupervisorCarried,
  type PortfolioSupervisorInput,
  type PortfolioSupervisorStatus,
} from './portfolio-definitions';

/*
 * One durable supervisor per desk. Every `periodMs` it evaluates the desk's portfolio limits in one
 * local activity (read, value, evaluate: domain/portfolio-risk.ts), records each breach and clearing
 * on the desk's stream, and acts through the market makers: a pause, resume or stop signal to each
 * pool whose action changed; for 'skew', a move of the pool's inventory target through its market
 * maker's updateConfig (activities/desk.ts setPoolTargetShare), undone when no breach holds the pool
 * any more or the supervisor stops, unless an operator changed the target meanwhile. With netted
 * hedging on it also runs a hedge round (db/desk.ts), which decides under the desk's lock and cool-down and is idempotent by its round key.
 *
 * History: an evaluation with nothing to do costs a timer and a local activity marker, and the run
 * continues as new after `maxTicksPerRun`, carrying the risk state (plain JSON), so a long-lived desk
 * keeps a short history. A per-second period is affordable at that cost; the default is 5 s.
 */

const MAX_RECENT_ACTIONS = 20;

/** Validated like the other workflows' inputs: a bad one fails the start, naming the field. */
function checkInput(raw: unknown): PortfolioSupervisorInput {
  if (!isPlainObject(raw))
    invalidInput(
      'input',
      'PortfolioSupervisorWorkflow takes one JSON object: {"deskId": "...", "pools": [...]}',
    );
  const known = ['deskId', 'pools', 'limits', 'hedging', 'periodMs', 'maxTicksPerRun', 'carried'];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key))
      invalidInput(
        key,
        `"${key}" is not a field of PortfolioSupervisorWorkflow's input; known: ${known.join(', ')}`,
      );
  }
  try {
    const deskId = parseDeskId(raw.deskId);
    const expected = portfolioSupervisorWorkflowId(deskId);
    if (workflowInfo().workflowId !== expected) {
      invalidInput(
        'deskId',
        `the supervisor of desk "${deskId}" must run as workflow id "${expected}", not "${workflowInfo().workflowId}"`,
      );
    }
    for (const [field, b] of [
      ['periodMs', SUPERVISOR_PERIOD_MS],
      ['maxTicksPerRun', SUPERVISOR_TICKS_PER_RUN],
    ] as const) {
      const problem = integerFieldProblem(field, raw[field], b.min, b.max);
      if (problem) invalidInput(field, problem);
    }
    if (raw.carried === undefined) {
      if (raw.pools !== undefined) parseDeskPools(raw.pools);
      if (raw.limits !== undefined) parseSupervisorLimits(raw.limits);
      if (raw.hedging !== undefined) parseDeskHedging(raw.hedging);
    }
  } catch (err) {
    asFailure(err);
  }
  return raw as unknown as PortfolioSupervisorInput;
}

export async function PortfolioSupervisorWorkflow(
  rawInput: PortfolioSupervisorInput,
): Promise<PortfolioSupervisorStatus> {
  const input = checkInput(rawInput);
  const { deskId } = input;
  const info = workflowInfo();
  const carried = input.carried;
  const periodMs = input.periodMs ?? SUPERVISOR_PERIOD_MS.default;
  const maxTicks = input.maxTicksPerRun ?? SUPERVISOR_TICKS_PER_RUN.default;

  let pools: string[] = carried?.pools ?? parseDeskPools(input.pools ?? []);
  let limits: PortfolioLimits = carried?.limits ?? parseSupervisorLimits(input.limits ?? {});
  let hedging: DeskHedging = carried?.hedging ?? parseDeskHedging(input.hedging ?? {});
  let risk: PortfolioRiskState = carried?.risk ?? INITIAL_PORTFOLIO_RISK_STATE;
  let ticks = carried?.ticks ?? 0;
  let rounds = carried?.rounds ?? 0;
  const runs = (carried?.runs ?? 0) + 1;
  let nextHedgeAtMs = carried?.nextHedgeAtMs ?? 0;
  let lastHedge: DeskHedgeRound | null = carried?.lastHedge ?? null;
  const actions: PortfolioActionRecord[] = [...(carried?.actions ?? [])];
  /** Pools whose target the supervisor moved, with the target to give back. */
  const skewed: Record<string, SkewedTarget> = { ...(carried?.skewed ?? {}) };
  let view: DeskEvaluation['view'] | null = null;
  let missing: string[] = [];
  let lastError: string | null = null;
  let stopRequested: string | null = null;
  let wake = false;
  let stopped = false;

  const refusals = recordRefusedSignals(deskId);
  setHandler(portfolioStatusQuery, () => status());
  setHandler(stopSupervisorSignal, (req) => {
    const reason = signalReason('stop', req, refusals);
    if (reason !== undefined) stopRequested ??= reason;
  });

  // Updates apply one at a time: a membership change is written before the next one reads `pools`.
  let updates: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = updates.then(fn);
    updates = run.catch(() => undefined);
    return run;
  };
  const validated = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      asFailure(err);
    }
  };
  const membership = (next: string[], netting: boolean) =>
    writes.setDeskMembership({ deskId, pools: next, netting });
  /** An update's caller (the CLI) is told the activity's own words: which pool, and what to do. */
  const refused = (err: unknown): never => {
    const type = (err as { cause?: { type?: string } })?.cause?.type;
    if (type === 'NotFound' || type === 'Conflict' || type === 'ValidationError') {
      throw ApplicationFailure.create({ message: describeError(err), type, nonRetryable: true });
    }
    throw err;
  };

  setHandler(
    setLimitsUpdate,
    (patch) => {
      limits = parseSupervisorLimits(patch);
      wake = true;
      return limits;
    },
    { validator: (patch) => validated(() => parseSupervisorLimits(patch)) },
  );
  setHandler(
    setHedgingUpdate,
    (patch) =>
      serially(async () => {
        const next = parseDeskHedging(patch);
        await membership(pools, next.enabled).catch(refused);
        hedging = next;
        nextHedgeAtMs = 0;
        wake = true;
        return hedging;
      }),
    { validator: (patch) => validated(() => parseDeskHedging(patch)) },
  );
  const poolsOf = (change: unknown): string[] => {
    if (!isPlainObject(change) || Object.keys(change).some((k) => k !== 'pools')) {
      throw new DomainValidationError('pools', 'the change must be {"pools": ["pool-id", ...]}');
    }
    return parseDeskPools(change.pools);
  };
  setHandler(
    addPoolsUpdate,
    (change) =>
      serially(async () => {
        const next = parseDeskPools([...pools, ...poolsOf(change)]);
        await membership(next, hedging.enabled).catch(refused);
        pools = next;
        wake = true;
        return pools;
      }),
    { validator: (change) => validated(() => parseDeskPools([...pools, ...poolsOf(change)])) },
  );
  setHandler(
    removePoolsUpdate,
    (change) =>
      serially(async () => {
        const gone = new Set(poolsOf(change));
        const next = pools.filter((p) => !gone.has(p));
        await membership(next, hedging.enabled).catch(refused);
        pools = next;
        // A pool that leaves the desk is the desk's no more to hold: the next evaluation resumes it.
        for (const p of gone) {
          // A skewed one gets its target back at the same evaluation (unskewReleased).
          if (Object.hasOwn(risk.poolActions, p) && risk.poolActions[p] === 'pause') released.push(p);
        }
        wake = true;
        return pools;
      }),
    { validator: (change) => validated(() => poolsOf(change)) },
  );

  const eventId = (what: string) => `${info.workflowId}/${info.runId}/t${ticks}/${what}`;

  /*
   * Events not written yet: the decision they record is already taken (the risk state moved on), so
   * a database outage delays them to the next evaluation instead of losing them. Their ids make a
   * repeated write a no-op.
   */
  let pending: NewEvent[] = [...(carried?.pendingEvents ?? [])];
  /** Pools removed from the desk while it held them paused: resumed at the next evaluation. */
  const released: string[] = [];
  const flushEvents = async () => {
    if (!pending.length) return;
    const batch = pending;
    try {
      await writes.recordDeskEvents({ deskId, events: batch });
      pending = pending.slice(batch.length);
    } catch (err) {
      lastError = `recording the desk's events failed (retried next evaluation): ${describeError(err)}`;
    }
  };

  const remember = (a: PortfolioActionRecord) => {
    actions.push(a);
    if (actions.length > MAX_RECENT_ACTIONS) actions.shift();
  };

  interface Outcome {
    outcome: string;
    target?: { from: number; to: number };
    /** A restore that failed: not an action taken, the pool is tried again. */
    retry?: true;
  }

  /** Moves the pool's inventory target toward shedding the exposure, from the share it has now. */
  const skew = async (change: PoolActionChange, current: number | undefined): Promise<Outcome> => {
    if (Object.hasOwn(skewed, change.poolId)) return { outcome: 'already skewed' };
    if (current === undefined || change.favour === undefined)
      return { outcome: 'not skewed: the pool has no share target to move' };
    const target = skewedTargetShare(current, change.favour, limits.skewShift);
    try {
      const r = await writes.setPoolTargetShare({ poolId: change.poolId, expected: current, target });
      if (r.status === 'changed')
        return { outcome: `not skewed: its target changed to ${r.current} meanwhile` };
      skewed[change.poolId] = { original: current, applied: target };
      return { outcome: `target ${current} -> ${target}`, target: { from: current, to: target } };
    } catch (err) {
      return { outcome: `skew not delivered: ${describeError(err)}` };
    }
  };

  /**
   * Gives a skewed pool its target back, unless an operator set another since. Undelivered (the
   * market maker not running), the pool stays listed and the next evaluation tries again.
   */
  const unskew = async (poolId: string): Promise<Outcome | undefined> => {
    if (!Object.hasOwn(skewed, poolId)) return undefined;
    const s = skewed[poolId]!;
    try {
      const r = await writes.setPoolTargetShare({ poolId, expected: s.applied, target: s.original });
      delete skewed[poolId];
      if (r.status === 'changed')
        return {
          outcome: `target left at ${r.current}: an operator changed it from ${s.applied}`,
          target: { from: r.current, to: r.current },
        };
      return {
        outcome: `target restored ${s.applied} -> ${s.original}`,
        target: { from: s.applied, to: s.original },
      };
    } catch (err) {
      lastError = `restoring the target of pool "${poolId}" failed (retried next evaluation): ${describeError(err)}`;
      return { outcome: 'target not restored yet: retried at the next evaluation', retry: true };
    }
  };

  /** Tells a pool's market maker what the evaluation decided; the outcome is recorded either way. */
  const act = async (change: PoolActionChange, currentShare?: number): Promise<Outcome> => {
    const handle = getExternalWorkflowHandle(marketMakerWorkflowId(change.poolId));
    const reason = `portfolio ${deskId}: ${change.reasons.join(', ') || 'limits'}`.slice(
      0,
      MAX_REASON_LENGTH,
    );
    const said: string[] = [];
    try {
      if (change.to === 'pause') {
        await handle.signal(pauseSignal, { reason });
        return { outcome: 'pause signalled' };
      }
      if (change.to === 'stop') {
        await handle.signal(stopSignal, { reason });
        return { outcome: 'stop signalled' };
      }
      // Only a pool the supervisor paused is resumed: a skewed one quotes already, and may have
      // been paused by an operator meanwhile.
      if (change.from === 'pause' || change.from === 'stop') {
        await handle.signal(resumeSignal);
        said.push('resume signalled');
      }
    } catch (err) {
      return {
        outcome: `not delivered: the market maker of pool "${change.poolId}" is not running (${describeError(err)})`,
      };
    }
    const moved = change.to === 'skew' ? await skew(change, currentShare) : await unskew(change.poolId);
    if (moved) said.push(moved.outcome);
    // A failed restore is still reported here: the change it belongs to is recorded once.
    return {
      outcome: said.join('; ') || 'nothing to do',
      ...(moved?.target ? { target: moved.target } : {}),
    };
  };

  /** Skewed pools no breach holds (a restore that failed, a pool removed from the desk): restored. */
  const unskewReleased = async (nowMs: number, why: string, all = false) => {
    for (const poolId of Object.keys(skewed).sort()) {
      if (!all && Object.hasOwn(risk.poolActions, poolId) && pools.includes(poolId)) continue;
      const moved = await unskew(poolId);
      if (!moved || moved.retry) continue;
      const change = { poolId, from: 'skew' as const, to: 'continue' as const, reasons: [why] };
      remember({ atMs: nowMs, ...change, ...moved });
      pending.push({
        eventId: eventId(`unskew/${poolId}`),
        type: 'portfolio_action_taken',
        payload: { deskId, ...change, ...moved },
      });
    }
  };

  const tick = async () => {
    const nowMs = Date.now();
    for (const poolId of released.splice(0)) {
      const change = {
        poolId,
        from: 'pause' as const,
        to: 'continue' as const,
        reasons: ['removed_from_desk'],
      };
      const outcome = await act(change);
      const { [poolId]: _gone, ...rest } = risk.poolActions;
      risk = { ...risk, poolActions: rest };
      remember({ atMs: nowMs, ...change, ...outcome });
      pending.push({
        eventId: eventId(`released/${poolId}`),
        type: 'portfolio_action_taken',
        payload: { deskId, ...change, ...outcome },
      });
    }
    let result: DeskEvaluation;
    try {
      result = await local.evaluateDesk({ deskId, pools, limits, state: risk, nowMs, skewed });
    } catch (err) {
      lastError = `evaluation failed: ${describeError(err)}`;
      log.warn('portfolio evaluation failed', { deskId, error: lastError });
      await flushEvents();
      return;
    }
    lastError = null;
    view = result.view;
    missing = result.missing;
    const ev = result.evaluation;
    if (ev) {
      risk = ev.state;
      const events: NewEvent[] = [
        ...ev.breached.map((b): NewEvent => ({
          eventId: eventId(`breached/${b.key}`),
          type: 'portfolio_limit_breached',
          payload: {
            deskId,
            key: b.key,
            value: b.value ?? '0',
            threshold: b.threshold ?? '0',
            action: b.action as 'skew' | 'pause' | 'stop',
            pools: b.pools,
          },
        })),
        ...ev.cleared.map((c): NewEvent => ({
          eventId: eventId(`cleared/${c.key}`),
          type: 'portfolio_limit_cleared',
          payload: { deskId, key: c.key, value: c.value, threshold: c.threshold, pools: c.pools },
        })),
      ];
      for (const change of ev.changes) {
        const share = result.targets?.[change.poolId];
        const outcome = await act(change, share);
        const { favour: _favour, ...recorded } = change;
        remember({ atMs: nowMs, ...recorded, ...outcome });
        events.push({
          eventId: eventId(`action/${change.poolId}`),
          type: 'portfolio_action_taken',
          payload: { deskId, ...recorded, ...outcome },
        });
      }
      pending.push(...events);
    }
    await unskewReleased(nowMs, 'released');
    await flushEvents();
    if (hedging.enabled && pools.length && nowMs >= nextHedgeAtMs) {
      rounds++;
      try {
        lastHedge = await writes.hedgeDeskNet({
          deskId,
          pools,
          numeraire: limits.numeraire,
          roundKey: `${info.runId}/r${rounds}`,
          hedging,
        });
        if (lastHedge.status === 'cool_down' && lastHedge.untilMs !== undefined)
          nextHedgeAtMs = lastHedge.untilMs;
        else if (lastHedge.status === 'hedged') nextHedgeAtMs = nowMs + hedging.cooldownSeconds * 1000;
      } catch (err) {
        lastError = `hedge round failed: ${describeError(err)}`;
        log.warn('desk hedge round failed', { deskId, error: lastError });
      }
    }
  };

  let endedBy: 'stop' | 'continue_as_new' = 'stop';
  try {
    if (!carried) {
      try {
        await membership(pools, hedging.enabled);
      } catch (err) {
        const type = (err as { cause?: { type?: string } })?.cause?.type;
        if (isNotFound(err) || type === 'Conflict') invalidInput('pools', describeError(err));
        throw err;
      }
      await writes.recordDeskEvents({
        deskId,
        events: [
          {
            eventId: `${info.workflowId}/${info.runId}/started`,
            type: 'portfolio_supervisor_started',
            payload: { deskId, workflowId: info.workflowId, pools },
          },
        ],
      });
    }
    let ticksThisRun = 0;
    for (;;) {
      if (stopRequested !== null) break;
      if (ticksThisRun >= maxTicks || workflowInfo().continueAsNewSuggested) {
        endedBy = 'continue_as_new';
        break;
      }
      wake = false;
      await updates;
      await tick();
      ticks++;
      ticksThisRun++;
      await condition(() => wake || stopRequested !== null, periodMs);
    }
    if (endedBy === 'continue_as_new') {
      await condition(allHandlersFinished);
      await flushEvents();
    } else {
      // A stopped supervisor could never give the targets back: it does so now.
      await unskewReleased(Date.now(), 'supervisor_stopped', true);
      await flushEvents();
    }
  } finally {
    if (endedBy === 'stop') {
      // The pools hedge themselves again; the ones it paused stay paused for an operator to resume.
      await cleanup.setDeskMembership({ deskId, pools, netting: false }).catch(() => undefined);
      stopped = true;
    }
  }
  if (endedBy === 'continue_as_new') {
    const next: PortfolioSupervisorCarried = {
      pools,
      limits,
      hedging,
      risk,
      ticks,
      rounds,
      runs,
      nextHedgeAtMs,
      lastHedge,
      actions,
      ...(Object.keys(skewed).length ? { skewed } : {}),
      ...(pending.length ? { pendingEvents: pending } : {}),
    };
    await continueAsNew<typeof PortfolioSupervisorWorkflow>({ ...input, pools, carried: next });
  }
  return status();

  function status(): PortfolioSupervisorStatus {
    return {
      deskId,
      state: stopped ? 'stopped' : 'running',
      pools,
      limits,
      hedging,
      periodMs,
      ticks,
      runs,
      breaches: risk.breaches,
      poolActions: risk.poolActions,
      stopped: risk.stopped,
      skewed: { ...skewed },
      numeraire: limits.numeraire,
      exposure: view?.exposure ?? [],
      totalPnl: view?.totalPnl ?? null,
      missingPools: missing,
      lastHedge,
      recentActions: [...actions],
      lastError,
      rejectedSignals: [...refusals.rejected],
    };
  }
}
