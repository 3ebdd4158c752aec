import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PoolEventSummary, SpreadInputs } from '../activities/types';
import type { NewEvent } from '../domain/events';
import { Big } from '../domain/money';
import { evaluateSpread, type SpreadEvaluation } from '../domain/spread-policy';
import { cleanup, describeError, local, writes } from './activity-options';
import { invalidInput, isNotFound, recordRefusedSignals, validateStartInput } from './input-validation';
import { SPREAD_SAGA_START } from './input-rules';
import { runScopedKeys, spreadTierBands } from './patches';
import {
  PoolIdAttribute,
  poolEventHintSignal,
  sagaStatusQuery,
  stopSignal,
  type SpreadSagaCarriedState,
  type SpreadSagaInput,
  type SpreadSagaStatus,
} from './definitions';

// The quoting session hints the saga when the pure spread policy says a decision is due; the
// catch-up is a rare safety net (a lost hint), minutes apart, because every wake-up costs history.
const DEFAULT_CATCH_UP_MS = 300_000;
const DEFAULT_MAX_ITERATIONS = 1000;
const PAGE = 5000;

/**
 * Keeps one pool's spread where the policy wants it. The pool's event stream past the saga's own
 * checkpoint is the source of truth. The quoting session, which sees every trade, runs the same
 * pure policy and wakes the saga only when a decision is due; a rare catch-up covers a lost hint. Each adjustment is a saga: set the spread,
 * ask the market maker (the pool's one hedging owner) to rebalance if the imbalance is critical, and on
 * failure compensate: the previous spread comes back only if it is no narrower and nobody changed the
 * spread since (db/spread-compensation.ts); otherwise the wider spread stays, and an event says why.
 * The checkpoint is also kept in Postgres and only moves forward (db/stream-checkpoint.ts): a reset
 * or a fresh start resumes after the events already processed instead of processing them again.
 */
