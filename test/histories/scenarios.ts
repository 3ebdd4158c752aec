import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { MarketMakingClient, statusQuery } from '../../client';
import { createActivities } from '../../activities';
import { createDb, type Db } from '../../db/connection';
import { PoolNotificationHub } from '../../db/notifications';
import { defaultHedgeVenue, WORKFLOWS_PATH } from '../../worker/create-worker';
import {
  createFundedPool,
  eventsOf,
  seedTicks,
  startMarketWorker,
  startTicker,
  waitFor,
  type MarketHarness,
} from '../helpers/market-core';
import { spawnWorker, whileRunning } from '../helpers/processes';
import type { RecordingStack } from './stack';

/*
 * The scenarios whose histories are recorded for each release. Each drives one pool through the
 * public client (and, for worker loss and activity failures, a worker that dies or an activity that
 * fails) and returns which workflows to record and what each history covers. Runs are kept short:
 * a history is committed, and replayed in CI.
 */

export interface RecordedPool {
  poolId: string;
  marketMakerRunId: string;
  sagaRunId: string;
  covers: { marketMaker: string[]; saga: string[] };
}

export interface ScenarioContext {
  stack: RecordingStack;
  /** The in-process worker on the stack's task queue and its client. */
  harness: MarketHarness;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<RecordedPool>;
}

const LONG = 60_000;

const quoting = (client: MarketMakingClient, poolId: string) =>
  waitFor(
    `${poolId} quoting with asks`,
    async () => {
      const s = await client.status(poolId);
      return s.state === 'quoting' && s.sessionRunning && s.asks.length > 0 ? s : undefined;
    },
    LONG,
    200,
  );

const paused = (client: MarketMakingClient, poolId: string) =>
  waitFor(`${poolId} paused`, async () => (await client.status(poolId)).state === 'paused', LONG, 200);

const mmEvent = (ctx: ScenarioContext, poolId: string, type: string, n = 1) =>
  waitFor(
    `${n} × ${type} of ${poolId}`,
    async () => {
      const found = (await eventsOf(ctx.stack.database.db, poolId)).mm.filter((e) => e.type === type);
      return found.length >= n ? found : undefined;
    },
    LONG,
    200,
  );

const poolEvent = (ctx: ScenarioContext, poolId: string, type: string) =>
  waitFor(
    `${type} of ${poolId}`,
    async () => (await eventsOf(ctx.stack.database.db, poolId)).pool.find((e) => e.type === type),
    LONG,
    200,
  );

type Ticker = ReturnType<typeof startTicker>;

/**
 * Creates and funds a pool with a calm price history (or the given one), keeps its feed ticking
 * unless told not to, runs `body`, and whatever happens leaves the pool stopped and the ticker off.
 */
async function onPool(
  client: MarketMakingClient,
  db: Db,
  setup: {
    poolId: string;
    base?: string;
    quote?: string;
    config?: Record<string, unknown>;
    history?: string[];
    tick?: boolean;
  },
  body: (pool: { poolId: string; ticker: Ticker | undefined }) => Promise<RecordedPool>,
): Promise<RecordedPool> {
  const { poolId, feed } = await createFundedPool(client, setup);
  await seedTicks(db, feed, setup.history ?? Array(30).fill('2000'));
  const ticker = setup.tick === false ? undefined : startTicker(db, feed, '2000', 500);
  try {
    return await body({ poolId, ticker });
  } finally {
    await client.stopPool(poolId, 'cleanup', { wait: false }).catch(() => undefined);
    await ticker?.stop();
  }
}

async function refusal(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => {
      throw new Error('expected a refusal, the call was accepted');
    },
    (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message),
  );
}

