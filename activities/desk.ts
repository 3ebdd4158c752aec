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

/*
 * The portfolio supervisor's activities (workflows/portfolio-supervisor.ts). The evaluation runs
 * here, not in the workflow: its result is recorded in history, so a later change to the portfolio
 * or risk rules cannot make a recorded supervisor history replay differently.
 */

export interface DeskEvaluation {
  evaluation: Omit<PortfolioRiskEvaluation, 'decisions'>;
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
    }): Promise<DeskEvaluation> {
      const limits = parseSupervisorLimits(input.limits);
      const state = parsePortfolioRiskState(input.state);
      const read = await readDeskPortfolio(db, {
        deskId: input.deskId,
        pools: input.pools,
        numeraire: limits.numeraire,
      });
      // An empty desk is evaluated too: its breaches clear (every exposure is zero).
      const view = computePortfolio(parsePortfolioInput(read.portfolio));
      const { decisions: _all, ...evaluation } = evaluatePortfolioRisk(view, limits, state, input.nowMs);
      const json = portfolioViewToJson(view, 8);
      return {
        // Only what the supervisor acts on and shows: every pool's decision would bloat the history.
        evaluation,
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

    /** The supervisor's breaches and actions, on the desk's stream; idempotent by event id. */
    async recordDeskEvents(input: { deskId: string; events: NewEvent[] }): Promise<void> {
      await appendToStream(db, deskStream(parseDeskId(input.deskId)), 'any', input.events);
    },
  };
}