export async function SpreadManagementSaga(rawInput: SpreadSagaInput): Promise<SpreadSagaStatus> {
  const input = validateStartInput<SpreadSagaInput>(rawInput, SPREAD_SAGA_START);
  const { poolId } = input;
  const workflowId = workflowInfo().workflowId;
  // Decided once, in the run's first activation (see workflows/patches.ts for why there).
  const runScoped = runScopedKeys();
  const legacySpreadRules = !spreadTierBands();
  const c = input.carried;
  let checkpoint = c?.checkpoint ?? 0;
  let iteration = c?.iteration ?? 0;
  let volatilityRegime = c?.volatilityRegime ?? 'normal';
  let imbalanceLevel = c?.imbalanceLevel ?? 'none';
  let tvlTier = c?.tvlTier;
  const counts: Record<string, number> = { ...(c?.counts ?? {}) };
  let adjustments = c?.adjustments ?? 0;
  let compensations = c?.compensations ?? 0;
  let rebalances = c?.rebalances ?? 0;
  let lastAdjustment = c?.lastAdjustment ?? null;
  let stopRequested = c?.stopRequested ?? false;
  const runs = (c?.runs ?? 0) + 1;
  let hinted = true;
  let snapshot = null as SpreadInputs['market'] | null;
  let evaluation = null as SpreadEvaluation | null;
  let lastError: string | null = null;

  upsertSearchAttributes([{ key: PoolIdAttribute, value: poolId }]);
  setHandler(poolEventHintSignal, () => {
    hinted = true;
  });
  setHandler(stopSignal, () => {
    stopRequested = true;
  });
  setHandler(sagaStatusQuery, () => status());
  const rejectedSignals = recordRefusedSignals(poolId).rejected;

  /**
   * Reads every pool event past the checkpoint (the first page comes with the market figures, in one
   * local activity: one marker in history per iteration) and returns the market figures.
   */
  const catchUp = async (): Promise<SpreadInputs['market']> => {
    const first = await local.readSpreadInputs({ poolId, afterVersion: checkpoint, limit: PAGE });
    let page: PoolEventSummary = first.events;
    for (;;) {
      for (const [type, n] of Object.entries(page.counts)) counts[type] = (counts[type] ?? 0) + n;
      checkpoint = page.lastVersion;
      if (page.read < PAGE) return first.market;
      page = await local.readPoolEvents({ poolId, afterVersion: checkpoint, limit: PAGE });
    }
  };

  const adjust = async (key: string, current: Big, ev: SpreadEvaluation) => {
    const undo: Array<() => Promise<unknown>> = [];
    const target = ev.targetSpreadBps.toFixed();
    try {
      if (ev.shouldAdjust) {
        const change = await writes.adjustSpread({
          poolId,
          requestId: key,
          newSpreadBps: target,
          reasons: ev.reasons,
          sagaId: workflowId,
        });
        undo.push(() =>
          // Retried until it succeeds: a compensation that gives up would leave the pool half-adjusted.
          cleanup.restoreSpread({
            poolId,
            requestId: key,
            restoreToBps: change.oldSpreadBps,
            attemptedSpreadBps: target,
            error: lastError ?? 'unknown',
            sagaId: workflowId,
          }),
        );
        lastAdjustment = {
          oldSpreadBps: change.oldSpreadBps,
          newSpreadBps: change.newSpreadBps,
          reasons: ev.reasons,
        };
        adjustments++;
      }
      if (ev.imbalance.level === 'critical') {
        // A request to the pool's hedging owner, the market maker (histories recorded before that
        // change answer with the fill they booked themselves).
        const r = await writes.adjustInventory({ poolId, requestId: `${key}/rebalance` });
        if (r.applied || r.requested) rebalances++;
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      lastError = describeError(err);
      // Compensate in reverse order so the pool is left at its previous, consistent spread.
      for (const step of undo.reverse()) await step();
      if (undo.length) compensations++;
    }
  };

  const iterate = async () => {
    lastError = null;
    snapshot = await catchUp();
    const current = new Big(snapshot.spreadBps);
    evaluation = evaluateSpread(
      {
        currentSpreadBps: current,
        inventoryShare: new Big(snapshot.inventoryShare),
        volatility: snapshot.volatility,
        tvl: new Big(snapshot.tvl),
        previousVolatilityRegime: volatilityRegime,
        previousImbalanceLevel: imbalanceLevel,
        previousTvlTier: tvlTier,
      },
      snapshot.spreadPolicy,
      { legacy: legacySpreadRules },
    );
    // Unique per run: a saga started again for the pool restarts at iteration 0, and a Temporal reset
    // replays this run's iterations under a new run id; either way its decisions are new ones, and
    // request ids shared with the earlier run would be refused or deduplicated (dropped). Histories
    // recorded before the patch keep their first-run ids.
    const key = `${workflowId}/${runScoped ? workflowInfo().runId : workflowInfo().firstExecutionRunId}/i${iteration}`;
    if (evaluation.events.length) {
      const events: NewEvent[] = evaluation.events.map((e) => ({
        eventId: `${key}/${e.type}`,
        type: e.type,
        payload: { poolId, ...e.payload },
      })) as NewEvent[];
      await writes.recordPoolEvents({ poolId, events });
    }
    volatilityRegime = evaluation.volatilityRegime;
    imbalanceLevel = evaluation.imbalance.level;
    if (!legacySpreadRules) tvlTier = evaluation.tvlTier;
    // The new spread reaches the market maker through the pool row's notification, not a signal.
    if (evaluation.shouldAdjust || evaluation.imbalance.level === 'critical') {
      await adjust(key, current, evaluation);
    }
  };

  const maxIterations = input.maxIterationsPerRun ?? DEFAULT_MAX_ITERATIONS;
  let iterationsThisRun = 0;
  while (!stopRequested) {
    await condition(() => hinted || stopRequested, input.catchUpIntervalMs ?? DEFAULT_CATCH_UP_MS);
    if (stopRequested) break;
    if (hinted && input.coalesceMs) await sleep(input.coalesceMs);
    hinted = false;
    try {
      await iterate();
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The first look at a pool that does not exist ends the saga, naming it.
      if (!c && iteration === 0 && isNotFound(err)) {
        invalidInput('poolId', `pool "${poolId}" does not exist: create it before starting its spread saga`);
      }
      lastError = describeError(err);
      log.warn('spread saga iteration failed; retrying at the next catch-up', { poolId, error: lastError });
    }
    iteration++;
    iterationsThisRun++;
    if (iterationsThisRun >= maxIterations || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      const carried: SpreadSagaCarriedState = {
        checkpoint,
        iteration,
        volatilityRegime,
        imbalanceLevel,
        tvlTier,
        counts,
        adjustments,
        compensations,
        rebalances,
        runs,
        lastAdjustment,
        stopRequested,
      };
      await continueAsNew<typeof SpreadManagementSaga>({ ...input, carried });
    }
  }
  return status();

  function status(): SpreadSagaStatus {
    return {
      poolId,
      spreadBps: snapshot?.spreadBps ?? null,
      checkpoint,
      iteration,
      runs,
      counts: { ...counts },
      adjustments,
      compensations,
      rebalances,
      lastAdjustment,
      lastMetrics:
        snapshot && evaluation
          ? {
              inventoryShare: snapshot.inventoryShare,
              volatility: snapshot.volatility,
              volatilityRegime: evaluation.volatilityRegime,
              tvl: snapshot.tvl,
              targetSpreadBps: evaluation.targetSpreadBps.toFixed(),
              reasons: evaluation.reasons,
            }
          : null,
      lastError,
      rejectedSignals: [...rejectedSignals],
    };
  }
}