/** Start, taker fill, unknown signal, pause/resume, both updates, refused updates, stop. */
const lifecycle: Scenario = {
  name: 'lifecycle',
  async run(ctx) {
    const { client } = ctx.harness;
    return onPool(client, ctx.stack.database.db, { poolId: 'hist-lifecycle' }, async ({ poolId }) => {
      const runs = await client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 10_000 });
      const first = await quoting(client, poolId);
      const fill = await client.submitOrder({
        poolId,
        clientOrderId: 'lift-1',
        side: 'buy',
        type: 'ioc',
        price: first.asks[0]!.price,
        quantity: '0.01',
      });
      if (!fill.fills.length) throw new Error('the taker order did not fill');
      await waitFor(
        'the saga to count the fill',
        async () => (await client.spreadStatus(poolId)).counts.order_executed === fill.fills.length,
        LONG,
        200,
      );
      await client.marketMaker(poolId).signal('pasue', { reason: 'typo' });
      await client.spreadSaga(poolId).signal('hint', {});
      await waitFor(
        'the refused signal',
        async () => (await client.status(poolId)).rejectedSignals.includes('pasue'),
        LONG,
        200,
      );
      await client.pause(poolId, 'history: operator pause');
      await paused(client, poolId);
      await client.resume(poolId);
      await quoting(client, poolId);
      // Accepted updates: the config one clears the start's refresh override (a session restart).
      await client.updateConfig(poolId, { refreshIntervalMs: 800, ladder: { levels: 2 } });
      await client.setRiskLimits(poolId, { maxLoss: '5000', cooldownSeconds: 30 });
      // Refused by the workflow's validators (past the client's own checks): no event in history.
      const handle = client.marketMaker(poolId);
      ctx.log(
        `  refused: ${await refusal(handle.executeUpdate('updateConfig', { args: [{ refreshIntervalMs: 'fast' }] }))}`,
      );
      ctx.log(
        `  refused: ${await refusal(handle.executeUpdate('setRiskLimits', { args: [{ maxLoss: '-1' }] }))}`,
      );
      await quoting(client, poolId);
      await client.stopPool(poolId, 'history: lifecycle done');
      return {
        poolId,
        ...runs,
        covers: {
          marketMaker: [
            'start with a refresh override',
            'first quoting session',
            'unknown signal "pasue" refused by the default handler',
            'pause signal: halt, session cancelled',
            'resume signal: market_maker_resumed, new session',
            'updateConfig update accepted (refresh override cleared: session restarted)',
            'setRiskLimits update accepted',
            'updateConfig and setRiskLimits refused by their validators (no history events)',
            'stop signal: halt and completion',
          ],
          saga: [
            'catch-up timer iterations, one counting a taker fill (order_executed)',
            'unknown signal "hint" refused by the default handler',
            'stop signal: completion',
          ],
        },
      };
    });
  },
};

/** One session per market-maker run and two iterations per saga run: pause/resume chains runs. */
const continueAsNew: Scenario = {
  name: 'continue-as-new',
  async run(ctx) {
    const { client } = ctx.harness;
    return onPool(client, ctx.stack.database.db, { poolId: 'hist-can' }, async ({ poolId }) => {
      const runs = await client.startPool(poolId, {
        refreshIntervalMs: 500,
        catchUpIntervalMs: 2000,
        maxSessionsPerRun: 1,
        maxIterationsPerRun: 2,
      });
      for (let i = 0; i < 2; i++) {
        await quoting(client, poolId);
        await client.pause(poolId, `history: turn ${i}`);
        await paused(client, poolId);
        await client.resume(poolId);
      }
      await waitFor(
        'three market-maker runs and three saga runs',
        async () => {
          const [mm, saga] = await Promise.all([client.status(poolId), client.spreadStatus(poolId)]);
          return mm.runs >= 3 && mm.sessionRunning && saga.runs >= 3;
        },
        LONG,
        200,
      );
      await client.stopPool(poolId, 'history: continue-as-new done');
      return {
        poolId,
        ...runs,
        covers: {
          marketMaker: [
            'maxSessionsPerRun 1: continueAsNew after each session, carried state (sessions, baseline, pause)',
            'pause and resume across runs',
            'stop in a continued run',
          ],
          saga: [
            'maxIterationsPerRun 2: continueAsNew with carried checkpoint and counts',
            'stop in a continued run',
          ],
        },
      };
    });
  },
};

/** A critical imbalance (spread adjusted and inventory rebalanced), then a TVL drop (spread widened). */
const sagaAdjustments: Scenario = {
  name: 'saga-adjust-rebalance',
  async run(ctx) {
    const { client } = ctx.harness;
    const { db } = ctx.stack.database;
    // 90 ETH at 2000 against 10,000 USDC: a base share of 0.947, a critical imbalance.
    const setup = { poolId: 'hist-saga', base: '90', quote: '10000' };
    return onPool(client, db, setup, async ({ poolId }) => {
      const runs = await client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 1000 });
      await poolEvent(ctx, poolId, 'inventory_adjusted');
      await poolEvent(ctx, poolId, 'spread_adjusted');
      const before = (await client.spreadStatus(poolId)).adjustments;
      // Take most of the liquidity out: TVL falls a tier and the spread widens again.
      const position = await db
        .selectFrom('liquidity_positions')
        .select('shares')
        .where('pool_id', '=', poolId)
        .executeTakeFirstOrThrow();
      const shares = (Number(position.shares) * 0.9).toFixed(6);
      await client.removeLiquidity({ poolId, shares, requestId: 'withdraw-90' });
      await waitFor(
        'a second spread adjustment',
        async () => (await client.spreadStatus(poolId)).adjustments > before,
        LONG,
        200,
      );
      await client.stopPool(poolId, 'history: saga done');
      return {
        poolId,
        ...runs,
        covers: {
          marketMaker: ['quoting while the saga changes the spread underneath (no signal)'],
          saga: [
            'critical imbalance: adjustSpread and adjustInventory (rebalance) activities',
            'pool events recorded by the saga (imbalance detected)',
            'liquidity removed: a second spread adjustment (TVL tier)',
            'stop signal: completion',
          ],
        },
      };
    });
  },
};

