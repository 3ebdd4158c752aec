import { sql } from 'kysely';
import { askVenue, type HedgeVenue } from '../adapters/hedge-venue/port';
import { DomainValidationError } from '../domain/errors';
import { hedgeCooldownUntil, planHedge } from '../domain/hedge';
import { Big, formatDecimal, parseDecimal } from '../domain/money';
import { inventoryShare } from '../domain/pool';
import { poolOwner, poolStream } from '../domain/streams';
import type { Db } from './connection';
import { ConflictError } from './errors';
import { appendToStream, type Executor } from './event-store';
import { checkFence, type SessionFence } from './fence';
import { cancelAllLocked } from './order-book';
import { lockPool, validRequestId, writeReserves, type PoolState } from './pools';
import type { HedgesTable } from './types';
import type { Selectable } from 'kysely';

/*
 * One owner of hedging per pool: the market maker's quoting session, the only writer that holds the
 * pool's fence. The spread saga does not trade: it asks (requestHedge), and the session honours the
 * request on its next cycle through hedgeExcess, the one function that trades a pool's inventory.
 *
 * hedgeExcess decides under the pool's row lock, from the locked row: whether a hedge is already in
 * flight (then it finishes that one), whether the cool-down since the last hedge has passed, and how
 * much the excess is. The decision is a row in `hedges` (at most one in flight per pool, enforced by
 * a unique index), committed before the venue is called: the row lock is never held across a remote
 * call, and a second caller sees the first one's decision instead of trading the same excess again.
 * The fill is booked with its `inventory_adjusted` event in one transaction, idempotently by the
 * request id; the venue is asked with the hedge's client order id, so asking again after a crash
 * returns the original fill instead of trading twice.
 */

export type HedgeTrigger = 'risk_flatten' | 'saga_request';

export interface HedgeInput {
  poolId: string;
  /** Idempotency key: the same id never trades twice and returns the first outcome. */
  requestId: string;
  /** Only the session holding the pool's fence may hedge. */
  fence: SessionFence;
  trigger: HedgeTrigger;
  /** Quote per base that the excess is measured and traded at (the cycle's reference price). */
  referencePrice: string;
}

export interface HedgeFilled {
  status: 'hedged';
  /** The hedge this call finished: its own, or one an earlier call had left in flight. */
  requestId: string;
  side: 'buy' | 'sell';
  baseAmount: string;
  quoteAmount: string;
  inventoryShareBefore: string;
  inventoryShareAfter: string;
}

export type HedgeOutcome =
  | HedgeFilled
  /** The venue did not answer (it may have traded): the next call asks again under the same client order id. */
  | { status: 'in_flight'; requestId: string; reason: string }
  | { status: 'failed'; requestId: string; reason: string }
  | { status: 'cool_down'; reason: string; lastRequestId: string; untilMs: number }
  | { status: 'nothing_to_hedge'; reason: string; inventoryShare: string };

type HedgeRow = Selectable<HedgesTable>;

const shareOf = (pool: PoolState, price: Big) =>
  formatDecimal(inventoryShare(pool.reserveBase, pool.reserveQuote, price).round(8, Big.roundHalfEven));

const eventIdOf = (poolId: string, requestId: string) => `inventory/${poolId}/${requestId}`;

/** Trades the pool's excess inventory back to its target share, or says why it does not. */
export async function hedgeExcess(db: Db, venue: HedgeVenue, input: HedgeInput): Promise<HedgeOutcome> {
  const reference = parseDecimal(input.referencePrice, 'referencePrice', { allowZero: false });
  validRequestId(input.requestId);
  if (input.trigger !== 'risk_flatten' && input.trigger !== 'saga_request') {
    throw new DomainValidationError('trigger', `trigger must be "risk_flatten" or "saga_request"`);
  }
  const decision = await decide(db, input, reference);
  return 'answer' in decision ? decision.answer : settle(db, venue, decision.hedge);
}

