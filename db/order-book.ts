import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Transaction } from 'kysely';
import { DomainValidationError, describeValue } from '../domain/errors';
import { parseIdentifier, parsePoolId, parseReason, refuseUnknownFields } from '../domain/text';
import type { NewEvent } from '../domain/events';
import { Big, formatDecimal, notional, parseDecimal, roundQtyToLot } from '../domain/money';
import {
  checkOrderRules,
  crosses,
  oppositeSide,
  parseOrderRequest,
  type OrderRequest,
  type Side,
} from '../domain/orders';
import { orderBookStream, poolOwner, poolStream } from '../domain/streams';
import type { Db } from './connection';
import { ConflictError, NotFoundError } from './errors';
import { appendInTransaction, appendToStream, type Executor } from './event-store';
import { checkFence, type SessionFence } from './fence';
import { lockPool, type PoolState } from './pools';
import { planQuotes, type RestingQuote } from '../domain/quote-plan';
import type { Database, OrderRow } from './types';

/*
 * A price-time priority order book on Postgres. Each submission runs in one transaction holding the
 * pool's row lock, so matching, the pool's reserves and the events it produces move together and
 * are serialised per pool. Self-trade prevention cancels the resting order ("expire maker").
 */

export interface OrderView {
  orderId: string;
  poolId: string;
  owner: string;
  clientOrderId: string;
  side: Side;
  type: OrderRequest['type'];
  price: string;
  quantity: string;
  filledQuantity: string;
  status: 'open' | 'filled' | 'cancelled';
  cancelReason: string | null;
}

export interface Fill {
  tradeId: string;
  makerOrderId: string;
  makerOwner: string;
  price: string;
  quantity: string;
  makerIsPool: boolean;
}

export interface SubmitResult {
  order: OrderView;
  fills: Fill[];
  /** True when this client order id was already processed: the stored outcome is returned. */
  replayed: boolean;
}

export class PostOnlyWouldCrossError extends DomainValidationError {
  constructor(price: Big, side: Side, best: Big) {
    super(
      'price',
      `post-only ${side} at ${formatDecimal(price)} would trade against the resting order at ${formatDecimal(best)}; it was refused and nothing was written`,
    );
    this.name = 'PostOnlyWouldCrossError';
  }
}

function view(row: OrderRow): OrderView {
  return {
    orderId: row.id,
    poolId: row.pool_id,
    owner: row.owner,
    clientOrderId: row.client_order_id,
    side: row.side,
    type: row.type,
    price: formatDecimal(new Big(row.price)),
    quantity: formatDecimal(new Big(row.quantity)),
    filledQuantity: formatDecimal(new Big(row.filled_quantity)),
    status: row.status,
    cancelReason: row.cancel_reason,
  };
}

/** Events of one transaction, appended per stream at its end. */
class EventBatch {
  readonly book: NewEvent[] = [];
  readonly pool: NewEvent[] = [];
  async flush(trx: Transaction<Database>, poolId: string) {
    if (this.book.length) await appendInTransaction(trx, orderBookStream(poolId), this.book);
    if (this.pool.length) await appendInTransaction(trx, poolStream(poolId), this.pool);
  }
}

async function existingOrder(trx: Transaction<Database>, owner: string, clientOrderId: string) {
  return trx
    .selectFrom('orders')
    .selectAll()
    .where('owner', '=', owner)
    .where('client_order_id', '=', clientOrderId)
    .executeTakeFirst();
}

async function fillsOf(trx: Transaction<Database>, takerOrderId: string): Promise<Fill[]> {
  const rows = await trx
    .selectFrom('trades')
    .selectAll()
    .where('taker_order_id', '=', takerOrderId)
    .orderBy('seq')
    .execute();
  return rows.map((t) => ({
    tradeId: t.id,
    makerOrderId: t.maker_order_id,
    makerOwner: t.maker_owner,
    price: formatDecimal(new Big(t.price)),
    quantity: formatDecimal(new Big(t.quantity)),
    makerIsPool: t.maker_is_pool,
  }));
}

