import {
  Client,
  Connection,
  WorkflowNotFoundError,
  type ConnectionOptions,
  type WorkflowHandle,
} from '@temporalio/client';
import { createDb, type Db } from '../db/connection';
import {
  cancelOrder,
  submitOrder,
  type CancelInput,
  type SubmitResult,
  type OrderView,
} from '../db/order-book';
import {
  addLiquidity,
  createPool,
  getPool,
  removeLiquidity,
  type CreatePoolInput,
  type LiquidityResult,
} from '../db/pools';
import { DEFAULT_POOL_CONFIG, mergePoolConfig, type PoolConfig, type RiskLimits } from '../domain/config';
import { DomainValidationError, describeValue } from '../domain/errors';
import { formatDecimal } from '../domain/money';
import { parseOrderRequest } from '../domain/orders';
import {
  MarketMakerStatusAttribute,
  PoolIdAttribute,
  marketMakerWorkflowId,
  pauseSignal,
  poolEventHintSignal,
  resumeSignal,
  sagaStatusQuery,
  setRiskLimitsUpdate,
  spreadSagaWorkflowId,
  statusQuery,
  stopSignal,
  updateConfigUpdate,
  type MarketMakerInput,
  type MarketMakerState,
  type MarketMakerStatus,
  type SpreadSagaInput,
  type SpreadSagaStatus,
} from '../workflows/definitions';

export * from '../workflows/definitions';
export type { PoolConfig, RiskLimits, SubmitResult, OrderView, LiquidityResult, CreatePoolInput };

/*
 * The typed client other services use. Workflow commands go through Temporal; pool and order-book
 * writes go straight to Postgres (one transaction each) and then wake the pool's saga with a hint.
 * A lost hint is harmless: the saga's periodic catch-up reads the same events.
 */

const POOL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function checkPoolId(poolId: unknown): string {
  if (typeof poolId !== 'string' || !POOL_ID.test(poolId)) {
    throw new DomainValidationError(
      'poolId',
      `poolId must be 1-64 letters, digits, _ . - starting with a letter or digit, got ${describeValue(poolId)}`,
    );
  }
  return poolId;
}

function checkReason(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > 200) {
    throw new DomainValidationError(
      'reason',
      `reason must be a string of at most 200 characters, got ${describeValue(reason)}`,
    );
  }
  return reason;
}

export interface StartPoolOptions {
  refreshIntervalMs?: number;
  catchUpIntervalMs?: number;
  maxCyclesPerRun?: number;
  maxIterationsPerRun?: number;
}

export interface MarketMakingClientOptions {
  client: Client;
  taskQueue: string;
  /** Needed for pool and order commands; workflow commands work without it. */
  db?: Db;
  /** Told when a saga wake-up hint could not be sent (the write itself has committed). */
  onHintError?: (poolId: string, err: unknown) => void;
}

export class MarketMakingClient {
  readonly temporal: Client;
  readonly taskQueue: string;
  private readonly database?: Db;

  private readonly onHintError: (poolId: string, err: unknown) => void;

  constructor(opts: MarketMakingClientOptions) {
    this.onHintError =
      opts.onHintError ??
      ((poolId, err) => process.emitWarning(`saga hint for pool ${poolId} not delivered: ${String(err)}`));
    this.temporal = opts.client;
    this.taskQueue = opts.taskQueue;
    this.database = opts.db;
  }

  /** Connects to Temporal (and Postgres when a URL is given). Call close() when done. */
  static async connect(opts: {
    address: string;
    namespace?: string;
    taskQueue: string;
    databaseUrl?: string;
    tls?: ConnectionOptions['tls'];
    apiKey?: string;
  }): Promise<MarketMakingClient> {
    const connection = await Connection.connect({
      address: opts.address,
      tls: opts.tls,
      apiKey: opts.apiKey,
    });
    return new MarketMakingClient({
      client: new Client({ connection, namespace: opts.namespace ?? 'default' }),
      taskQueue: opts.taskQueue,
      db: opts.databaseUrl
        ? createDb(opts.databaseUrl, { applicationName: 'lp-market-maker-client' })
        : undefined,
    });
  }

