import type { Db } from '../db/connection';
import {
  cancelAllOrders,
  cancelOrder,
  openOrders,
  reconcileOrders,
  submitOrder,
  type CancelInput,
} from '../db/order-book';
import { getPool, recordPoolEvents, setSpread, updatePoolConfig } from '../db/pools';
import type { PoolConfig } from '../domain/config';
import type { NewEvent } from '../domain/events';
import { formatDecimal } from '../domain/money';
import type { SerializedQuoteLadder } from '../domain/strategies/serialize';
import { marketMakerStream, poolOwner, poolStream } from '../domain/streams';
import { appendToStream } from '../db/event-store';
import { haltQuoting, takeGeneration } from '../db/fence';
import type { PoolNotificationHub } from '../db/notifications';
import { withFailureMapping } from './failures';
import { deskActivities } from './desk';
import {
  runQuotingSession,
  type CycleObservation,
  type QuotingSessionInput,
  type SessionOutcome,
} from './quoting-session';
import type { HedgeVenue } from '../adapters/hedge-venue/port';
import { requestHedge, type HedgeRequestResult } from '../db/hedging';
import { compensateSpread, type SpreadCompensation } from '../db/spread-compensation';
import { readPastCheckpoint } from '../db/stream-checkpoint';
import { spreadSagaWorkflowId } from '../workflows/ids';
import { readMarketSnapshot } from './market-data';
import { computeQuotes } from './quotes';
import type { MarketSnapshot, PnlBaseline, PoolEventSummary, QuoteCycleResult, SpreadInputs } from './types';

export interface ActivityDeps {
  db: Db;
  hedgeVenue: HedgeVenue;
  /** Postgres notifications that wake quoting sessions; required to run runQuotingSession. */
  notifications?: PoolNotificationHub;
  log?: (msg: string, meta: Record<string, unknown>) => void;
  /** Told of every completed quoting cycle (metrics, the benchmark). */
  onCycle?: (o: CycleObservation) => void;
  now?: () => number;
}