function sameTerms(row: OrderRow, o: OrderRequest): boolean {
  return (
    row.pool_id === o.poolId &&
    row.side === o.side &&
    row.type === o.type &&
    new Big(row.price).eq(o.price) &&
    new Big(row.quantity).eq(o.quantity)
  );
}

export function cancelEvent(
  row: { id: string; pool_id: string; owner: string },
  remaining: Big,
  reason: string,
): NewEvent {
  return {
    eventId: `order/${row.id}/cancelled`,
    type: 'order_cancelled',
    payload: {
      orderId: row.id,
      poolId: row.pool_id,
      owner: row.owner,
      remainingQuantity: formatDecimal(remaining),
      reason,
    },
  };
}

async function markCancelled(trx: Transaction<Database>, orderId: string, reason: string) {
  await trx
    .updateTable('orders')
    .set({ status: 'cancelled', cancel_reason: reason, updated_at: sql`now()` as never })
    .where('id', '=', orderId)
    .execute();
}

/**
 * How much base the pool can still trade on `poolSide` at `price` (as maker or taker): a pool never
 * goes negative. The quote division is checked back by multiplication, so a rounded quotient can
 * never let the pool pay a hair more quote than it holds.
 */
function poolCapacity(pool: PoolState, poolSide: Side, price: Big): Big {
  if (poolSide === 'sell') return roundQtyToLot(pool.reserveBase, pool.lotSize);
  let qty = roundQtyToLot(pool.reserveQuote.div(price), pool.lotSize);
  while (qty.gt(0) && notional(price, qty).gt(pool.reserveQuote)) qty = qty.minus(pool.lotSize);
  return qty;
}

/**
 * An expired quote is dead to matching and to the book's best prices, open row or not. Compared
 * with the clock at the moment of the check, not the transaction's start: a taker that waited on
 * the pool lock must not fill a quote that expired while it waited.
 */
const notExpired = (eb: ExpressionBuilder<Database, 'orders'>) =>
  eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`clock_timestamp()`)]);

/** `clock_timestamp() + ttl` in the database's clock, which is the one matching compares against. */
const expiresIn = (ttlMs: number) => sql<Date>`clock_timestamp() + ${ttlMs} * interval '1 millisecond'`;

/** Resting orders read per query while matching. */
const MATCH_BATCH = 32;

/**
 * Matches and (for limit and post-only) rests one order, inside a transaction that already holds
 * the pool lock. Returns the stored outcome when the client order id was seen before.
 */
