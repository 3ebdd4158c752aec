import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  currentUpdateInfo,
  allHandlersFinished,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SessionOutcome } from '../activities/quoting-session';
import { mergePoolConfig, parseStoredPoolConfig, type PoolConfig } from '../domain/config';
import { cleanup, describeError, local, writes } from './activity-options';
import { runScopedKeys } from './patches';
import {
  invalidInput,
  isNotFound,
  asFailure,
  isPlainObject,
  recordRefusedSignals,
  signalReason,
  validateStartInput,
} from './input-validation';
import { MARKET_MAKER_START } from './input-rules';
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

/*
 * The market maker's durable supervisor. It holds what must survive anything (lifecycle, config,
 * risk limits, the operator's commands, the P&L baseline, search attributes) and runs the quote
 * loop as one long-lived quoting session activity at a time (activities/quoting-session.ts). A
 * routine cycle adds nothing to this history: it grows only with decisions (a pause, a resume, a
 * config change, a risk action, a session restarted after a worker died).
 *
 * Control: pause and stop reach the book through the database at once (haltQuoting bumps the
 * fence generation and cancels every resting quote in one transaction, so the running session can
 * never write again), then the session is cancelled. Config and risk-limit changes are written to
 * the pool row, whose notification wakes the session; it reads them on its next cycle. Only a new
 * refresh override restarts the session.
 */

const DEFAULT_MAX_SESSIONS_PER_RUN = 200;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 4000;
/** A session that ends with an error is restarted after this pause, so a broken pool cannot spin. */
const SESSION_RESTART_BACKOFF_MS = 2000;

