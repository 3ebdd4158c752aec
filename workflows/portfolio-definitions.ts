import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SkewedTarget } from '../activities/desk';
import type { DeskHedgeRound } from '../db/desk';
import type { DeskHedging } from '../domain/desk-config';
import type { NewEvent } from '../domain/events';
import type { AssetAmountJson } from '../domain/portfolio';
import type {
  ActiveBreach,
  PortfolioAction,
  PortfolioLimits,
  PortfolioRiskState,
} from '../domain/portfolio-risk';

/*
 * The portfolio supervisor of a desk (workflows/portfolio-supervisor.ts): its input, signals,
 * updates and query. Plain JSON with decimal strings, so the `temporal` CLI drives it as is.
 */

export const portfolioSupervisorWorkflowId = (deskId: string) => `portfolio-supervisor/${deskId}`;

/*
 * No search attribute of its own: one would have to be registered on every Temporal server first.
 * `temporal workflow list --query "WorkflowType='PortfolioSupervisorWorkflow'"` finds the desks.
 */

export interface PortfolioSupervisorInput {
  deskId: string;
  /** The desk's pools (ids); more are added with the addPools update. */
  pools?: string[];
  /** domain/portfolio-risk.ts limits; absent means none (the supervisor only watches). */
  limits?: Record<string, unknown>;
  /** Netted hedging (domain/desk-config.ts); absent means off. */
  hedging?: Record<string, unknown>;
  /** Time between evaluations. */
  periodMs?: number;
  /** Evaluations per run before continuing as new (the server's suggestion also triggers it). */
  maxTicksPerRun?: number;
  /** Set by continueAsNew. */
  carried?: PortfolioSupervisorCarried;
}

export interface PortfolioSupervisorCarried {
  pools: string[];
  limits: PortfolioLimits;
  hedging: DeskHedging;
  risk: PortfolioRiskState;
  ticks: number;
  rounds: number;
  runs: number;
  nextHedgeAtMs: number;
  lastHedge: DeskHedgeRound | null;
  actions: PortfolioActionRecord[];
  /** Pools whose inventory target the supervisor moved (skew), with the target to restore. */
  skewed?: Record<string, SkewedTarget>;
  /** Desk events the previous run could not write yet. */
  pendingEvents?: NewEvent[];
}

export interface PortfolioActionRecord {
  atMs: number;
  poolId: string;
  from: PortfolioAction;
  to: PortfolioAction;
  reasons: string[];
  outcome: string;
  /** For a skew or its undoing: the pool's target share before and after. */
  target?: { from: number; to: number };
}

export type PortfolioSupervisorState = 'running' | 'stopped';

export interface PortfolioSupervisorStatus {
  deskId: string;
  state: PortfolioSupervisorState;
  pools: string[];
  limits: PortfolioLimits;
  hedging: DeskHedging;
  periodMs: number;
  /** Evaluations over the supervisor's life, and runs (continueAsNew). */
  ticks: number;
  runs: number;
  breaches: ActiveBreach[];
  /** What each held pool was last told (pools not listed quote normally). */
  poolActions: Record<string, PortfolioAction>;
  /** Pools the supervisor stopped: it never resumes them; an operator restarts them. */
  stopped: string[];
  /** Pools whose spreadPolicy.targetInventoryShare the supervisor moved: original and applied. */
  skewed: Record<string, SkewedTarget>;
  numeraire: string;
  /** Net exposure per asset at the last evaluation, valued in the numeraire. */
  exposure: AssetAmountJson[];
  totalPnl: string | null;
  /** Listed pools that do not exist. */
  missingPools: string[];
  lastHedge: DeskHedgeRound | null;
  /** The last 20 actions taken on pools. */
  recentActions: PortfolioActionRecord[];
  lastError: string | null;
  rejectedSignals: string[];
}

export interface DeskPoolsChange {
  pools: string[];
}

export const stopSupervisorSignal = defineSignal<[{ reason?: string }?]>('stop');
/** Replaces the limits (the whole object: what is absent takes its default). */
export const setLimitsUpdate = defineUpdate<PortfolioLimits, [Record<string, unknown>]>('setLimits');
/** Replaces the hedging settings; turning netting on or off hands the pools' hedging over at once. */
export const setHedgingUpdate = defineUpdate<DeskHedging, [Record<string, unknown>]>('setHedging');
export const addPoolsUpdate = defineUpdate<string[], [DeskPoolsChange]>('addPools');
export const removePoolsUpdate = defineUpdate<string[], [DeskPoolsChange]>('removePools');
export const portfolioStatusQuery = defineQuery<PortfolioSupervisorStatus>('status');