async function submitLocked(
  trx: Transaction<Database>,
  pool: PoolState,
  order: OrderRequest,
  batch: EventBatch,
  /** Market-maker quotes only: the order is dead to matching after this long. */
  ttlMs?: number,
): Promise<SubmitResult> {
  const prior = await existingOrder(trx, order.owner, order.clientOrderId);
  if (prior) {
    if (!sameTerms(prior, order)) {
      throw new ConflictError(
        `Client order id "${order.clientOrderId}" of "${order.owner}" was already used for a different order; use a new client order id.`,
      );
    }
    return { order: view(prior), fills: await fillsOf(trx, prior.id), replayed: true };
  }
  if (pool.status === 'closed')
    throw new DomainValidationError('poolId', `pool "${pool.id}" is closed and accepts no orders`);
  checkOrderRules(order, {
    tickSize: pool.tickSize,
    lotSize: pool.lotSize,
    minSize: pool.minSize,
    maxOrderNotional: new Big(pool.config.risk.maxOrderNotional),
  });
  const isPoolOrder = order.owner === poolOwner(pool.id);
  const makerSide = oppositeSide(order.side);
  // Crossing makers in price-time order, read a batch at a time: a marketable order against a deep
  // book reads only the levels it consumes. Every maker handled leaves the open set (filled, or
  // cancelled) unless the taker is done, so the next batch starts where the previous one ended.
  const fetchMakers = () =>
    trx
      .selectFrom('orders')
      .selectAll()
      .where('pool_id', '=', pool.id)
      .where('side', '=', makerSide)
      .where('status', '=', 'open')
      .where(notExpired)
      .where('price', order.side === 'buy' ? '<=' : '>=', formatDecimal(order.price))
      .orderBy('price', order.side === 'buy' ? 'asc' : 'desc')
      .orderBy('seq', 'asc')
      .limit(MATCH_BATCH)
      .execute();
  const firstBatch = await fetchMakers();
  if (order.type === 'post_only' && firstBatch.length > 0) {
    throw new PostOnlyWouldCrossError(order.price, order.side, new Big(firstBatch[0]!.price));
  }
  async function* crossingMakers() {
    const seen = new Set<string>();
    let batch = firstBatch;
    while (batch.length > 0) {
      for (const maker of batch) {
        if (seen.has(maker.id))
          throw new Error(`matching invariant broken: resting order ${maker.id} was visited twice`);
        seen.add(maker.id);
        yield maker;
      }
      if (batch.length < MATCH_BATCH) return;
      batch = await fetchMakers();
    }
  }

  const orderId = `o_${randomUUID()}`;
  await trx
    .insertInto('orders')
    .values({
      id: orderId,
      pool_id: pool.id,
      owner: order.owner,
      client_order_id: order.clientOrderId,
      side: order.side,
      type: order.type,
      price: formatDecimal(order.price),
      quantity: formatDecimal(order.quantity),
      status: 'open',
      is_pool_order: isPoolOrder,
      expires_at: ttlMs === undefined ? null : (expiresIn(ttlMs) as never),
    })
    .execute();
  batch.book.push({
    eventId: `order/${orderId}/placed`,
    type: 'order_placed',
    payload: {
      orderId,
      poolId: pool.id,
      owner: order.owner,
      clientOrderId: order.clientOrderId,
      side: order.side,
      type: order.type,
      price: formatDecimal(order.price),
      quantity: formatDecimal(order.quantity),
    },
  });

  let remaining = order.quantity;
  const fills: Fill[] = [];
  // Set when the pool's own taker order runs out of reserves while crossing liquidity remains.
  let poolTakerExhausted = false;
  for await (const maker of crossingMakers()) {
    if (remaining.eq(0)) break;
    const price = new Big(maker.price);
    if (!crosses(order.side, order.price, price)) break;
    let makerLeft = new Big(maker.quantity).minus(maker.filled_quantity);
    if (maker.owner === order.owner) {
      await markCancelled(trx, maker.id, 'self_trade_prevention');
      batch.book.push(cancelEvent(maker, makerLeft, 'self_trade_prevention'));
      continue;
    }
    let cancelRest: string | undefined;
    if (maker.is_pool_order) {
      const capacity = poolCapacity(pool, makerSide, price);
      if (capacity.lt(makerLeft)) {
        makerLeft = capacity;
        cancelRest = 'insufficient_reserve';
      }
    }
    let qty = remaining.lt(makerLeft) ? remaining : makerLeft;
    if (isPoolOrder) {
      // The pool as taker pays from its reserves too: stop where they run out.
      const capacity = poolCapacity(pool, order.side, price);
      if (capacity.lt(qty)) {
        qty = capacity;
        poolTakerExhausted = true;
      }
    }
    if (qty.gt(0)) {
      const quoteAmount = notional(price, qty);
      if (maker.is_pool_order) {
        // The pool is the maker: it gives what the taker receives.
        const poolSells = makerSide === 'sell';
        pool.reserveBase = poolSells ? pool.reserveBase.minus(qty) : pool.reserveBase.plus(qty);
        pool.reserveQuote = poolSells
          ? pool.reserveQuote.plus(quoteAmount)
          : pool.reserveQuote.minus(quoteAmount);
      }
      if (isPoolOrder) {
        const poolBuys = order.side === 'buy';
        pool.reserveBase = poolBuys ? pool.reserveBase.plus(qty) : pool.reserveBase.minus(qty);
        pool.reserveQuote = poolBuys
          ? pool.reserveQuote.minus(quoteAmount)
          : pool.reserveQuote.plus(quoteAmount);
      }
      const tradeId = `${orderId}-${fills.length + 1}`;
      const makerFilled = new Big(maker.filled_quantity).plus(qty);
      const makerDone = makerFilled.eq(maker.quantity);
      // The trade goes in before the maker's fill: the database checks it against the resting order
      // as it stands and moves the pool's reserves itself (migration 0003), so they are current for
      // any later check in this transaction (a pool quote cancelled for insufficient reserve).
      await trx
        .insertInto('trades')
        .values({
          id: tradeId,
          pool_id: pool.id,
          maker_order_id: maker.id,
          taker_order_id: orderId,
          maker_owner: maker.owner,
          taker_owner: order.owner,
          taker_side: order.side,
          price: formatDecimal(price),
          quantity: formatDecimal(qty),
          maker_is_pool: maker.is_pool_order,
        } as never)
        .execute();
      await trx
        .updateTable('orders')
        .set({
          filled_quantity: formatDecimal(makerFilled),
          status: makerDone ? 'filled' : 'open',
          updated_at: sql`now()` as never,
        })
        .where('id', '=', maker.id)
        .execute();
      fills.push({
        tradeId,
        makerOrderId: maker.id,
        makerOwner: maker.owner,
        price: formatDecimal(price),
        quantity: formatDecimal(qty),
        makerIsPool: maker.is_pool_order,
      });
      batch.pool.push({
        eventId: `trade/${tradeId}/executed`,
        type: 'order_executed',
        payload: {
          tradeId,
          poolId: pool.id,
          makerOrderId: maker.id,
          takerOrderId: orderId,
          makerOwner: maker.owner,
          takerOwner: order.owner,
          takerSide: order.side,
          price: formatDecimal(price),
          quantity: formatDecimal(qty),
          quoteAmount: formatDecimal(quoteAmount),
          makerIsPool: maker.is_pool_order,
          ...(maker.is_pool_order || isPoolOrder
            ? { reserveBase: formatDecimal(pool.reserveBase), reserveQuote: formatDecimal(pool.reserveQuote) }
            : {}),
        },
      });
      remaining = remaining.minus(qty);
      if (cancelRest && !makerDone) {
        await markCancelled(trx, maker.id, cancelRest);
        batch.book.push(cancelEvent(maker, new Big(maker.quantity).minus(makerFilled), cancelRest));
      }
    } else if (cancelRest) {
      await markCancelled(trx, maker.id, cancelRest);
      batch.book.push(cancelEvent(maker, new Big(maker.quantity).minus(maker.filled_quantity), cancelRest));
    }
    if (poolTakerExhausted) break;
  }

  const filled = order.quantity.minus(remaining);
  let status: OrderView['status'] = remaining.eq(0) ? 'filled' : 'open';
  let cancelReason: string | null = null;
  if (remaining.gt(0) && (order.type === 'ioc' || poolTakerExhausted)) {
    // A pool order that could not pay for the crossing liquidity must not rest: it would cross the book.
    status = 'cancelled';
    cancelReason = poolTakerExhausted ? 'insufficient_reserve' : 'ioc_remainder';
    batch.book.push(
      cancelEvent({ id: orderId, pool_id: pool.id, owner: order.owner }, remaining, cancelReason),
    );
  }
  if (filled.gt(0) || status !== 'open') {
    await trx
      .updateTable('orders')
      .set({ filled_quantity: formatDecimal(filled), status, cancel_reason: cancelReason })
      .where('id', '=', orderId)
      .execute();
  }
  const stored = await trx
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  return { order: view(stored), fills, replayed: false };
}