/** A taker lifts the asks, then the market jumps: a loss beyond maxLoss stops the market maker. */
const riskStop: Scenario = {
  name: 'risk-stop',
  async run(ctx) {
    const { client } = ctx.harness;
    const setup = { poolId: 'hist-risk', config: { risk: { maxLoss: '50' } } };
    return onPool(client, ctx.stack.database.db, setup, async ({ poolId, ticker }) => {
      const runs = await client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 30_000 });
      const first = await quoting(client, poolId);
      // A taker lifts the asks, then the market jumps: a loss beyond maxLoss, and a volatility spike.
      await client.submitOrder({
        poolId,
        clientOrderId: 'snipe-1',
        side: 'buy',
        type: 'ioc',
        price: '2010',
        quantity: first.asks[0]!.size,
      });
      await ticker!.setPrice('2100');
      const final = await waitFor(
        'the market maker to stop on a risk limit',
        async () => {
          const d = await client.marketMaker(poolId).describe();
          return d.status.name === 'COMPLETED' ? d : undefined;
        },
        LONG,
        200,
      );
      const [breach] = await mmEvent(ctx, poolId, 'risk_limit_breached');
      ctx.log(`  ${poolId}: ${final.status.name} after ${JSON.stringify(breach!.payload)}`);
      await client.stopPool(poolId, 'history: risk done');
      return {
        poolId,
        ...runs,
        covers: {
          marketMaker: [
            'a quoting session ending with risk_stop (maxLoss breached)',
            'the workflow stopping itself: halt and completion without a stop signal',
          ],
          saga: ['catch-up timer', 'stop signal: completion'],
        },
      };
    });
  },
};

/** Alternating prices whose per-second log returns have a standard deviation of about `perSecond`. */
function choppyPrices(n: number, mid: number, perSecond: number): string[] {
  return Array.from({ length: n }, (_, i) => (mid * (i % 2 ? 1 + perSecond : 1)).toFixed(2));
}

/** Volatility above the limit: a risk pause, the cooldown timer, and the resume when it elapses. */
const riskPause: Scenario = {
  name: 'risk-pause-cooldown',
  async run(ctx) {
    const { client } = ctx.harness;
    const setup = {
      poolId: 'hist-risk-pause',
      // About 6% an hour of volatility (see choppyPrices) against a 3% limit, and no calm ticks after.
      config: {
        volatility: { method: 'rolling', window: 40 },
        risk: { maxVolatility: 0.03, cooldownSeconds: 1 },
      },
      history: choppyPrices(41, 2000, 0.0011),
      tick: false,
    };
    return onPool(client, ctx.stack.database.db, setup, async ({ poolId }) => {
      const runs = await client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 30_000 });
      const [resumed] = await mmEvent(ctx, poolId, 'market_maker_resumed');
      ctx.log(`  ${poolId}: resumed ${JSON.stringify(resumed!.payload)}`);
      await client.stopPool(poolId, 'history: risk pause done');
      return {
        poolId,
        ...runs,
        covers: {
          marketMaker: [
            'a quoting session ending with risk_pause (maxVolatility breached): halt with a cooldown',
            'the cooldown timer elapsing: market_maker_resumed (cooldown_elapsed), new session',
            'stop',
          ],
          saga: ['volatility regime change: spread adjusted', 'stop signal: completion'],
        },
      };
    });
  },
};

/**
 * The quoting session's worker process is SIGKILLed: the heartbeat timeout moves the session to the
 * in-process worker as a retry (attempt 2) of the same activity. Runs on its own task queue so the
 * session starts on the child process.
 */
