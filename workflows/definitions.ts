import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { PoolConfig, RiskLimits } from '../domain/config';
import type { SessionLiveStatus } from '../activities/quoting-session';
import type { VolatilityRegime } from '../domain/volatility';
import type { TvlTier } from '../domain/spread-policy';
import type { PnlBaseline } from '../activities/types';

/*
 * Everything a client, an operator's `temporal` command or the other workflow needs to talk to the
 * two workflows. All inputs and outputs are plain JSON with decimal strings.
 */

export { marketMakerWorkflowId, spreadSagaWorkflowId } from './ids';

export const PoolIdAttribute = defineSearchAttributeKey('PoolId', SearchAttributeType.KEYWORD);
export const MarketMakerStatusAttribute = defineSearchAttributeKey(
  'MarketMakerStatus',
  SearchAttributeType.KEYWORD,
);

export type MarketMakerState = 'starting' | 'quoting' | 'paused' | 'stopping' | 'stopped';

export interface MarketMakerInput {
  poolId: string;
  /** Overrides the pool's configured refresh interval. */
  refreshIntervalMs?: number;
  /** Sessions per run before continuing as new (the server's own suggestion also triggers it). */
  maxSessionsPerRun?: number;
  /** How long a silent quoting session is trusted: a dead worker's pools move after about this long. */
  heartbeatTimeoutMs?: number;
  /** A session ends by itself after this long and the supervisor starts the next one. */
  maxSessionMs?: number;
  /** Set by continueAsNew: the state the previous run handed over. */
  carried?: MarketMakerCarriedState;
}

export interface MarketMakerCarriedState {
  sessions: number;
  /** Absent when no session has started yet. */
  baseline?: PnlBaseline;
  manualPause: { reason: string } | null;
  cooldownUntilMs: number | null;
  stopRequested: { reason: string } | null;
  runs: number;
  /** The state the previous run had reached. */
  state?: MarketMakerState;
  /** The configuration the previous run held (absent in runs continued by earlier releases). */
  config?: PoolConfig;
}

/** What the running quoting session reported in its last heartbeat (no workflow history involved). */
export type MarketMakerLiveStatus = SessionLiveStatus;

export interface MarketMakerStatus {
  poolId: string;
  state: MarketMakerState;
  /** The fence generation of the running session; null while paused or stopped. */
  generation: string | null;
  /** Sessions started over the market maker's life (one per start, resume, restart or worker loss). */
  sessions: number;
  lastSessionOutcome: string | null;
  runs: number;
  refreshIntervalMs: number;
  strategy: string | null;
  riskLimits: RiskLimits | null;
  baseline: PnlBaseline | null;
  pauseReason: string | null;
  cooldownUntilMs: number | null;
  stopReason: string | null;
  lastError: string | null;
  /** Signal names this workflow does not define that were sent to it (the last 20). */
  rejectedSignals: string[];
  /**
   * The session's latest quotes, inventory and P&L. A cycle a second must not cost history, so the
   * running session's figures travel in its heartbeat details, which the client library's status()
   * and `temporal workflow describe` (pending activity) read; this query answers the figures the last
   * ended session reported, or null.
   */
  live: MarketMakerLiveStatus | null;
}

export interface StopRequest {
  reason?: string;
}

export const spreadChangedSignal = defineSignal<[{ spreadBps: string; reasons?: string[] }]>('spreadChanged');
export const poolEventHintSignal = defineSignal<[{ version?: number }?]>('poolEventHint');
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const stopSignal = defineSignal<[StopRequest?]>('stop');

/** A partial pool configuration; validated against the current one before it is accepted. */
export const updateConfigUpdate = defineUpdate<PoolConfig, [Record<string, unknown>]>('updateConfig');
export const setRiskLimitsUpdate = defineUpdate<RiskLimits, [Partial<Record<keyof RiskLimits, unknown>>]>(
  'setRiskLimits',
);
export const statusQuery = defineQuery<MarketMakerStatus>('status');

export interface SpreadSagaInput {
  poolId: string;
  /** How often the saga reads the pool's events and re-evaluates without a hint. */
  catchUpIntervalMs?: number;
  /** Quiet time after a hint so a burst of trades becomes one recalculation. */
  coalesceMs?: number;
  maxIterationsPerRun?: number;
  carried?: SpreadSagaCarriedState;
}

export interface SpreadSagaCarriedState {
  checkpoint: number;
  iteration: number;
  volatilityRegime: VolatilityRegime;
  imbalanceLevel: 'none' | 'moderate' | 'critical';
  /** Absent in a state carried by v0.1.0: its first evaluation then starts without a band. */
  tvlTier?: TvlTier;
  counts: Record<string, number>;
  adjustments: number;
  compensations: number;
  rebalances: number;
  runs: number;
  lastAdjustment: { oldSpreadBps: string; newSpreadBps: string; reasons: string[] } | null;
  stopRequested: boolean;
}

export interface SpreadSagaStatus {
  poolId: string;
  spreadBps: string | null;
  checkpoint: number;
  iteration: number;
  runs: number;
  /** Pool events processed, by type: each counted once, whatever crashed in between. */
  counts: Record<string, number>;
  adjustments: number;
  /** Failed adjustments compensated: the spread restored, or kept (wider, or changed by someone else) with an event saying why. */
  compensations: number;
  /** Rebalances asked of the market maker, the pool's hedging owner (it decides, under the pool lock and cool-down). */
  rebalances: number;
  lastAdjustment: SpreadSagaCarriedState['lastAdjustment'];
  lastMetrics: {
    inventoryShare: string;
    volatility: number;
    volatilityRegime: VolatilityRegime;
    tvl: string;
    targetSpreadBps: string;
    reasons: string[];
  } | null;
  lastError: string | null;
  /** Signal names this workflow does not define that were sent to it (the last 20). */
  rejectedSignals: string[];
}

export const sagaStatusQuery = defineQuery<SpreadSagaStatus>('spreadStatus');

export * from './portfolio-definitions';