/** Submits one order: validate, then match and rest in one transaction serialised per pool. */
export async function submitOrder(db: Db, input: unknown): Promise<SubmitResult> {
  const order = parseOrderRequest(input);
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, order.poolId);
    const batch = new EventBatch();
    const result = await submitLocked(trx, pool, order, batch);
    await batch.flush(trx, pool.id);
    return result;
  });
}

export interface CancelInput {
  poolId: string;
  owner: string;
  orderId?: string;
  clientOrderId?: string;
  reason?: string;
}

const CANCEL_FIELDS = ['poolId', 'owner', 'orderId', 'clientOrderId', 'reason'] as const;

/** Idempotent: cancelling an order that is already cancelled or filled returns it unchanged. */
export async function cancelOrder(db: Db, input: CancelInput): Promise<OrderView> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainValidationError('cancel', `cancel must be an object, got ${describeValue(input)}`);
  }
  refuseUnknownFields(input as unknown as Record<string, unknown>, CANCEL_FIELDS, 'a cancel');
  parsePoolId(input.poolId);
  parseIdentifier(input.owner, 'owner');
  if (input.orderId !== undefined) parseIdentifier(input.orderId, 'orderId');
  if (input.clientOrderId !== undefined) parseIdentifier(input.clientOrderId, 'clientOrderId');
  if (!input.orderId && !input.clientOrderId) {
    throw new DomainValidationError('orderId', 'give orderId or clientOrderId of the order to cancel');
  }
  const reason = input.reason === undefined ? 'cancelled_by_owner' : parseReason(input.reason);
  return db.transaction().execute(async (trx) => {
    await lockPool(trx, input.poolId);
    let q = trx
      .selectFrom('orders')
      .selectAll()
      .where('pool_id', '=', input.poolId)
      .where('owner', '=', input.owner);
    q = input.orderId
      ? q.where('id', '=', input.orderId)
      : q.where('client_order_id', '=', input.clientOrderId!);
    const row = await q.executeTakeFirst();
    if (!row)
      throw new NotFoundError(
        `No order ${input.orderId ?? input.clientOrderId} of "${input.owner}" in pool "${input.poolId}".`,
      );
    if (row.status !== 'open') return view(row);
    await markCancelled(trx, row.id, reason);
    await appendToStream(trx, orderBookStream(input.poolId), 'any', [
      cancelEvent(row, new Big(row.quantity).minus(row.filled_quantity), reason),
    ]);
    return { ...view(row), status: 'cancelled', cancelReason: reason };
  });
}