const workerLoss: Scenario = {
  name: 'worker-loss',
  async run(ctx) {
    const { stack } = ctx;
    const taskQueue = `${stack.temporal.taskQueue}-loss`;
    const client = new MarketMakingClient({
      client: stack.temporal.client,
      taskQueue,
      db: stack.database.traderDb(),
    });
    const child = spawnWorker({
      TEMPORAL_ADDRESS: stack.temporal.address,
      TEMPORAL_NAMESPACE: stack.temporal.namespace,
      TASK_QUEUE: taskQueue,
      DATABASE_URL: stack.database.urls.worker,
      LOG_LEVEL: 'warn',
    });
    let takeover: MarketHarness | undefined;
    try {
      return await onPool(client, stack.database.db, { poolId: 'hist-worker-loss' }, async ({ poolId }) => {
        const runs = await client.startPool(poolId, {
          refreshIntervalMs: 1000,
          catchUpIntervalMs: 30_000,
          heartbeatTimeoutMs: 1000,
        });
        await whileRunning([child], quoting(client, poolId));
        await child.kill();
        takeover = await startMarketWorker(stack.database, { ...stack.temporal, taskQueue });
        await waitFor(
          'the session retried on the surviving worker',
          async () => {
            const d = await client.marketMaker(poolId).describe();
            const pending = d.raw.pendingActivities?.find(
              (a) => a.activityType?.name === 'runQuotingSession',
            );
            return (pending?.attempt ?? 0) >= 2 && (await client.status(poolId)).sessionRunning;
          },
          LONG,
          250,
        );
        await quoting(client, poolId);
        await client.stopPool(poolId, 'history: worker loss done');
        return {
          poolId,
          ...runs,
          covers: {
            marketMaker: [
              'quoting session activity timed out on heartbeat (worker SIGKILLed) and retried (attempt 2)',
              'stop after the retry',
            ],
            saga: ['catch-up timer', 'stop signal handled by the worker that took over'],
          },
        };
      });
    } finally {
      await child.kill();
      await takeover?.shutdown();
    }
  },
};

/**
 * The quoting session activity fails: first with a retryable error (the server retries it), then
 * with a non-retryable one that reaches the workflow, which records the error, backs off and starts
 * a new session. The faults are injected at the activity boundary; the workflow code is the release's.
 */
const sessionFailure: Scenario = {
  name: 'session-failure',
  async run(ctx) {
    const { stack } = ctx;
    const taskQueue = `${stack.temporal.taskQueue}-faults`;
    const client = new MarketMakingClient({
      client: stack.temporal.client,
      taskQueue,
      db: stack.database.traderDb(),
    });
    // The worker's own login, as the deployable worker uses.
    const workerDb = createDb(stack.database.urls.worker, { maxConnections: 10 });
    const notifications = new PoolNotificationHub(workerDb);
    await notifications.start();
    const activities = createActivities({
      db: workerDb,
      hedgeVenue: defaultHedgeVenue(),
      notifications,
    });
    let calls = 0;
    const worker = await Worker.create({
      connection: stack.temporal.nativeConnection,
      namespace: stack.temporal.namespace,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: {
        ...activities,
        runQuotingSession: async (input: Parameters<typeof activities.runQuotingSession>[0]) => {
          calls++;
          if (calls === 1)
            throw ApplicationFailure.retryable('injected: database connection lost', 'Injected');
          if (calls === 2)
            throw ApplicationFailure.nonRetryable(
              'injected: generation taken by another session',
              'Conflict',
            );
          return activities.runQuotingSession(input);
        },
      },
    });
    const running = worker.run();
    try {
      return await onPool(
        client,
        stack.database.db,
        { poolId: 'hist-session-failure' },
        async ({ poolId }) => {
          const runs = await client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 30_000 });
          await quoting(client, poolId);
          // The supervisor's own figures (status() shows the running session's lastError instead).
          const supervisor = await client.marketMaker(poolId).query(statusQuery);
          if (calls < 3 || !supervisor.lastError?.includes('injected')) {
            throw new Error(
              `expected both injected failures before quoting, got ${calls} calls and lastError ${supervisor.lastError}`,
            );
          }
          await client.stopPool(poolId, 'history: session failure done');
          return {
            poolId,
            ...runs,
            covers: {
              marketMaker: [
                'quoting session activity failed with a retryable error and was retried by the server',
                'quoting session activity failed non-retryably: lastError, backoff timer, new session',
                'stop',
              ],
              saga: ['stop signal: completion'],
            },
          };
        },
      );
    } finally {
      worker.shutdown();
      await running;
      await notifications.close();
      await workerDb.destroy();
    }
  },
};

export const SCENARIOS: Scenario[] = [
  lifecycle,
  continueAsNew,
  sagaAdjustments,
  riskStop,
  riskPause,
  workerLoss,
  sessionFailure,
];