  async close(): Promise<void> {
    await this.database?.destroy();
    await this.temporal.connection.close();
  }

  private get db(): Db {
    if (!this.database)
      throw new Error(
        'This client has no database connection: pass databaseUrl to connect() for pool and order commands.',
      );
    return this.database;
  }

  marketMaker(poolId: string): WorkflowHandle {
    return this.temporal.workflow.getHandle(marketMakerWorkflowId(checkPoolId(poolId)));
  }

  spreadSaga(poolId: string): WorkflowHandle {
    return this.temporal.workflow.getHandle(spreadSagaWorkflowId(checkPoolId(poolId)));
  }

  /** Starts both workflows of a pool; starting a pool that already runs returns the running ones. */
  async startPool(
    poolId: string,
    opts: StartPoolOptions = {},
  ): Promise<{ marketMakerRunId: string; sagaRunId: string }> {
    checkPoolId(poolId);
    for (const [field, v] of Object.entries(opts)) {
      if (v !== undefined && (!Number.isInteger(v) || v <= 0)) {
        throw new DomainValidationError(
          field,
          `${field} must be a positive integer, got ${describeValue(v)}`,
        );
      }
    }
    const common = {
      taskQueue: this.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    };
    const mmInput: MarketMakerInput = {
      poolId,
      refreshIntervalMs: opts.refreshIntervalMs,
      maxCyclesPerRun: opts.maxCyclesPerRun,
    };
    const sagaInput: SpreadSagaInput = {
      poolId,
      catchUpIntervalMs: opts.catchUpIntervalMs,
      maxIterationsPerRun: opts.maxIterationsPerRun,
    };
    const [mm, saga] = await Promise.all([
      this.temporal.workflow.start('MarketMakerWorkflow', {
        ...common,
        workflowId: marketMakerWorkflowId(poolId),
        args: [JSON.parse(JSON.stringify(mmInput))],
        typedSearchAttributes: [
          { key: PoolIdAttribute, value: poolId },
          { key: MarketMakerStatusAttribute, value: 'starting' },
        ],
      }),
      this.temporal.workflow.start('SpreadManagementSaga', {
        ...common,
        workflowId: spreadSagaWorkflowId(poolId),
        args: [JSON.parse(JSON.stringify(sagaInput))],
        typedSearchAttributes: [{ key: PoolIdAttribute, value: poolId }],
      }),
    ]);
    return { marketMakerRunId: mm.firstExecutionRunId, sagaRunId: saga.firstExecutionRunId };
  }

  /** Graceful stop: the market maker cancels every resting order and records why. */
  async stopPool(
    poolId: string,
    reason?: string,
    opts: { wait?: boolean } = {},
  ): Promise<MarketMakerStatus | undefined> {
    const why = checkReason(reason) ?? 'operator';
    await Promise.all([
      this.marketMaker(poolId).signal(stopSignal, { reason: why }).catch(ignoreNotFound),
      this.spreadSaga(poolId).signal(stopSignal, { reason: why }).catch(ignoreNotFound),
    ]);
    if (opts.wait === false) return undefined;
    const [status] = await Promise.all([
      this.marketMaker(poolId).result() as Promise<MarketMakerStatus>,
      this.spreadSaga(poolId).result().catch(ignoreNotFound),
    ]);
    return status;
  }

  async pause(poolId: string, reason?: string): Promise<void> {
    await this.marketMaker(poolId).signal(pauseSignal, { reason: checkReason(reason) ?? 'operator' });
  }

  async resume(poolId: string): Promise<void> {
    await this.marketMaker(poolId).signal(resumeSignal);
  }

