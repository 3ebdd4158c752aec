import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  SUPERVISOR_PERIOD_MS,
  SUPERVISOR_TICKS_PER_RUN,
  parseDeskHedging,
  parseDeskId,
  parseDeskPools,
  parseSupervisorLimits,
  type DeskHedging,
  type DeskHedgingInput,
} from '../domain/desk-config';
import { DomainValidationError } from '../domain/errors';
import type { PortfolioLimits, PortfolioLimitsInput } from '../domain/portfolio-risk';
import { parseReason } from '../domain/text';
import { integerFieldProblem } from '../workflows/input-rules';
import {
  addPoolsUpdate,
  portfolioStatusQuery,
  portfolioSupervisorWorkflowId,
  removePoolsUpdate,
  setHedgingUpdate,
  setLimitsUpdate,
  stopSupervisorSignal,
  type PortfolioSupervisorInput,
  type PortfolioSupervisorStatus,
} from '../workflows/portfolio-definitions';

export interface StartSupervisorInput {
  deskId: string;
  pools?: string[];
  limits?: PortfolioLimitsInput;
  hedging?: DeskHedgingInput;
  periodMs?: number;
  maxTicksPerRun?: number;
}

/**
 * A desk's portfolio supervisor through the typed client (`client.portfolio`). Every input is
 * checked here with the workflow's own rules first, so a mistake is answered before anything is sent.
 */
export class PortfolioClient {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
  ) {}

  supervisor(deskId: string): WorkflowHandle {
    return this.temporal.workflow.getHandle(portfolioSupervisorWorkflowId(parseDeskId(deskId)));
  }

  /** Starts the desk's supervisor; a desk whose supervisor runs already keeps the running one. */
  async start(input: StartSupervisorInput): Promise<{ workflowId: string; runId: string }> {
    const deskId = parseDeskId(input.deskId);
    if (input.pools !== undefined) parseDeskPools(input.pools);
    if (input.limits !== undefined) parseSupervisorLimits(input.limits);
    if (input.hedging !== undefined) parseDeskHedging(input.hedging);
    for (const [field, b] of [
      ['periodMs', SUPERVISOR_PERIOD_MS],
      ['maxTicksPerRun', SUPERVISOR_TICKS_PER_RUN],
    ] as const) {
      const problem = integerFieldProblem(field, input[field], b.min, b.max);
      if (problem) throw new DomainValidationError(field, problem);
    }
    const workflowId = portfolioSupervisorWorkflowId(deskId);
    const args: PortfolioSupervisorInput = JSON.parse(JSON.stringify({ ...input, deskId }));
    const handle = await this.temporal.workflow.start('PortfolioSupervisorWorkflow', {
      taskQueue: this.taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      args: [args],
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  }

  async status(deskId: string): Promise<PortfolioSupervisorStatus> {
    return this.supervisor(deskId).query(portfolioStatusQuery);
  }

  async setLimits(deskId: string, limits: PortfolioLimitsInput): Promise<PortfolioLimits> {
    parseSupervisorLimits(limits);
    return this.supervisor(deskId).executeUpdate(setLimitsUpdate, {
      args: [limits as Record<string, unknown>],
    });
  }

  async setHedging(deskId: string, hedging: DeskHedgingInput): Promise<DeskHedging> {
    parseDeskHedging(hedging);
    return this.supervisor(deskId).executeUpdate(setHedgingUpdate, {
      args: [hedging as Record<string, unknown>],
    });
  }

  async addPools(deskId: string, pools: string[]): Promise<string[]> {
    return this.supervisor(deskId).executeUpdate(addPoolsUpdate, {
      args: [{ pools: parseDeskPools(pools) }],
    });
  }

  async removePools(deskId: string, pools: string[]): Promise<string[]> {
    return this.supervisor(deskId).executeUpdate(removePoolsUpdate, {
      args: [{ pools: parseDeskPools(pools) }],
    });
  }

  /** Stops the supervisor and waits for it; the pools hedge themselves again, paused ones stay paused. */
  async stop(deskId: string, reason?: string): Promise<PortfolioSupervisorStatus> {
    const handle = this.supervisor(deskId);
    await handle.signal(stopSupervisorSignal, {
      reason: reason === undefined ? 'operator' : parseReason(reason),
    });
    return handle.result() as Promise<PortfolioSupervisorStatus>;
  }
}