/** The decision, under the pool's row lock: a hedge row to carry out, or an answer. */
async function decide(
  db: Db,
  input: HedgeInput,
  reference: Big,
): Promise<{ hedge: HedgeRow } | { answer: HedgeOutcome }> {
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const own = await hedgeRow(trx, input.requestId);
    if (own) {
      if (own.pool_id !== pool.id) {
        throw new ConflictError(
          `requestId "${input.requestId}" was already used for a hedge of pool "${own.pool_id}"; use a new requestId`,
        );
      }
      return own.status === 'in_flight' ? { hedge: own } : { answer: await outcomeOf(trx, own) };
    }
    checkFence(pool, input.fence);
    // A hedge decided earlier (by a session that died before booking it) is finished first: its
    // trade may already have happened at the venue, and the excess is measured after it.
    const open = await trx
      .selectFrom('hedges')
      .selectAll()
      .where('pool_id', '=', pool.id)
      .where('status', '=', 'in_flight')
      .executeTakeFirst();
    if (open) {
      await answerRequest(trx, pool);
      return { hedge: open };
    }
    const clock = await sql<{ last_id: string | null; last_ms: number | null; now_ms: number }>`
      select h.request_id as last_id, (extract(epoch from h.decided_at) * 1000)::float8 as last_ms,
             (extract(epoch from clock_timestamp()) * 1000)::float8 as now_ms
        from (select 1) one
        left join lateral (select request_id, decided_at from hedges where pool_id = ${pool.id}
                            order by decided_at desc limit 1) h on true`.execute(trx);
    const { last_id, last_ms, now_ms } = clock.rows[0]!;
    const cooldownSeconds = pool.config.risk.hedgeCooldownSeconds;
    const until = hedgeCooldownUntil(last_ms, cooldownSeconds);
    if (until !== null && now_ms < until) {
      await answerRequest(trx, pool);
      return {
        answer: {
          status: 'cool_down',
          lastRequestId: last_id!,
          untilMs: until,
          reason:
            `pool "${pool.id}" hedged ${((now_ms - last_ms!) / 1000).toFixed(1)} s ago (${last_id}); ` +
            `it hedges at most once per risk.hedgeCooldownSeconds (${cooldownSeconds} s), next from ${new Date(until).toISOString()}`,
        },
      };
    }
    const plan = planHedge({
      reserveBase: pool.reserveBase,
      reserveQuote: pool.reserveQuote,
      referencePrice: reference,
      targetShare: new Big(pool.config.spreadPolicy.targetInventoryShare),
      lotSize: pool.lotSize,
      minSize: pool.minSize,
    });
    if (plan.kind === 'nothing') {
      await answerRequest(trx, pool);
      return {
        answer: {
          status: 'nothing_to_hedge',
          inventoryShare: shareOf(pool, reference),
          reason:
            `the excess of pool "${pool.id}" is ${formatDecimal(plan.excessBase.round(8, Big.roundDown))} ${pool.baseAsset}, ` +
            `below one lot or the minimum size (${formatDecimal(pool.minSize)})`,
        },
      };
    }
    // The quotes go with the decision: a fill during the venue call would move the excess it trades.
    await cancelAllLocked(trx, { poolId: pool.id, owner: poolOwner(pool.id), reason: input.trigger });
    const row = await trx
      .insertInto('hedges')
      .values({
        request_id: input.requestId,
        pool_id: pool.id,
        client_order_id: eventIdOf(pool.id, input.requestId),
        trigger: input.trigger,
        status: 'in_flight',
        side: plan.side,
        base_amount: formatDecimal(plan.baseAmount),
        reference_price: formatDecimal(reference),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await answerRequest(trx, pool);
    return { hedge: row };
  });
}

/** Asks the venue for the decided trade (again, after a crash: same client order id) and books it. */
async function settle(db: Db, venue: HedgeVenue, hedge: HedgeRow): Promise<HedgeOutcome> {
  const answer = await askVenue(venue, hedge);
  if (answer.kind === 'refused') return fail(db, hedge, answer.reason);
  if (answer.kind === 'unanswered') {
    return {
      status: 'in_flight',
      requestId: hedge.request_id,
      reason: `${answer.reason}; asked again under client order id ${hedge.client_order_id} next time`,
    };
  }
  const { fill } = answer;
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, hedge.pool_id);
    const current = (await hedgeRow(trx, hedge.request_id))!;
    if (current.status !== 'in_flight') return outcomeOf(trx, current);
    const reference = new Big(hedge.reference_price);
    const shareBefore = shareOf(pool, reference);
    // Booked against the reserves as they are now (a fill by another trader may have moved them).
    if (fill.side === 'sell') {
      pool.reserveBase = pool.reserveBase.minus(fill.baseAmount);
      pool.reserveQuote = pool.reserveQuote.plus(fill.netQuoteAmount);
    } else {
      pool.reserveBase = pool.reserveBase.plus(fill.baseAmount);
      pool.reserveQuote = pool.reserveQuote.minus(fill.netQuoteAmount);
    }
    if (pool.reserveBase.lt(0) || pool.reserveQuote.lt(0)) {
      return markFailed(
        trx,
        hedge,
        `the venue filled ${fill.side} ${formatDecimal(fill.baseAmount)} (client order id ${hedge.client_order_id}) but booking it ` +
          `would leave pool "${pool.id}" with a negative reserve; it was not booked: reconcile it with the venue`,
      );
    }
    await writeReserves(trx, pool);
    const shareAfter = shareOf(pool, reference);
    await trx
      .updateTable('hedges')
      .set({
        status: 'filled',
        settled_at: sql`clock_timestamp()` as never,
        fill_price: formatDecimal(fill.price),
        fill_base: formatDecimal(fill.baseAmount),
        fill_quote: formatDecimal(fill.quoteAmount),
        fill_fee: formatDecimal(fill.fee),
      })
      .where('request_id', '=', hedge.request_id)
      .execute();
    await appendToStream(trx, poolStream(pool.id), 'any', [
      {
        eventId: hedge.client_order_id,
        type: 'inventory_adjusted',
        payload: {
          poolId: pool.id,
          venue: venue.name,
          trigger: hedge.trigger,
          side: fill.side,
          baseAmount: formatDecimal(fill.baseAmount),
          quoteAmount: formatDecimal(fill.quoteAmount),
          price: formatDecimal(fill.price),
          fee: formatDecimal(fill.fee),
          inventoryShareBefore: shareBefore,
          inventoryShareAfter: shareAfter,
          reserveBase: formatDecimal(pool.reserveBase),
          reserveQuote: formatDecimal(pool.reserveQuote),
        },
      },
    ]);
    return {
      status: 'hedged',
      requestId: hedge.request_id,
      side: fill.side,
      baseAmount: formatDecimal(fill.baseAmount),
      quoteAmount: formatDecimal(fill.quoteAmount),
      inventoryShareBefore: shareBefore,
      inventoryShareAfter: shareAfter,
    };
  });
}