/** Cancels every open order of one owner in a pool, inside a transaction holding the pool lock. */
export async function cancelAllLocked(
  trx: Transaction<Database>,
  input: { poolId: string; owner: string; reason: string },
): Promise<number> {
  const open = await trx
    .selectFrom('orders')
    .selectAll()
    .where('pool_id', '=', input.poolId)
    .where('owner', '=', input.owner)
    .where('status', '=', 'open')
    .execute();
  if (!open.length) return 0;
  await trx
    .updateTable('orders')
    .set({ status: 'cancelled', cancel_reason: input.reason, updated_at: sql`now()` as never })
    .where(
      'id',
      'in',
      open.map((o) => o.id),
    )
    .execute();
  await appendToStream(
    trx,
    orderBookStream(input.poolId),
    'any',
    open.map((o) => cancelEvent(o, new Big(o.quantity).minus(o.filled_quantity), input.reason)),
  );
  return open.length;
}

/**
 * Cancels every open order of one owner in one pool. With a fence, only the session holding it may
 * do so (a zombie's cancel-all must not remove the quotes of the session that replaced it).
 */
export async function cancelAllOrders(
  db: Db,
  input: { poolId: string; owner: string; reason: string; fence?: SessionFence },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    if (input.fence) checkFence(pool, input.fence);
    return cancelAllLocked(trx, input);
  });
}

export interface DesiredLevel {
  side: Side;
  price: string;
  size: string;
}

export interface ReconcileResult {
  placed: number;
  cancelled: number;
  kept: number;
  /** Levels refused because they would have crossed the book at placement time. */
  skipped: number;
  resting: OrderView[];
}