export function createActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => Date.now());

  return withFailureMapping({
    /**
     * The quote loop of one pool as a long-lived, heartbeating activity (see quoting-session.ts).
     * Started by MarketMakerWorkflow with a generation it took through beginQuotingSession.
     */
    async runQuotingSession(input: QuotingSessionInput): Promise<SessionOutcome> {
      if (!deps.notifications) {
        throw new Error(
          "runQuotingSession needs the worker's PoolNotificationHub (createActivities({ notifications }))",
        );
      }
      return runQuotingSession(
        {
          db,
          ticks: deps.notifications.ticks,
          hedgeVenue: deps.hedgeVenue,
          now,
          notifications: deps.notifications,
          log: deps.log,
          onCycle: deps.onCycle,
        },
        input,
      );
    },

    /** A new fence generation for a new session: every older session is fenced off. */
    async beginQuotingSession(input: { poolId: string }): Promise<string> {
      return takeGeneration(db, input.poolId);
    },

    /**
     * Pause or stop: bumps the fence generation and cancels every resting quote in one transaction,
     * recording the lifecycle event with it. Idempotent by the event id.
     */
    async haltQuoting(input: {
      poolId: string;
      cancelReason: string;
      /** Halt only while the pool is still at this generation (see db/fence.ts). */
      ifGeneration?: string;
      event:
        | { eventId: string; type: 'market_maker_paused'; reason: string; untilMs?: number }
        | { eventId: string; type: 'market_maker_stopped'; reason: string; workflowId: string };
    }): Promise<{ cancelled: number; generation: string; halted: boolean }> {
      const e = input.event;
      return haltQuoting(db, {
        poolId: input.poolId,
        reason: input.cancelReason,
        ifGeneration: input.ifGeneration,
        events: (cancelled) => [
          e.type === 'market_maker_paused'
            ? {
                eventId: e.eventId,
                type: e.type,
                payload: {
                  poolId: input.poolId,
                  reason: e.reason,
                  ...(e.untilMs !== undefined ? { untilMs: e.untilMs } : {}),
                },
              }
            : {
                eventId: e.eventId,
                type: e.type,
                payload: {
                  poolId: input.poolId,
                  workflowId: e.workflowId,
                  reason: e.reason,
                  cancelledOrders: cancelled,
                },
              },
        ],
      });
    },

    async monitorMarketConditions(input: {
      poolId: string;
      baseline?: PnlBaseline;
    }): Promise<MarketSnapshot> {
      return readMarketSnapshot(db, input.poolId, now(), input.baseline);
    },

    async calculateOptimalQuotes(input: {
      snapshot: MarketSnapshot;
      timeRemainingSeconds?: number;
    }): Promise<SerializedQuoteLadder> {
      return computeQuotes(input.snapshot, input.timeRemainingSeconds);
    },

    /**
     * Reconciles the pool's resting orders with the ladder and records `quotes_updated`.
     * `cycleKey` is derived from the workflow id and cycle number, so a retry after commit changes nothing.
     */
    async reconcileQuotes(input: {
      poolId: string;
      cycleKey: string;
      cycle: number;
      mid: string;
      spreadBps: string;
      ladder: SerializedQuoteLadder;
      toleranceBps: string;
    }): Promise<QuoteCycleResult> {
      const desired = [
        ...input.ladder.bids.map((l) => ({ side: 'buy' as const, ...l })),
        ...input.ladder.asks.map((l) => ({ side: 'sell' as const, ...l })),
      ].map((l) => ({ side: l.side, price: l.price, size: l.size }));
      // A retry after the reconcile committed returns the book as it is: the cycle's orders may have
      // traded since, and reconciling again would cancel them without replacing them.
      const done = await db
        .selectFrom('events')
        .select('payload')
        .where('event_id', '=', `${input.cycleKey}/quotes_updated`)
        .executeTakeFirst();
      if (done) {
        const p = done.payload as { placed: number; cancelled: number; kept: number };
        const resting = await openOrders(db, input.poolId, poolOwner(input.poolId));
        return {
          placed: p.placed,
          cancelled: p.cancelled,
          kept: p.kept,
          skipped: 0,
          resting,
          ladder: input.ladder,
        };
      }
      const { config } = await getPool(db, input.poolId);
      const result = await reconcileOrders(
        db,
        {
          poolId: input.poolId,
          owner: poolOwner(input.poolId),
          cycleKey: input.cycleKey,
          desired,
          toleranceBps: input.toleranceBps,
          // Run alone, outside a session, its quotes still die unless something renews them.
          ttlMs: config.quoting.quoteTtlMs,
        },
        {
          // In the reconcile's own transaction: the book and the record of it commit together.
          streamId: marketMakerStream(input.poolId),
          events: (outcome) => [
            {
              eventId: `${input.cycleKey}/quotes_updated`,
              type: 'quotes_updated',
              payload: {
                poolId: input.poolId,
                cycle: input.cycle,
                mid: input.mid,
                reservationPrice: input.ladder.reservationPrice,
                spreadBps: input.spreadBps,
                bids: input.ladder.bids,
                asks: input.ladder.asks,
                placed: outcome.placed,
                cancelled: outcome.cancelled,
                kept: outcome.kept,
              },
            },
          ],
        },
      );
      return { ...result, ladder: input.ladder };
    },

    async cancelAllQuotes(input: { poolId: string; reason: string }): Promise<number> {
      return cancelAllOrders(db, {
        poolId: input.poolId,
        owner: poolOwner(input.poolId),
        reason: input.reason,
      });
    },

    async placeOrder(input: unknown) {
      return submitOrder(db, input);
    },

    async cancelOrder(input: CancelInput) {
      return cancelOrder(db, input);
    },

    async recordMarketMakerEvents(input: { poolId: string; events: NewEvent[] }): Promise<number> {
      return (await appendToStream(db, marketMakerStream(input.poolId), 'any', input.events)).written;
    },

    async recordPoolEvents(input: { poolId: string; events: NewEvent[] }): Promise<number> {
      return recordPoolEvents(db, input.poolId, input.events);
    },

    async adjustSpread(input: {
      poolId: string;
      requestId: string;
      newSpreadBps: string;
      reasons: string[];
      sagaId?: string;
    }) {
      return setSpread(db, input);
    },

    /**
     * Compensation: puts the spread back only while it is still the value this saga set, and never
     * narrower than it is (db/spread-compensation.ts); says what it did and why, idempotently.
     */
    async restoreSpread(input: {
      poolId: string;
      requestId: string;
      restoreToBps: string;
      attemptedSpreadBps: string;
      error: string;
      sagaId: string;
    }): Promise<SpreadCompensation> {
      return compensateSpread(db, input);
    },

    /**
     * The saga's rebalance. The market maker owns hedging (db/hedging.ts): this records the saga's
     * request, which the quoting session honours on its next cycle under the pool lock and cool-down.
     */
    async adjustInventory(input: { poolId: string; requestId: string }): Promise<HedgeRequestResult> {
      return requestHedge(db, {
        poolId: input.poolId,
        requestId: input.requestId,
        requestedBy: spreadSagaWorkflowId(input.poolId),
      });
    },

    /**
     * The pool's events past a checkpoint, summarised by type: the saga only needs to know what
     * happened, and payloads would bloat its history on busy pools.
     */
    async readPoolEvents(input: {
      poolId: string;
      afterVersion: number;
      limit?: number;
    }): Promise<PoolEventSummary> {
      return readSagaEvents(db, input.poolId, input.afterVersion, input.limit);
    },

    /**
     * What one saga iteration reads, in one local activity: the pool's events past the checkpoint
     * (counts by type) and the few market figures the spread policy needs. Kept small on purpose:
     * the result is recorded in the saga's history.
     */
    async readSpreadInputs(input: {
      poolId: string;
      afterVersion: number;
      limit?: number;
    }): Promise<SpreadInputs> {
      const [events, s] = await Promise.all([
        readSagaEvents(db, input.poolId, input.afterVersion, input.limit),
        readMarketSnapshot(db, input.poolId, now()),
      ]);
      return {
        events,
        market: {
          spreadBps: s.spreadBps,
          inventoryShare: s.inventoryShare,
          volatility: s.volatility,
          tvl: s.tvl,
          spreadPolicy: s.config.spreadPolicy,
        },
      };
    },

    async updatePoolConfig(input: { poolId: string; config: PoolConfig; requestId: string }): Promise<void> {
      await updatePoolConfig(db, input);
    },

    async poolSpread(input: { poolId: string }): Promise<string> {
      return formatDecimal((await getPool(db, input.poolId)).spreadBps);
    },

    ...deskActivities({ db, hedgeVenue: deps.hedgeVenue }),
  });
}

/**
 * The pool's events past the spread saga's checkpoint, summarised by type, through the saga's
 * durable checkpoint: a rewound saga (a Temporal reset, a fresh start) resumes where the pool's
 * events were last processed instead of processing them again.
 */
async function readSagaEvents(
  db: Db,
  poolId: string,
  afterVersion: number,
  limit = 5000,
): Promise<PoolEventSummary> {
  return readPastCheckpoint(db, {
    subscriber: spreadSagaWorkflowId(poolId),
    streamId: poolStream(poolId),
    afterVersion,
    limit,
  });
}

export type Activities = ReturnType<typeof createActivities>;