  /** Validated here against the defaults first, then by the workflow against the live configuration. */
  async updateConfig(poolId: string, patch: Record<string, unknown>): Promise<PoolConfig> {
    mergePoolConfig(DEFAULT_POOL_CONFIG, patch);
    return this.marketMaker(poolId).executeUpdate(updateConfigUpdate, { args: [patch] });
  }

  async setRiskLimits(
    poolId: string,
    limits: Partial<Record<keyof RiskLimits, unknown>>,
  ): Promise<RiskLimits> {
    mergePoolConfig(DEFAULT_POOL_CONFIG, { risk: limits });
    return this.marketMaker(poolId).executeUpdate(setRiskLimitsUpdate, { args: [limits] });
  }

  async status(poolId: string): Promise<MarketMakerStatus> {
    return this.marketMaker(poolId).query(statusQuery);
  }

  async spreadStatus(poolId: string): Promise<SpreadSagaStatus> {
    return this.spreadSaga(poolId).query(sagaStatusQuery);
  }

  /** Market makers by search attribute, optionally only those in one state. */
  async listMarketMakers(
    state?: MarketMakerState,
  ): Promise<Array<{ poolId: string; workflowId: string; state: string; runStatus: string }>> {
    if (state !== undefined && !['starting', 'quoting', 'paused', 'stopping', 'stopped'].includes(state)) {
      throw new DomainValidationError(
        'state',
        `state must be one of starting, quoting, paused, stopping, stopped, got ${describeValue(state)}`,
      );
    }
    const query = `WorkflowType = 'MarketMakerWorkflow'${state ? ` AND MarketMakerStatus = '${state}'` : ''}`;
    const out: Array<{ poolId: string; workflowId: string; state: string; runStatus: string }> = [];
    for await (const wf of this.temporal.workflow.list({ query })) {
      out.push({
        poolId: String(wf.typedSearchAttributes.get(PoolIdAttribute) ?? ''),
        workflowId: wf.workflowId,
        state: String(wf.typedSearchAttributes.get(MarketMakerStatusAttribute) ?? ''),
        runStatus: wf.status.name,
      });
    }
    return out;
  }

  async createPool(input: CreatePoolInput) {
    checkPoolId(input.poolId);
    return createPool(this.db, input);
  }

  async addLiquidity(input: {
    poolId: string;
    provider: string;
    base: string;
    quote: string;
    requestId: string;
  }): Promise<LiquidityResult> {
    checkPoolId(input.poolId);
    const result = await addLiquidity(this.db, input);
    await this.hint(input.poolId);
    return result;
  }

  async removeLiquidity(input: {
    poolId: string;
    provider: string;
    shares: string;
    requestId: string;
  }): Promise<LiquidityResult> {
    checkPoolId(input.poolId);
    const result = await removeLiquidity(this.db, input);
    await this.hint(input.poolId);
    return result;
  }

  /** Validated before anything is written; fills wake the pool's saga. */
  async submitOrder(order: unknown): Promise<SubmitResult> {
    const parsed = parseOrderRequest(order);
    const result = await submitOrder(this.db, order);
    if (result.fills.length && !result.replayed) await this.hint(parsed.poolId);
    return result;
  }

  async cancelOrder(input: CancelInput): Promise<OrderView> {
    checkPoolId(input.poolId);
    return cancelOrder(this.db, input);
  }

  async poolSpread(poolId: string): Promise<string> {
    return formatDecimal((await getPool(this.db, checkPoolId(poolId))).spreadBps);
  }

  /** Wakes the saga; its catch-up reads the committed events either way. */
  async hint(poolId: string): Promise<void> {
    // Never fail the caller: the write it reports on has committed, and a retry with new ids would
    // repeat it. The saga's periodic catch-up reads the same events.
    await this.spreadSaga(poolId)
      .signal(poolEventHintSignal, {})
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) this.onHintError(poolId, err);
      });
  }
}

function ignoreNotFound(err: unknown): undefined {
  if (err instanceof WorkflowNotFoundError) return undefined;
  throw err;
}