export interface ReconcileInput {
  poolId: string;
  owner: string;
  cycleKey: string;
  desired: DesiredLevel[];
  toleranceBps: string;
  /** The quoting session's fence: the reconcile writes nothing unless the session still holds it. */
  fence?: SessionFence;
  /** Quote lifetime: placed and kept orders expire this long after the reconcile unless renewed. */
  ttlMs?: number;
  /** Kept orders older than this are replaced. */
  maxOrderAgeMs?: number;
  /** The session does not need the book back: skip reading it. */
  returnResting?: boolean;
}

interface OpenQuoteRow {
  id: string;
  side: Side;
  price: string;
  quantity: string;
  filled: string;
  created_ms: number;
  expires_ms: number | null;
}

/**
 * The owner's open orders, the best prices of everyone else (live orders only) and the database's
 * clock, in one statement inside the reconcile's transaction.
 */
async function bookForReconcile(trx: Transaction<Database>, poolId: string, owner: string) {
  const r = await sql<{
    db_now_ms: number;
    best_bid: string | null;
    best_ask: string | null;
    open: OpenQuoteRow[];
  }>`
    select (extract(epoch from clock_timestamp()) * 1000)::float8 as db_now_ms,
      (select max(price) from orders where pool_id = ${poolId} and side = 'buy' and status = 'open'
          and owner <> ${owner} and (expires_at is null or expires_at > clock_timestamp()))::text as best_bid,
      (select min(price) from orders where pool_id = ${poolId} and side = 'sell' and status = 'open'
          and owner <> ${owner} and (expires_at is null or expires_at > clock_timestamp()))::text as best_ask,
      coalesce((select json_agg(json_build_object('id', id, 'side', side, 'price', price::text,
          'quantity', quantity::text, 'filled', filled_quantity::text,
          'created_ms', (extract(epoch from created_at) * 1000)::float8,
          'expires_ms', (extract(epoch from expires_at) * 1000)::float8) order by seq)
        from orders where pool_id = ${poolId} and owner = ${owner} and status = 'open'), '[]'::json) as open`.execute(
    trx,
  );
  const row = r.rows[0]!;
  return {
    nowMs: Math.round(row.db_now_ms),
    bestBid: row.best_bid === null ? null : new Big(row.best_bid),
    bestAsk: row.best_ask === null ? null : new Big(row.best_ask),
    open: row.open.map((o) => ({
      row: o,
      quote: {
        orderId: o.id,
        side: o.side,
        price: new Big(o.price),
        remaining: new Big(o.quantity).minus(o.filled),
        createdAtMs: Math.round(o.created_ms),
        expiresAtMs: o.expires_ms === null ? null : Math.round(o.expires_ms),
      } satisfies RestingQuote,
    })),
  };
}

/**
 * Brings an owner's resting orders in line with the desired ladder in one transaction, as
 * planQuotes decides: keep what still matches, cancel the rest, place what is missing as post-only
 * (a level that would trade against a resting order is skipped). Client order ids come from the
 * caller's cycle key, so a retry after commit finds its own orders and changes nothing. Kept orders
 * get their expiry renewed. About ten statements whatever the ladder's size: this runs once per
 * cycle for every pool.
 */