async function fail(db: Db, hedge: HedgeRow, reason: string): Promise<HedgeOutcome> {
  return db.transaction().execute(async (trx) => {
    await lockPool(trx, hedge.pool_id);
    const current = (await hedgeRow(trx, hedge.request_id))!;
    if (current.status !== 'in_flight') return outcomeOf(trx, current);
    return markFailed(trx, hedge, reason);
  });
}

async function markFailed(trx: Executor, hedge: HedgeRow, reason: string): Promise<HedgeOutcome> {
  await trx
    .updateTable('hedges')
    .set({ status: 'failed', settled_at: sql`clock_timestamp()` as never, failure: reason })
    .where('request_id', '=', hedge.request_id)
    .execute();
  return { status: 'failed', requestId: hedge.request_id, reason };
}

async function hedgeRow(db: Executor, requestId: string): Promise<HedgeRow | undefined> {
  return db.selectFrom('hedges').selectAll().where('request_id', '=', requestId).executeTakeFirst();
}

/** What a settled hedge came to, for a caller repeating its request. */
async function outcomeOf(db: Executor, hedge: HedgeRow): Promise<HedgeOutcome> {
  if (hedge.status !== 'filled') {
    return { status: 'failed', requestId: hedge.request_id, reason: hedge.failure ?? 'failed' };
  }
  const event = await db
    .selectFrom('events')
    .select('payload')
    .where('event_id', '=', hedge.client_order_id)
    .executeTakeFirstOrThrow();
  const p = event.payload as Record<string, string>;
  return {
    status: 'hedged',
    requestId: hedge.request_id,
    side: hedge.side,
    baseAmount: p.baseAmount!,
    quoteAmount: p.quoteAmount!,
    inventoryShareBefore: p.inventoryShareBefore!,
    inventoryShareAfter: p.inventoryShareAfter!,
  };
}

/** The session answers a pending request of the saga with whatever it decided. */
async function answerRequest(trx: Executor, pool: PoolState): Promise<void> {
  if (pool.hedgeRequestedAt === null) return;
  await trx.updateTable('pools').set({ hedge_requested_at: null }).where('id', '=', pool.id).execute();
}

export interface HedgeRequestResult {
  /** The saga never trades: its rebalance is a request the market maker carries out. */
  applied: false;
  requested: true;
  /** Who will answer it, in words an operator can act on. */
  note: string;
}

/**
 * The spread saga's rebalance: asks the pool's hedging owner (the market maker's quoting session)
 * to bring inventory back to target. Recorded with a `hedge_requested` event, idempotently by the
 * request id; the pool row's notification wakes the session, which decides under the lock (so the
 * saga's request and a flatten of the session's own can never both trade the same excess).
 */
export async function requestHedge(
  db: Db,
  input: { poolId: string; requestId: string; requestedBy: string },
): Promise<HedgeRequestResult> {
  validRequestId(input.requestId);
  const eventId = `hedge/${input.poolId}/${input.requestId}/requested`;
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const note =
      pool.mmAttempt > 0
        ? 'the market maker answers it on its next cycle'
        : 'no quoting session is running: the market maker answers it when it quotes again';
    const prior = await trx
      .selectFrom('events')
      .select('event_id')
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    if (prior) return { applied: false, requested: true, note };
    await trx
      .updateTable('pools')
      .set({ hedge_requested_at: sql`coalesce(hedge_requested_at, clock_timestamp())` as never })
      .where('id', '=', pool.id)
      .execute();
    await appendToStream(trx, poolStream(pool.id), 'any', [
      {
        eventId,
        type: 'hedge_requested',
        payload: { poolId: pool.id, requestId: input.requestId, requestedBy: input.requestedBy },
      },
    ]);
    return { applied: false, requested: true, note };
  });
}
