import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { HedgeVenue } from '../adapters/hedge-venue/port';
import type { Db } from '../db/connection';
import { hedgeDeskNet, readDeskPortfolio, setDeskMembership, type DeskHedgeRound } from '../db/desk';
import { appendToStream } from '../db/event-store';
import { parseDeskHedging, parseDeskId, parseSupervisorLimits } from '../domain/desk-config';
import type { NewEvent } from '../domain/events';
import { computePortfolio, portfolioViewToJson, type PortfolioViewJson } from '../domain/portfolio';
import { parsePortfolioInput } from '../domain/portfolio-input';
import {
  evaluatePortfolioRisk,
  parsePortfolioRiskState,
  type PortfolioRiskEvaluation,
} from '../domain/portfolio-risk';
import { deskStream } from '../domain/streams';
import { getPool } from '../db/pools';
import { updateConfigUpdate } from '../workflows/definitions';
import { marketMakerWorkflowId } from '../workflows/ids';

/*
 * The portfolio supervisor's activities (workflows/portfolio-supervisor.ts). The evaluation runs
 * here, not in the workflow: its result is recorded in history, so a later change to the portfolio
 * or risk rules cannot make a recorded supervisor history replay differently.
 */

/** A pool whose inventory target the supervisor moved: what it was, and what the supervisor set. */
export interface SkewedTarget {
  original: number;
  applied: number;
}

export interface DeskEvaluation {
  evaluation: Omit<PortfolioRiskEvaluation, 'decisions'>;
  /** The current target share of each pool changing to 'skew' that is not skewed yet. */
  targets?: Record<string, number>;
  view: Pick<PortfolioViewJson, 'numeraire' | 'exposure' | 'totalPnl' | 'currentValue'>;
  missing: string[];
}

export function deskActivities(deps: { db: Db; hedgeVenue: HedgeVenue }) {
  const { db } = deps;
  return {
    /** Reads the desk's pools and prices, values them, and runs the limits at the workflow's time. */
    async evaluateDesk(input: {
      deskId: string;
      pools: string[];
      limits: unknown;
      state: unknown;
      nowMs: number;
      /** Pools the supervisor skewed: their exposure is measured against the original target. */
      skewed?: Record<string, SkewedTarget>;
    }): Promise<DeskEvaluation> {
      const limits = parseSupervisorLimits(input.limits);
      const state = parsePortfolioRiskState(input.state);
      const read = await readDeskPortfolio(db, {
        deskId: input.deskId,
        pools: input.pools,
        numeraire: limits.numeraire,
      });
      const skewed = input.skewed ?? {};
      const shareOf = (p: (typeof read.portfolio.pools)[number]) =>
        p.target?.kind === 'share' ? Number(p.target.share) : undefined;
      const current = new Map(read.portfolio.pools.map((p) => [p.poolId, shareOf(p)]));
      // The skew is the supervisor's means, not the desk's intent: measured against its own target,
      // a skewed pool would look more exposed the further it was skewed, and the breach could not
      // clear. A target an operator changed since is theirs, and counts as it is.
      const portfolio = {
        ...read.portfolio,
        pools: read.portfolio.pools.map((p) => {
          const s = Object.hasOwn(skewed, p.poolId) ? skewed[p.poolId] : undefined;
          return s !== undefined && shareOf(p) === s.applied
            ? { ...p, target: { kind: 'share' as const, share: String(s.original) } }
            : p;
        }),
      };
      // An empty desk is evaluated too: its breaches clear (every exposure is zero).
      const view = computePortfolio(parsePortfolioInput(portfolio));
      const { decisions: _all, ...evaluation } = evaluatePortfolioRisk(view, limits, state, input.nowMs);
      const targets: Record<string, number> = {};
      for (const c of evaluation.changes) {
        const share = current.get(c.poolId);
        if (c.to === 'skew' && !Object.hasOwn(skewed, c.poolId) && share !== undefined)
          targets[c.poolId] = share;
      }
      const json = portfolioViewToJson(view, 8);
      return {
        // Only what the supervisor acts on and shows: every pool's decision would bloat the history.
        evaluation,
        ...(Object.keys(targets).length ? { targets } : {}),
        view: {
          numeraire: json.numeraire,
          exposure: json.exposure,
          totalPnl: json.totalPnl,
          currentValue: json.currentValue,
        },
        missing: read.missing,
      };
    },

    /** Marks which pools the desk hedges (netting on) and releases the ones that left it. */
    async setDeskMembership(input: {
      deskId: string;
      pools: string[];
      netting: boolean;
    }): Promise<{ hedgedByDesk: string[] }> {
      return setDeskMembership(db, input);
    },

    /** One netted hedge round, under the desk's lock and cool-down, idempotent by its round key. */
    async hedgeDeskNet(input: {
      deskId: string;
      pools: string[];
      numeraire: string;
      roundKey: string;
      hedging: unknown;
    }): Promise<DeskHedgeRound> {
      return hedgeDeskNet(db, deps.hedgeVenue, { ...input, hedging: parseDeskHedging(input.hedging) });
    },

    /**
     * Sets a pool's spreadPolicy.targetInventoryShare through its market maker's updateConfig, only
     * if it still is `expected`: the supervisor never overwrites an operator's change. Idempotent:
     * a retry that finds `target` already set reports it set.
     */
    async setPoolTargetShare(input: {
      poolId: string;
      expected: number;
      target: number;
    }): Promise<{ status: 'set' | 'changed'; current: number }> {
      const pool = await getPool(db, input.poolId);
      const current = pool.config.spreadPolicy.targetInventoryShare;
      if (current === input.target) return { status: 'set', current };
      if (current !== input.expected) return { status: 'changed', current };
      try {
        await Context.current()
          .client.workflow.getHandle(marketMakerWorkflowId(input.poolId))
          .executeUpdate(updateConfigUpdate, {
            args: [{ spreadPolicy: { targetInventoryShare: input.target } }],
          });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          throw ApplicationFailure.create({
            message: `the market maker of pool "${input.poolId}" is not running; start it, and the supervisor skews it at the next breach`,
            type: 'NotFound',
            nonRetryable: true,
          });
        }
        throw err;
      }
      return { status: 'set', current: input.target };
    },

    /** The supervisor's breaches and actions, on the desk's stream; idempotent by event id. */
    async recordDeskEvents(input: { deskId: string; events: NewEvent[] }): Promise<void> {
      await appendToStream(db, deskStream(parseDeskId(input.deskId)), 'any', input.events);
    },
  };
}
