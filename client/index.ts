import {
  Client,
  Connection,
  WorkflowNotFoundError,
  type ConnectionOptions,
  type WorkflowHandle,
} from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { payloadDataConverter } from '../codec/data-converter';
import { keyRingFromEnv, parseKeyRing } from '../codec/key-ring';
import { NO_SESSION_YET, type SessionHeartbeat, type SessionLiveStatus } from '../activities/quoting-session';
import { createDb, type Db } from '../db/connection';
import { haltQuoting } from '../db/fence';
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
import { PortfolioClient } from './portfolio';
import { DEFAULT_POOL_CONFIG, mergePoolConfig, type PoolConfig, type RiskLimits } from '../domain/config';
import { DomainValidationError, describeValue } from '../domain/errors';
import { formatDecimal } from '../domain/money';
import { parseOrderRequest } from '../domain/orders';
import { parsePoolId, parseReason, refuseUnknownFields } from '../domain/text';
import { MARKET_MAKER_START, SPREAD_SAGA_START, integerFieldProblem } from '../workflows/input-rules';
import {
  MarketMakerStatusAttribute,
  PoolIdAttribute,
  marketMakerWorkflowId,
  pauseSignal,
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
export { PortfolioClient, type StartSupervisorInput } from './portfolio';
export type { PoolConfig, RiskLimits, SubmitResult, OrderView, LiquidityResult, CreatePoolInput };

/*
 * The typed client other services use. Workflow commands go through Temporal; pool and order-book
 * writes go straight to Postgres (one transaction each), whose notifications wake the pool's quoting
 * session. No signal follows a write, so there is no dual write to lose.
 */

const checkPoolId = (poolId: unknown): string => parsePoolId(poolId);

/** An object input with a valid poolId (a null or an array is refused naming the input, not a TypeError). */
function checkInputPoolId(input: unknown, what: string): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainValidationError(what, `${what} must be an object, got ${describeValue(input)}`);
  }
  checkPoolId((input as { poolId?: unknown }).poolId);
}

/** The same rules as the workflows' pause and stop signals, so a bad reason is answered here. */
function checkReason(reason: unknown): string | undefined {
  return reason === undefined ? undefined : parseReason(reason, 'reason');
}

const START_OPTIONS = [...MARKET_MAKER_START.integers, ...SPREAD_SAGA_START.integers].filter(
  ([field]) => field !== 'coalesceMs',
);

/** startPool's options within the bounds the workflows enforce: refused here, before anything starts. */
function checkStartOptions(opts: unknown): StartPoolOptions {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new DomainValidationError(
      'opts',
      `startPool options must be an object, got ${describeValue(opts)}`,
    );
  }
  refuseUnknownFields(
    opts as Record<string, unknown>,
    START_OPTIONS.map(([field]) => field),
    'startPool options',
  );
  for (const [field, min, max] of START_OPTIONS) {
    const problem = integerFieldProblem(field, (opts as Record<string, unknown>)[field], min, max);
    if (problem) throw new DomainValidationError(field, problem);
  }
  return opts as StartPoolOptions;
}

export interface StartPoolOptions {
  refreshIntervalMs?: number;
  catchUpIntervalMs?: number;
  maxSessionsPerRun?: number;
  maxIterationsPerRun?: number;
  /** How long a silent quoting session is trusted before its pool moves to another worker. */
  heartbeatTimeoutMs?: number;
  maxSessionMs?: number;
}

/**
 * The market maker as an operator sees it: the supervisor's lifecycle and configuration (its
 * `status` query) with the running session's latest quotes, inventory and P&L (its heartbeat).
 */
export type PoolStatus = Omit<MarketMakerStatus, 'live'> &
  SessionLiveStatus & {
    /** False when no session is running (paused, stopped, or between sessions). */
    sessionRunning: boolean;
  };

export interface MarketMakingClientOptions {
  client: Client;
  taskQueue: string;
  /** Needed for pool and order commands; workflow commands work without it. */
  db?: Db;
}

