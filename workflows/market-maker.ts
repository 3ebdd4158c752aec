import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  currentUpdateInfo,
  allHandlersFinished,
  isCancellation,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MarketSnapshot } from '../activities/types';
import { mergePoolConfig, type PoolConfig } from '../domain/config';
import { DomainValidationError } from '../domain/errors';
import type { NewEvent } from '../domain/events';
import { Big } from '../domain/money';
import { evaluateRisk, type RiskEvaluation } from '../domain/risk';
import type { SerializedQuoteLadder } from '../domain/strategies/serialize';
import { cleanup, describeError, local, writes } from './activity-options';
import {
  MarketMakerStatusAttribute,
  PoolIdAttribute,
  pauseSignal,
  poolEventHintSignal,
  resumeSignal,
  setRiskLimitsUpdate,
  spreadChangedSignal,
  statusQuery,
  stopSignal,
  updateConfigUpdate,
  type MarketMakerCarriedState,
  type MarketMakerInput,
  type MarketMakerState,
  type MarketMakerStatus,
} from './definitions';

const DEFAULT_MAX_CYCLES_PER_RUN = 500;

/** Validation errors must reach the caller as ApplicationFailures, never fail the workflow task. */
function asFailure(err: unknown): never {
  if (err instanceof DomainValidationError) {
    throw ApplicationFailure.create({
      message: err.message,
      type: 'ValidationError',
      nonRetryable: true,
      details: [{ field: err.field }],
    });
  }
  throw err;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function largestNotional(ladder: SerializedQuoteLadder | null): Big {
  let max = new Big(0);
  for (const l of [...(ladder?.bids ?? []), ...(ladder?.asks ?? [])]) {
    const n = new Big(l.price).times(l.size);
    if (n.gt(max)) max = n;
  }
  return max;
}

/**
 * Continuous two-sided quoting for one pool: monitor, check risk, quote, reconcile, wait for the
 * refresh interval or an earlier wake-up. Every resting order is cancelled when it ends, however it ends.
 */
export async function MarketMakerWorkflow(input: MarketMakerInput): Promise<MarketMakerStatus> {
  const { poolId } = input;
  const workflowId = workflowInfo().workflowId;
  const carried = input.carried;
  const maxCycles = input.maxCyclesPerRun ?? DEFAULT_MAX_CYCLES_PER_RUN;
  for (const [field, value, min] of [
    ['refreshIntervalMs', input.refreshIntervalMs, 100],
    ['maxCyclesPerRun', input.maxCyclesPerRun, 1],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      // Fails the start at once with the reason, before any order is placed.
      throw ApplicationFailure.create({
        type: 'ValidationError',
        nonRetryable: true,
        message: `${field} must be an integer of at least ${min}, got ${JSON.stringify(value)}`,
      });
    }
  }

  let cycle = carried?.cycle ?? 0;
  const runs = (carried?.runs ?? 0) + 1;
  let baseline = carried?.baseline;
  let manualPause = carried?.manualPause ?? null;
  let cooldownUntilMs = carried?.cooldownUntilMs ?? null;
  let lastBreachKey = carried?.lastBreachKey ?? '';
  let stopRequested = carried?.stopRequested ?? null;
  let wake = false;
  let config: PoolConfig | null = null;
  let snapshot: MarketSnapshot | null = null;
  let ladder: SerializedQuoteLadder | null = null;
  let restingOrders = 0;
  let lastRisk: RiskEvaluation | null = null;
  let lastError: string | null = null;
  let lastCycleAtMs: number | null = null;
  let state = 'starting' as MarketMakerState;
  let stopReason: string | null = null;

  // The start input's override holds until an operator sets refreshIntervalMs through updateConfig:
  // the later, explicit command wins (otherwise the accepted update would silently change nothing).
  let refreshOverride = input.refreshIntervalMs;
  const refreshIntervalMs = () => refreshOverride ?? config?.refreshIntervalMs ?? 1000;
  const setState = (next: MarketMakerState) => {
    if (next === state && next !== 'starting') return;
    state = next;
    upsertSearchAttributes([
      { key: PoolIdAttribute, value: poolId },
      { key: MarketMakerStatusAttribute, value: next },
    ]);
  };
  // A continued run starts in the state the last run reached, so the search attribute does not
  // flicker. A pause received but not yet carried out (orders still resting) arrives as 'quoting',
  // so this run's pause branch still cancels them.
  setState(carried?.state ?? 'starting');

  setHandler(statusQuery, () => status());
  // Hints carry no data the loop trusts: they only cut the wait short.
  // While paused they are ignored, so a paused pool's history does not grow with every trade.
  const hint = () => {
    if (!manualPause && cooldownUntilMs === null) wake = true;
  };
  setHandler(spreadChangedSignal, hint);
  setHandler(poolEventHintSignal, hint);
  setHandler(pauseSignal, (req) => {
    manualPause = { reason: typeof req?.reason === 'string' && req.reason ? req.reason : 'operator' };
    wake = true;
  });
  setHandler(resumeSignal, () => {
    manualPause = null;
    cooldownUntilMs = null;
    wake = true;
  });
  setHandler(stopSignal, (req) => {
    stopRequested ??= { reason: typeof req?.reason === 'string' && req.reason ? req.reason : 'operator' };
    wake = true;
  });

  // Updates apply one at a time, each merged onto the configuration the previous one wrote:
  // two concurrent updates must not both merge onto the same old configuration and lose one change.
  let updates: Promise<unknown> = Promise.resolve();
  let configEpoch = 0;
  const applyConfigPatch = (patch: unknown): Promise<PoolConfig> => {
    const requestId = `${workflowId}/update/${currentUpdateInfo()?.id ?? cycle}`;
    const run = updates.then(async () => {
      const next = mergePoolConfig(config!, patch);
      await writes.updatePoolConfig({ poolId, config: next, requestId });
      config = next;
      configEpoch++;
      if (isPlainObject(patch) && patch.refreshIntervalMs !== undefined) refreshOverride = undefined;
      wake = true;
      return next;
    });
    updates = run.catch(() => undefined);
    return run;
  };
  const requireConfig = () => {
    if (!config)
      throw ApplicationFailure.create({
        message: 'The market maker has not read its pool yet; retry in a moment.',
        type: 'NotReady',
        nonRetryable: true,
      });
  };
  setHandler(updateConfigUpdate, (patch) => applyConfigPatch(patch).catch(asFailure), {
    validator: (patch) => {
      requireConfig();
      try {
        mergePoolConfig(config!, patch);
      } catch (err) {
        asFailure(err);
      }
    },
  });
  setHandler(
    setRiskLimitsUpdate,
    async (patch) => (await applyConfigPatch({ risk: patch }).catch(asFailure)).risk,
    {
      validator: (patch) => {
        requireConfig();
        try {
          mergePoolConfig(config!, { risk: patch });
        } catch (err) {
          asFailure(err);
        }
      },
    },
  );

  const record = (events: NewEvent[]) => writes.recordMarketMakerEvents({ poolId, events });
  // The run chain's id keeps keys unique when the pool is started again under the same workflow id
  // (cycle numbering restarts at 0 then): without it the new run's orders and events would collide
  // with the previous run's and be refused or silently deduplicated. continueAsNew keeps the chain id.
  const chainId = workflowInfo().firstExecutionRunId;
  const cycleKey = () => `${workflowId}/${chainId}/c${cycle}`;

  const onBreach = async (risk: RiskEvaluation) => {
    const key = `${risk.action}:${risk.reasons
      .map((r) => r.limit)
      .sort()
      .join(',')}`;
    if (risk.action === 'continue') {
      lastBreachKey = '';
      return;
    }
    // One event per distinct breach, not one per cycle while it lasts.
    if (key === lastBreachKey && risk.action !== 'stop') return;
    lastBreachKey = key;
    await record([
      {
        eventId: `${cycleKey()}/risk`,
        type: 'risk_limit_breached',
        payload: {
          poolId,
          action: risk.action as 'widen' | 'pause' | 'flatten' | 'stop',
          reasons: risk.reasons,
        },
      },
    ]);
  };

  const runCycle = async () => {
    const epoch = configEpoch;
    snapshot = await local.monitorMarketConditions({ poolId, baseline });
    if (!baseline) {
      // P&L is measured from this market maker's start, not over the pool's whole life.
      baseline = {
        reserveBase: snapshot.reserveBase,
        reserveQuote: snapshot.reserveQuote,
        netBaseContributed: snapshot.netBaseContributed,
        netQuoteContributed: snapshot.netQuoteContributed,
      };
      snapshot = await local.monitorMarketConditions({ poolId, baseline });
    }
    // A snapshot read before an update committed must not bring back the old configuration.
    if (epoch === configEpoch || !config) config = snapshot.config;
    const cfg: PoolConfig = config;
    const risk = evaluateRisk(
      {
        inventoryShare: new Big(snapshot.inventoryShare),
        targetShare: cfg.spreadPolicy.targetInventoryShare,
        pnl: new Big(snapshot.pnl.totalPnl),
        volatility: snapshot.volatility,
        largestOrderNotional: largestNotional(ladder),
        priceAgeSeconds: snapshot.priceAgeSeconds ?? Number.MAX_SAFE_INTEGER,
      },
      cfg.risk,
    );
    // Flattening trades at the reference price: on a stale price, pause instead.
    if (risk.action === 'flatten' && risk.reasons.some((r) => r.limit === 'maxPriceAgeSeconds')) {
      risk.action = 'pause';
      risk.cooldownSeconds = cfg.risk.cooldownSeconds;
    }
    lastRisk = risk;
    await onBreach(risk);
    switch (risk.action) {
      case 'stop':
        stopRequested ??= { reason: `risk_limit_breached: ${risk.reasons.map((r) => r.limit).join(', ')}` };
        return;
      case 'pause':
        cooldownUntilMs = Date.now() + (risk.cooldownSeconds ?? cfg.risk.cooldownSeconds) * 1000;
        restingOrders -= await writes.cancelAllQuotes({ poolId, reason: 'risk_pause' });
        await record([
          {
            eventId: `${cycleKey()}/paused`,
            type: 'market_maker_paused',
            payload: {
              poolId,
              reason: risk.reasons.map((r) => r.limit).join(', '),
              untilMs: cooldownUntilMs,
            },
          },
        ]);
        setState('paused');
        return;
      case 'flatten':
        await writes.cancelAllQuotes({ poolId, reason: 'risk_flatten' });
        await writes.adjustInventory({ poolId, requestId: `${cycleKey()}/flatten` });
        snapshot = await local.monitorMarketConditions({ poolId, baseline });
        break;
      default:
        break;
    }
    const quotedSnapshot =
      risk.action === 'widen'
        ? { ...snapshot, spreadBps: new Big(snapshot.spreadBps).times(1.5).round(4).toFixed() }
        : snapshot;
    ladder = await local.calculateOptimalQuotes({ snapshot: quotedSnapshot });
    const result = await writes.reconcileQuotes({
      poolId,
      cycleKey: cycleKey(),
      cycle,
      mid: snapshot.mid,
      spreadBps: quotedSnapshot.spreadBps,
      ladder,
      toleranceBps: String(cfg.quoteTolerance),
    });
    restingOrders = result.resting.length;
    setState('quoting');
  };

  /** Reads the pool once so the start event names the strategy; the loop retries if the pool is not readable yet. */
  const strategyKind = async () => {
    try {
      config = (await local.monitorMarketConditions({ poolId })).config;
      return config.strategy.kind;
    } catch {
      return 'unknown';
    }
  };

  let endedBy: 'stop' | 'continue_as_new' = 'stop';
  try {
    if (!carried) {
      await record([
        {
          eventId: `${workflowId}/${workflowInfo().firstExecutionRunId}/started`,
          type: 'market_maker_started',
          payload: {
            poolId,
            workflowId,
            strategy: await strategyKind(),
            refreshIntervalMs: refreshIntervalMs(),
          },
        },
      ]);
    }
    let cyclesThisRun = 0;
    for (;;) {
      if (stopRequested) break;
      const now = Date.now();
      if (cooldownUntilMs !== null && now >= cooldownUntilMs) {
        cooldownUntilMs = null;
        // Still paused by an operator: that pause's resume will be the one recorded.
        if (!manualPause) {
          await record([
            {
              eventId: `${cycleKey()}/resumed`,
              type: 'market_maker_resumed',
              payload: { poolId, reason: 'cooldown_elapsed' },
            },
          ]);
        }
      }
      if (manualPause || cooldownUntilMs !== null) {
        if (state !== 'paused') {
          await writes.cancelAllQuotes({ poolId, reason: 'paused' });
          restingOrders = 0;
          if (manualPause) {
            await record([
              {
                eventId: `${cycleKey()}/paused`,
                type: 'market_maker_paused',
                payload: { poolId, reason: manualPause.reason },
              },
            ]);
          }
          setState('paused');
        }
        wake = false;
        const waitMs = cooldownUntilMs !== null ? Math.max(1, cooldownUntilMs - Date.now()) : undefined;
        if (waitMs === undefined) await condition(() => wake);
        else await condition(() => wake, waitMs);
        if (!manualPause && cooldownUntilMs === null && state === 'paused') {
          await record([
            {
              eventId: `${cycleKey()}/resumed`,
              type: 'market_maker_resumed',
              payload: { poolId, reason: 'operator' },
            },
          ]);
          setState('quoting');
        }
        cycle++;
        if (++cyclesThisRun >= maxCycles || workflowInfo().continueAsNewSuggested) break;
        continue;
      }
      wake = false;
      try {
        await runCycle();
        lastError = null;
      } catch (err) {
        if (isCancellation(err)) throw err;
        lastError = describeError(err);
        log.warn('market maker cycle failed; retrying next cycle', { poolId, cycle, error: lastError });
      }
      lastCycleAtMs = Date.now();
      cycle++;
      if (stopRequested) break;
      if (++cyclesThisRun >= maxCycles || workflowInfo().continueAsNewSuggested) break;
      await condition(() => wake, refreshIntervalMs());
    }
    if (!stopRequested) {
      // Inside the try: a cancellation while handlers finish still runs the cleanup below.
      await condition(allHandlersFinished);
      endedBy = 'continue_as_new';
    }
  } finally {
    if (endedBy === 'stop') {
      // Runs on stop, failure and cancellation alike: no order may outlive the market maker.
      await CancellationScope.nonCancellable(async () => {
        setState('stopping');
        const cancelled = await cleanup.cancelAllQuotes({ poolId, reason: 'market_maker_stopped' });
        stopReason = stopRequested?.reason ?? 'cancelled_or_failed';
        await cleanup.recordMarketMakerEvents({
          poolId,
          events: [
            {
              eventId: `${workflowId}/${workflowInfo().firstExecutionRunId}/stopped`,
              type: 'market_maker_stopped',
              payload: { poolId, workflowId, reason: stopReason, cancelledOrders: cancelled },
            },
          ],
        });
        restingOrders = 0;
        setState('stopped');
      });
    }
  }
  if (endedBy === 'continue_as_new') {
    const next: MarketMakerCarriedState = {
      cycle,
      baseline,
      manualPause,
      cooldownUntilMs,
      lastBreachKey,
      stopRequested,
      runs,
      state,
    };
    await continueAsNew<typeof MarketMakerWorkflow>({
      ...input,
      refreshIntervalMs: refreshOverride,
      carried: next,
    });
  }
  return status();

  function status(): MarketMakerStatus {
    return {
      poolId,
      state,
      cycle,
      runs,
      refreshIntervalMs: refreshIntervalMs(),
      mid: snapshot?.mid ?? null,
      spreadBps: snapshot?.spreadBps ?? null,
      bids: ladder?.bids ?? [],
      asks: ladder?.asks ?? [],
      restingOrders,
      inventoryShare: snapshot?.inventoryShare ?? null,
      reserveBase: snapshot?.reserveBase ?? null,
      reserveQuote: snapshot?.reserveQuote ?? null,
      pnl: snapshot ? { totalPnl: snapshot.pnl.totalPnl, returnPct: snapshot.pnl.returnPct } : null,
      lastRisk: lastRisk ? { action: lastRisk.action, reasons: lastRisk.reasons } : null,
      pauseReason: manualPause?.reason ?? (cooldownUntilMs ? 'risk_cooldown' : null),
      stopReason,
      lastError,
      lastCycleAtMs,
    };
  }
}