export async function MarketMakerWorkflow(rawInput: MarketMakerInput): Promise<MarketMakerStatus> {
  const input = validateStartInput<MarketMakerInput>(rawInput, MARKET_MAKER_START);
  const { poolId } = input;
  const info = workflowInfo();
  const workflowId = info.workflowId;
  // Decided once, in the run's first activation (see workflows/patches.ts for why there).
  const runScoped = runScopedKeys();
  const carried = input.carried;
  const heartbeatTimeoutMs = input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const sessions = proxyActivities<Activities>({
    // The session runs for hours; the heartbeat timeout is what notices a dead worker.
    startToCloseTimeout: (input.maxSessionMs ?? 6 * 3600_000) + 3600_000,
    heartbeatTimeout: heartbeatTimeoutMs,
    // A cancelled session is waited for, so it never completes into a closed workflow.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A retry is how a dead worker's session moves to a live one: no growing backoff, or the tenth
    // worker loss of a long-lived session would wait seconds more than the first.
    retry: {
      initialInterval: '100 ms',
      backoffCoefficient: 1.5,
      maximumInterval: '1 second',
      nonRetryableErrorTypes: ['ValidationError', 'NotFound', 'Conflict'],
    },
  });

  let sessionCount = carried?.sessions ?? 0;
  const runs = (carried?.runs ?? 0) + 1;
  let baseline = carried?.baseline;
  let manualPause = carried?.manualPause ?? null;
  let cooldownUntilMs = carried?.cooldownUntilMs ?? null;
  let stopRequested = carried?.stopRequested ?? null;
  let generation: string | null = null;
  // A continued run starts with the configuration its predecessor held, so configuration updates
  // are validated from its first moment instead of being refused as "not ready" until the pool is
  // read again; the pool row is still re-read before the run's first session (configFromPool).
  let config: PoolConfig | null = carriedConfig(carried?.config);
  let configFromPool = false;
  let lastError: string | null = null;
  let lastOutcome: SessionOutcome['ended'] | null = null;
  /** The last session's final figures: shown while no session runs. */
  let lastLive: SessionOutcome['live'] | null = null;
  let state = 'starting' as MarketMakerState;
  let stopReason: string | null = null;
  let restartSession = false;
  /** Halts (pauses) in this run, for their event ids: unique per run, and so across resets too. */
  let halts = 0;
  /** The quotes are cancelled and the fence bumped for a pause that has not been resumed yet. */
  let halted = carried?.state === 'paused';

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
  // A continued run starts in the state the last run reached, so the search attribute does not flicker.
  setState(carried?.state ?? 'starting');

  setHandler(statusQuery, () => status());
  const refusals = recordRefusedSignals(poolId);
  const rejectedSignals = refusals.rejected;
  // Wake-ups come from Postgres now; the signals stay defined so older senders do not fail.
  setHandler(spreadChangedSignal, () => undefined);
  setHandler(poolEventHintSignal, () => undefined);
  // A pause or stop whose payload is malformed is refused (and shown in the status), not carried
  // out with a made-up reason: the client library checks the same rules and answers the caller.
  setHandler(pauseSignal, (req) => {
    const reason = signalReason('pause', req, refusals);
    if (reason !== undefined) manualPause = { reason };
  });
  setHandler(resumeSignal, () => {
    manualPause = null;
    cooldownUntilMs = null;
  });
  setHandler(stopSignal, (req) => {
    const reason = signalReason('stop', req, refusals);
    if (reason !== undefined) stopRequested ??= { reason };
  });

  // Updates apply one at a time, each merged onto the configuration the previous one wrote:
  // two concurrent updates must not both merge onto the same old configuration and lose one change.
  let updates: Promise<unknown> = Promise.resolve();
  const applyConfigPatch = (patch: unknown): Promise<PoolConfig> => {
    const requestId = `${workflowId}/${info.runId}/update/${currentUpdateInfo()?.id ?? 'none'}`;
    const run = updates.then(async () => {
      const next = mergePoolConfig(config!, patch);
      // The pool row's notification carries the change to the running session.
      await writes.updatePoolConfig({ poolId, config: next, requestId });
      config = next;
      if (isPlainObject(patch) && patch.refreshIntervalMs !== undefined && refreshOverride !== undefined) {
        refreshOverride = undefined;
        restartSession = true;
      }
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
  const validatePatch = (patch: unknown) => {
    requireConfig();
    try {
      mergePoolConfig(config!, patch);
    } catch (err) {
      asFailure(err);
    }
  };
  setHandler(updateConfigUpdate, (patch) => applyConfigPatch(patch).catch(asFailure), {
    validator: (patch) => validatePatch(patch),
  });
  setHandler(
    setRiskLimitsUpdate,
    async (patch) => (await applyConfigPatch({ risk: patch }).catch(asFailure)).risk,
    { validator: (patch) => validatePatch({ risk: patch }) },
  );

  const record = (events: Parameters<Activities['recordMarketMakerEvents']>[0]['events']) =>
    writes.recordMarketMakerEvents({ poolId, events });

  /** Pause: fence off the session and cancel its quotes in one transaction, with the event. */
  const haltForPause = async (reason: string, untilMs?: number) => {
    halts++;
    await writes.haltQuoting({
      poolId,
      cancelReason: untilMs === undefined ? 'paused' : 'risk_pause',
      ...(generation !== null ? { ifGeneration: generation } : {}),
      event: {
        eventId: `${workflowId}/${info.runId}/halt${halts}/paused`,
        type: 'market_maker_paused',
        reason,
        ...(untilMs !== undefined ? { untilMs } : {}),
      },
    });
    generation = null;
    halted = true;
    setState('paused');
  };

  let stopHalted = false;
  /** Stop: fence off for good and cancel every resting quote, with market_maker_stopped. */
  const haltForStop = async () => {
    setState('stopping');
    stopReason = stopRequested?.reason ?? 'cancelled_or_failed';
    await cleanup.haltQuoting({
      poolId,
      cancelReason: 'market_maker_stopped',
      event: {
        eventId: `${workflowId}/${runScoped ? info.runId : info.firstExecutionRunId}/stopped`,
        type: 'market_maker_stopped',
        reason: stopReason,
        workflowId,
      },
    });
    stopHalted = true;
    generation = null;
  };

  const cooldownOver = () => cooldownUntilMs === null || Date.now() >= cooldownUntilMs;

  /** Runs one session until it ends or the supervisor must act; returns why it ended. */
  const superviseSession = async (): Promise<'control' | 'ended'> => {
    generation = await writes.beginQuotingSession({ poolId });
    sessionCount++;
    restartSession = false;
    setState('quoting');
    let outcome: SessionOutcome | undefined;
    let failure: unknown;
    const scope = new CancellationScope();
    const running = scope
      .run(() =>
        sessions.runQuotingSession({
          poolId,
          generation: generation!,
          baseline: baseline!,
          refreshIntervalMs: refreshOverride,
          maxSessionMs: input.maxSessionMs,
        }),
      )
      .then(
        (o) => void (outcome = o),
        (err) => void (failure = err),
      );
    const mustAct = () =>
      stopRequested !== null ||
      manualPause !== null ||
      restartSession ||
      workflowInfo().continueAsNewSuggested;
    await condition(() => outcome !== undefined || failure !== undefined || mustAct());
    if (outcome === undefined && failure === undefined) {
      // Fence first: from this commit on the session cannot write, and the book is already clean.
      if (stopRequested) await haltForStop();
      else if (manualPause) await haltForPause(manualPause.reason);
      // Then end the session and wait for it (it notices the fence at its next cycle, or the
      // cancellation at its next heartbeat), so no attempt outlives this run.
      scope.cancel();
      await running;
      return 'control';
    }
    if (failure !== undefined) {
      if (isCancellation(failure)) throw failure;
      lastError = describeError(failure);
      lastOutcome = null;
      log.warn('quoting session failed; starting a new one', { poolId, error: lastError });
      await sleep(SESSION_RESTART_BACKOFF_MS);
      return 'ended';
    }
    lastOutcome = outcome!.ended;
    lastLive = outcome!.live;
    switch (outcome!.ended) {
      case 'risk_stop':
        stopRequested ??= {
          reason: `risk_limit_breached: ${outcome!.reasons.map((r) => r.limit).join(', ')}`,
        };
        break;
      case 'risk_pause':
        cooldownUntilMs = Date.now() + outcome!.cooldownSeconds * 1000;
        await haltForPause(outcome!.reasons.map((r) => r.limit).join(', '), cooldownUntilMs);
        break;
      case 'fenced':
        // Someone else holds the fence (a stop through the database while this run was away, or a
        // second market maker): back off, then take a new generation.
        await sleep(SESSION_RESTART_BACKOFF_MS);
        break;
      case 'rotated':
        break;
    }
    return 'ended';
  };

  let endedBy: 'stop' | 'continue_as_new' = 'stop';
  let strategy = 'unknown';
  if (!carried) {
    // Before anything is written: an unknown pool fails the start, naming it.
    try {
      config = (await local.monitorMarketConditions({ poolId })).config;
      configFromPool = true;
      strategy = config.strategy.kind;
    } catch (err) {
      if (isNotFound(err)) {
        invalidInput('poolId', `pool "${poolId}" does not exist: create it before starting its market maker`);
      }
      // No price yet, say: the sessions retry; the start is recorded all the same.
      lastError = describeError(err);
    }
  }
  try {
    if (!carried) {
      await record([
        {
          eventId: `${workflowId}/${runScoped ? info.runId : info.firstExecutionRunId}/started`,
          type: 'market_maker_started',
          payload: { poolId, workflowId, strategy, refreshIntervalMs: refreshIntervalMs() },
        },
      ]);
    }
    const maxSessions = input.maxSessionsPerRun ?? DEFAULT_MAX_SESSIONS_PER_RUN;
    let sessionsThisRun = 0;
    for (;;) {
      if (stopRequested) break;
      if (workflowInfo().continueAsNewSuggested || sessionsThisRun >= maxSessions) {
        endedBy = 'continue_as_new';
        break;
      }
      // Halted with no pause left means a resume arrived while the pause was being carried out:
      // it still goes through here, so it is recorded and quoting restarts.
      if (manualPause || !cooldownOver() || halted) {
        if (!halted) await haltForPause(manualPause?.reason ?? 'risk_cooldown');
        const remaining = cooldownUntilMs === null ? undefined : Math.max(1, cooldownUntilMs - Date.now());
        const resumed = () => stopRequested !== null || (manualPause === null && cooldownOver());
        if (remaining === undefined || manualPause) await condition(resumed);
        else await condition(resumed, remaining);
        if (!stopRequested && manualPause === null && cooldownOver()) {
          const reason =
            cooldownUntilMs !== null && Date.now() >= cooldownUntilMs ? 'cooldown_elapsed' : 'operator';
          cooldownUntilMs = null;
          halted = false;
          halts++;
          await record([
            {
              eventId: `${workflowId}/${info.runId}/halt${halts}/resumed`,
              type: 'market_maker_resumed',
              payload: { poolId, reason },
            },
          ]);
        }
        continue;
      }
      try {
        // The P&L baseline is taken once, before the first session, and kept durably here.
        if (!baseline) {
          const snapshot = await local.monitorMarketConditions({ poolId });
          config = snapshot.config;
          baseline = {
            reserveBase: snapshot.reserveBase,
            reserveQuote: snapshot.reserveQuote,
            netBaseContributed: snapshot.netBaseContributed,
            netQuoteContributed: snapshot.netQuoteContributed,
            // Data only (no new command): a history recorded before it replays unchanged.
            hedgeFeesPaid: snapshot.hedgeFeesPaid,
          };
        } else if (!configFromPool) {
          config = (await local.monitorMarketConditions({ poolId, baseline })).config;
        }
        configFromPool = true;
        await superviseSession();
        sessionsThisRun++;
      } catch (err) {
        if (isCancellation(err)) throw err;
        lastError = describeError(err);
        log.warn('market maker could not start a session; retrying', { poolId, error: lastError });
        await sleep(SESSION_RESTART_BACKOFF_MS);
      }
    }
    if (endedBy === 'continue_as_new') {
      // Inside the try: a cancellation while handlers finish still runs the cleanup below.
      await condition(allHandlersFinished);
    }
  } finally {
    if (endedBy === 'stop') {
      // Runs on stop, failure and cancellation alike: no order may outlive the market maker.
      await CancellationScope.nonCancellable(async () => {
        if (!stopHalted) await haltForStop();
        setState('stopped');
      });
    }
  }
  if (endedBy === 'continue_as_new') {
    const next: MarketMakerCarriedState = {
      sessions: sessionCount,
      baseline,
      manualPause,
      cooldownUntilMs,
      stopRequested,
      runs,
      state,
      ...(config ? { config } : {}),
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
      generation,
      sessions: sessionCount,
      lastSessionOutcome: lastOutcome,
      runs,
      refreshIntervalMs: refreshIntervalMs(),
      strategy: config?.strategy.kind ?? null,
      riskLimits: config?.risk ?? null,
      baseline: baseline ?? null,
      pauseReason: manualPause?.reason ?? (cooldownUntilMs ? 'risk_cooldown' : null),
      cooldownUntilMs,
      stopReason,
      lastError,
      rejectedSignals: [...rejectedSignals],
      live: lastLive,
    };
  }
}

/** A carried configuration the current code cannot read is dropped: the pool row is read instead. */
function carriedConfig(value: unknown): PoolConfig | null {
  if (value === undefined || value === null) return null;
  try {
    return parseStoredPoolConfig(value);
  } catch {
    return null;
  }
}