export async function reconcileOrders(
  db: Db,
  input: ReconcileInput,
  /** Events about the outcome (e.g. `quotes_updated`), committed in the same transaction. */
  record?: { streamId: string; events: (result: Omit<ReconcileResult, 'resting'>) => NewEvent[] },
): Promise<ReconcileResult> {
  const tolerance = parseDecimal(input.toleranceBps, 'toleranceBps').div(10_000);
  if (!Array.isArray(input.desired))
    throw new DomainValidationError('desired', 'desired must be an array of { side, price, size } levels');
  // Validate every level before touching the book, naming the offending one.
  const levels = input.desired.map((level, i) => {
    if (level?.side !== 'buy' && level?.side !== 'sell') {
      throw new DomainValidationError(`desired[${i}].side`, `desired[${i}].side must be 'buy' or 'sell'`);
    }
    return {
      side: level.side,
      price: parseDecimal(level.price, `desired[${i}].price`, { allowZero: false, maxDecimals: 18 }),
      size: parseDecimal(level.size, `desired[${i}].size`, { allowZero: false, maxDecimals: 18 }),
    };
  });
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    if (input.fence) checkFence(pool, input.fence);
    if (pool.status === 'closed')
      throw new DomainValidationError('poolId', `pool "${pool.id}" is closed and accepts no orders`);
    const book = await bookForReconcile(trx, pool.id, input.owner);
    const plan = planQuotes(
      book.open.map((o) => o.quote),
      levels,
      { tolerance, maxOrderAgeMs: input.maxOrderAgeMs ?? Number.MAX_SAFE_INTEGER, nowMs: book.nowMs },
    );
    const rowOf = new Map(book.open.map((o) => [o.row.id, o.row]));
    const bookEvents: NewEvent[] = [];
    if (plan.cancel.length) {
      const values = plan.cancel.map((c) => sql`(${c.quote.orderId}, ${c.reason})`);
      await sql`update orders set status = 'cancelled', cancel_reason = v.reason, updated_at = now()
                  from (values ${sql.join(values)}) as v(id, reason)
                 where orders.id = v.id and orders.status = 'open'`.execute(trx);
      for (const c of plan.cancel) {
        const o = rowOf.get(c.quote.orderId)!;
        bookEvents.push(
          cancelEvent({ id: o.id, pool_id: pool.id, owner: input.owner }, c.quote.remaining, c.reason),
        );
      }
    }
    if (input.ttlMs !== undefined && plan.keep.length) {
      await trx
        .updateTable('orders')
        .set({ expires_at: expiresIn(input.ttlMs) as never })
        .where(
          'id',
          'in',
          plan.keep.map((q) => q.orderId),
        )
        .execute();
    }
    // Post-only: a level that would trade against anything resting (another owner's live order, or
    // one of the owner's own kept quotes) is skipped, not placed.
    const bestOpposite = (side: Side): Big | null => {
      const own = plan.keep.filter((q) => q.side !== side).map((q) => q.price);
      const other = side === 'buy' ? book.bestAsk : book.bestBid;
      const all = other ? [...own, other] : own;
      if (!all.length) return null;
      return all.reduce((a, b) => (side === 'buy' ? (b.lt(a) ? b : a) : b.gt(a) ? b : a));
    };
    const rules = {
      tickSize: pool.tickSize,
      lotSize: pool.lotSize,
      minSize: pool.minSize,
      maxOrderNotional: new Big(pool.config.risk.maxOrderNotional),
    };
    const toInsert: Array<{ index: number; clientOrderId: string; id: string }> = [];
    let skipped = 0;
    for (const index of plan.place) {
      const level = levels[index]!;
      checkOrderRules({ price: level.price, quantity: level.size }, rules);
      const opposite = bestOpposite(level.side);
      if (opposite && crosses(level.side, level.price, opposite)) {
        skipped++;
        continue;
      }
      toInsert.push({
        index,
        clientOrderId: `${input.cycleKey}/${level.side}/${index}`,
        id: `o_${randomUUID()}`,
      });
    }
    let placed = 0;
    if (toInsert.length) {
      const isPoolOrder = input.owner === poolOwner(pool.id);
      const inserted = await trx
        .insertInto('orders')
        .values(
          toInsert.map((p) => ({
            id: p.id,
            pool_id: pool.id,
            owner: input.owner,
            client_order_id: p.clientOrderId,
            side: levels[p.index]!.side,
            type: 'post_only' as const,
            price: formatDecimal(levels[p.index]!.price),
            quantity: formatDecimal(levels[p.index]!.size),
            status: 'open' as const,
            is_pool_order: isPoolOrder,
            expires_at: input.ttlMs === undefined ? null : (expiresIn(input.ttlMs) as never),
          })),
        )
        .onConflict((oc) => oc.columns(['owner', 'client_order_id']).doNothing())
        .returning('id')
        .execute();
      const stored = new Set(inserted.map((r) => r.id));
      for (const p of toInsert) {
        if (!stored.has(p.id)) continue; // a retry: this cycle's order is already in the book
        placed++;
        const level = levels[p.index]!;
        bookEvents.push({
          eventId: `order/${p.id}/placed`,
          type: 'order_placed',
          payload: {
            orderId: p.id,
            poolId: pool.id,
            owner: input.owner,
            clientOrderId: p.clientOrderId,
            side: level.side,
            type: 'post_only',
            price: formatDecimal(level.price),
            quantity: formatDecimal(level.size),
          },
        });
      }
    }
    await appendInTransaction(trx, orderBookStream(pool.id), bookEvents);
    const outcome = { placed, cancelled: plan.cancel.length, kept: plan.keep.length, skipped };
    if (record) await appendInTransaction(trx, record.streamId, record.events(outcome));
    return {
      ...outcome,
      resting: input.returnResting === false ? [] : await openOrders(trx, pool.id, input.owner),
    };
  });
}