export class MarketMakingClient {
  readonly temporal: Client;
  readonly taskQueue: string;
  private readonly database?: Db;
  private principalName?: Promise<string>;

  constructor(opts: MarketMakingClientOptions) {
    this.temporal = opts.client;
    this.taskQueue = opts.taskQueue;
    this.database = opts.db;
  }

  /**
   * Connects to Temporal (and Postgres when a URL is given). Call close() when done.
   * `payloadKeys` ("k2:<base64>,k1:<base64>", the first encrypts) defaults to LPMM_PAYLOAD_KEYS;
   * the client must hold the workers' keys to read what they write. "" turns encryption off.
   */
  static async connect(opts: {
    address: string;
    namespace?: string;
    taskQueue: string;
    databaseUrl?: string;
    tls?: ConnectionOptions['tls'];
    apiKey?: string;
    payloadKeys?: string;
  }): Promise<MarketMakingClient> {
    // Parsed before connecting: a bad key fails fast with a message naming the option or variable.
    const keys =
      opts.payloadKeys === undefined
        ? keyRingFromEnv()
        : opts.payloadKeys.trim() === ''
          ? undefined
          : parseKeyRing(opts.payloadKeys, 'payloadKeys');
    const connection = await Connection.connect({
      address: opts.address,
      tls: opts.tls,
      apiKey: opts.apiKey,
    });
    return new MarketMakingClient({
      client: new Client({
        connection,
        namespace: opts.namespace ?? 'default',
        dataConverter: payloadDataConverter(keys),
      }),
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

  /** The desks' portfolio supervisors: start, limits, hedging, pools, status, stop. */
  get portfolio(): PortfolioClient {
    return new PortfolioClient(this.temporal, this.taskQueue);
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
    checkStartOptions(opts);
    const common = {
      taskQueue: this.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    };
    const mmInput: MarketMakerInput = {
      poolId,
      refreshIntervalMs: opts.refreshIntervalMs,
      maxSessionsPerRun: opts.maxSessionsPerRun,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs,
      maxSessionMs: opts.maxSessionMs,
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

  /**
   * Graceful stop: the market maker cancels every resting order and records why. When its workflow
   * is not running (terminated, failed, never started), the stop goes through the database: the
   * fence generation is bumped and every resting quote cancelled in one transaction, so no session
   * or zombie attempt can quote again.
   */
  async stopPool(
    poolId: string,
    reason?: string,
    opts: { wait?: boolean } = {},
  ): Promise<MarketMakerStatus | undefined> {
    const why = checkReason(reason) ?? 'operator';
    const [signalled] = await Promise.all([
      this.marketMaker(poolId)
        .signal(stopSignal, { reason: why })
        .then(
          () => true,
          (err: unknown) => ignoreNotFound(err) ?? false,
        ),
      this.spreadSaga(poolId).signal(stopSignal, { reason: why }).catch(ignoreNotFound),
    ]);
    if (!signalled) {
      await this.stopThroughDatabase(poolId, why);
      return undefined;
    }
    if (opts.wait === false) return undefined;
    const [status] = await Promise.all([
      this.marketMaker(poolId).result() as Promise<MarketMakerStatus>,
      this.spreadSaga(poolId).result().catch(ignoreNotFound),
    ]);
    return status;
  }

  private async stopThroughDatabase(poolId: string, reason: string): Promise<number> {
    const workflowId = marketMakerWorkflowId(poolId);
    const { cancelled } = await haltQuoting(this.db, {
      poolId,
      reason: 'market_maker_stopped',
      events: (n) => [
        {
          // A new id per stop: stopping twice records both, each with what it cancelled.
          eventId: `${workflowId}/db-stop/${randomUUID()}`,
          type: 'market_maker_stopped',
          payload: { poolId, workflowId, reason: `${reason} (workflow not running)`, cancelledOrders: n },
        },
      ],
    });
    return cancelled;
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

  async status(poolId: string): Promise<PoolStatus> {
    const handle = this.marketMaker(poolId);
    const [supervisor, description] = await Promise.all([handle.query(statusQuery), handle.describe()]);
    const session = description.raw.pendingActivities?.find(
      (a) => a.activityType?.name === 'runQuotingSession',
    );
    let live: SessionLiveStatus | null = null;
    const payloads = session?.heartbeatDetails?.payloads;
    if (payloads?.length) {
      const beat = await decodeFromPayloadsAtIndex<SessionHeartbeat>(
        this.temporal.workflow.options.loadedDataConverter,
        0,
        payloads,
      );
      // Only the running generation's figures: a retry's leftover details describe a fenced session.
      if (beat && beat.generation === supervisor.generation) live = beat.live;
    }
    const { live: lastSession, ...rest } = supervisor;
    return { ...rest, ...(live ?? lastSession ?? NO_SESSION_YET), sessionRunning: live !== null };
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
    checkInputPoolId(input, 'pool');
    return createPool(this.db, input);
  }

  /**
   * Who this client is: the principal the database maps its login to. Orders, cancels and
   * liquidity belong to it, and the database refuses anything else (migration 0003).
   */
  async principal(): Promise<string> {
    this.principalName ??= principalOf(this.db).catch((err: unknown) => {
      this.principalName = undefined;
      throw err;
    });
    return this.principalName;
  }

  async addLiquidity(input: {
    poolId: string;
    base: string;
    quote: string;
    requestId: string;
  }): Promise<LiquidityResult> {
    checkInputPoolId(input, 'deposit');
    refuseIdentityField(input, 'provider');
    return addLiquidity(this.db, { ...input, provider: await this.principal() });
  }

  async removeLiquidity(input: {
    poolId: string;
    shares: string;
    requestId: string;
  }): Promise<LiquidityResult> {
    checkInputPoolId(input, 'withdrawal');
    refuseIdentityField(input, 'provider');
    return removeLiquidity(this.db, { ...input, provider: await this.principal() });
  }

  /**
   * Validated before anything is written. A fill against the pool's quotes notifies the pool's
   * channel in its own transaction, which wakes the quoting session: no workflow is involved.
   */
  async submitOrder(order: Omit<OrderRequestInput, 'owner'>): Promise<SubmitResult> {
    refuseIdentityField(order, 'owner');
    const owned = { ...(order as object), owner: await this.principal() };
    parseOrderRequest(owned);
    return submitOrder(this.db, owned);
  }

  async cancelOrder(input: Omit<CancelInput, 'owner'>): Promise<OrderView> {
    checkInputPoolId(input, 'cancel');
    refuseIdentityField(input, 'owner');
    return cancelOrder(this.db, { ...input, owner: await this.principal() });
  }

  async poolSpread(poolId: string): Promise<string> {
    return formatDecimal((await getPool(this.db, checkPoolId(poolId))).spreadBps);
  }
}

/** The order fields a caller sends; the owner is never one of them (see principal()). */
export interface OrderRequestInput {
  poolId: string;
  owner?: never;
  clientOrderId: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'ioc' | 'post_only';
  price: string;
  quantity: string;
}

function refuseIdentityField(input: unknown, field: 'owner' | 'provider'): void {
  if (input !== null && typeof input === 'object' && field in input) {
    throw new DomainValidationError(
      field,
      `${field} is not accepted: this client acts as the principal its database login is registered as; ` +
        "connect with that principal's login to act as it",
    );
  }
}

async function principalOf(db: Db): Promise<string> {
  const { rows } = await sql<{ principal: string | null; login: string }>`
    select lpmm_principal() as principal, session_user as login`.execute(db);
  const row = rows[0];
  if (!row?.principal) {
    throw new Error(
      `database login "${row?.login}" is not registered as a principal, so it cannot trade or provide liquidity; ` +
        'an administrator registers it (README "Database roles"), or connect with a client login',
    );
  }
  return row.principal;
}

function ignoreNotFound(err: unknown): undefined {
  if (err instanceof WorkflowNotFoundError) return undefined;
  throw err;
}