/**
 * Extends the life of an owner's open quotes without changing them: what a quiet cycle writes when
 * its quotes would otherwise expire. One statement; the fence is checked under the pool lock.
 * Returns how many orders were renewed, or null when the fence was lost.
 */
export async function renewQuotes(
  db: Db,
  input: { poolId: string; owner: string; fence: SessionFence; ttlMs: number },
): Promise<number | null> {
  const r = await sql<{ fenced: boolean; renewed: string }>`
    with fence as (
      select id from pools
       where id = ${input.poolId} and mm_generation = ${input.fence.generation} and mm_attempt = ${input.fence.attempt}
       for update
    ), renewed as (
      update orders set expires_at = ${expiresIn(input.ttlMs)}
       where pool_id in (select id from fence) and owner = ${input.owner} and status = 'open'
         and expires_at > clock_timestamp()
       returning 1
    )
    select exists(select 1 from fence) as fenced, (select count(*) from renewed) as renewed`.execute(db);
  const row = r.rows[0]!;
  return row.fenced ? Number(row.renewed) : null;
}

/** An owner's open orders in a pool, by side then price. */
export async function openOrders(db: Executor, poolId: string, owner: string): Promise<OrderView[]> {
  const rows = await db
    .selectFrom('orders')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('owner', '=', owner)
    .where('status', '=', 'open')
    .orderBy('side')
    .orderBy('price')
    .execute();
  return rows.map(view);
}

/** Resting orders of the pool's own market maker: zero after every graceful stop. */
export async function countOpenPoolOrders(db: Executor, poolId: string): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select(sql<string>`count(*)`.as('n'))
    .where('pool_id', '=', poolId)
    .where('owner', '=', poolOwner(poolId))
    .where('status', '=', 'open')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface BookSide {
  price: string;
  quantity: string;
}

/** Best prices and depth per side, excluding one owner (the market maker asks about everyone else). */
export async function bookTop(
  db: Db,
  poolId: string,
  excludeOwner?: string,
): Promise<{ bestBid?: string; bestAsk?: string }> {
  const best = async (side: Side) => {
    let q = db
      .selectFrom('orders')
      .select('price')
      .where('pool_id', '=', poolId)
      .where('side', '=', side)
      .where('status', '=', 'open')
      .where(notExpired);
    if (excludeOwner) q = q.where('owner', '!=', excludeOwner);
    const row = await q
      .orderBy('price', side === 'buy' ? 'desc' : 'asc')
      .limit(1)
      .executeTakeFirst();
    return row ? formatDecimal(new Big(row.price)) : undefined;
  };
  const [bestBid, bestAsk] = await Promise.all([best('buy'), best('sell')]);
  return { bestBid, bestAsk };
}
