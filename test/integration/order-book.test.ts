import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ConflictError } from '../../db/errors';
import { readStream } from '../../db/event-store';
import {
  bookTop,
  cancelAllOrders,
  cancelOrder,
  PostOnlyWouldCrossError,
  reconcileOrders,
  submitOrder,
  type SubmitResult,
} from '../../db/order-book';
import { getPool } from '../../db/pools';
import { DomainValidationError } from '../../domain/errors';
import { Big, formatDecimal } from '../../domain/money';
import type { OrderType, Side } from '../../domain/orders';
import { orderBookStream, poolOwner, poolStream } from '../../domain/streams';
import { bestPrices, createFundedPool, ladder, rowCounts, tradeDeltas } from '../helpers/pools';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let t: TestDatabase;
let seq = 0;
const cid = (prefix = 'c') => `${prefix}-${++seq}`;

interface OrderArgs {
  owner: string;
  side: Side;
  price: string;
  quantity: string;
  type?: OrderType;
  clientOrderId?: string;
}
const submit = (poolId: string, o: OrderArgs): Promise<SubmitResult> =>
  submitOrder(t.db, { poolId, type: 'limit', clientOrderId: cid(o.owner), ...o });

const orderRow = (id: string) =>
  t.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const openOrders = (poolId: string) =>
  t.db
    .selectFrom('orders')
    .selectAll()
    .where('pool_id', '=', poolId)
    .where('status', '=', 'open')
    .orderBy('seq')
    .execute();
const tradesOf = (poolId: string) =>
  t.db.selectFrom('trades').selectAll().where('pool_id', '=', poolId).orderBy('seq').execute();

beforeAll(async () => {
  t = await createTestDatabase({ maxConnections: 20 });
});
afterAll(() => t.drop());

describe('matching', () => {
  it('fills the better price first, then the earlier order at the same price', async () => {
    const pool = await createFundedPool(t.db);
    const a = await submit(pool.id, { owner: 'alice', side: 'sell', price: '2001', quantity: '1' });
    const b = await submit(pool.id, { owner: 'bob', side: 'sell', price: '2000.5', quantity: '1' });
    const c = await submit(pool.id, { owner: 'carol', side: 'sell', price: '2000.5', quantity: '1' });
    const d = await submit(pool.id, { owner: 'dave', side: 'sell', price: '2000', quantity: '1' });
    // A bid below every ask does not trade.
    await submit(pool.id, { owner: 'erin', side: 'buy', price: '1999.99', quantity: '1' });

    const taker = await submit(pool.id, { owner: 'taker', side: 'buy', price: '2001', quantity: '3.5' });
    expect(taker.fills.map((f) => [f.makerOrderId, f.price, f.quantity])).toEqual([
      [d.order.orderId, '2000', '1'],
      [b.order.orderId, '2000.5', '1'],
      [c.order.orderId, '2000.5', '1'],
      [a.order.orderId, '2001', '0.5'],
    ]);
    expect(taker.order).toMatchObject({ status: 'filled', filledQuantity: '3.5', quantity: '3.5' });
    expect(taker.replayed).toBe(false);

    // The trades table says the same, in the same order, at the makers' prices.
    const trades = await tradesOf(pool.id);
    expect(
      trades.map((tr) => [
        tr.maker_owner,
        tr.taker_owner,
        tr.taker_side,
        formatDecimal(new Big(tr.price)),
        formatDecimal(new Big(tr.quantity)),
      ]),
    ).toEqual([
      ['dave', 'taker', 'buy', '2000', '1'],
      ['bob', 'taker', 'buy', '2000.5', '1'],
      ['carol', 'taker', 'buy', '2000.5', '1'],
      ['alice', 'taker', 'buy', '2001', '0.5'],
    ]);
    expect(await bookTop(t.db, pool.id)).toEqual({ bestBid: '1999.99', bestAsk: '2001' });
  });

  it('a sell taker walks the bids from the highest down', async () => {
    const pool = await createFundedPool(t.db);
    const low = await submit(pool.id, { owner: 'alice', side: 'buy', price: '1998', quantity: '1' });
    const high = await submit(pool.id, { owner: 'bob', side: 'buy', price: '1999', quantity: '1' });
    const r = await submit(pool.id, {
      owner: 'taker',
      side: 'sell',
      price: '1998',
      quantity: '1.5',
      type: 'ioc',
    });
    expect(r.fills.map((f) => [f.makerOrderId, f.price, f.quantity])).toEqual([
      [high.order.orderId, '1999', '1'],
      [low.order.orderId, '1998', '0.5'],
    ]);
  });

  it('a large taker walks a deep book level by level, beyond one read batch', async () => {
    const pool = await createFundedPool(t.db);
    // 45 asks one tick apart, placed in scrambled price order, plus a second order at the best price.
    const ticks = Array.from({ length: 45 }, (_, i) => (i * 17) % 45);
    for (const i of ticks)
      await submit(pool.id, {
        owner: `m${i % 3}`,
        side: 'sell',
        price: formatDecimal(new Big('2000').plus(new Big(i).times('0.01'))),
        quantity: '0.01',
      });
    const late = await submit(pool.id, { owner: 'late', side: 'sell', price: '2000', quantity: '0.01' });
    const r = await submit(pool.id, { owner: 'taker', side: 'buy', price: '2000.5', quantity: '0.45' });
    expect(r.fills).toHaveLength(45);
    expect(r.fills.map((f) => f.price)).toEqual([
      '2000',
      ...Array.from({ length: 44 }, (_, i) => formatDecimal(new Big('2000').plus(new Big(i).times('0.01')))),
    ]);
    expect(r.fills[1]!.makerOrderId).toBe(late.order.orderId);
    expect(r.order).toMatchObject({ status: 'filled', filledQuantity: '0.45' });
    expect(await bookTop(t.db, pool.id)).toEqual({ bestBid: undefined, bestAsk: '2000.44' });
  });

  it('a partial fill leaves the maker open with the filled quantity recorded', async () => {
    const pool = await createFundedPool(t.db);
    const maker = await submit(pool.id, { owner: 'alice', side: 'sell', price: '2000', quantity: '2.5' });
    const taker = await submit(pool.id, { owner: 'bob', side: 'buy', price: '2000', quantity: '0.75' });
    expect(taker.order).toMatchObject({ status: 'filled', filledQuantity: '0.75' });
    const m = await orderRow(maker.order.orderId);
    expect(m.status).toBe('open');
    expect(formatDecimal(new Big(m.filled_quantity))).toBe('0.75');
    expect(formatDecimal(new Big(m.quantity))).toBe('2.5');

    // A limit taker larger than the book rests its remainder, with what it did fill recorded.
    const big = await submit(pool.id, { owner: 'carol', side: 'buy', price: '2000', quantity: '3' });
    expect(big.fills.map((f) => f.quantity)).toEqual(['1.75']);
    expect(big.order).toMatchObject({ status: 'open', filledQuantity: '1.75', quantity: '3' });
    expect((await orderRow(maker.order.orderId)).status).toBe('filled');
    expect(await bookTop(t.db, pool.id)).toEqual({ bestBid: '2000', bestAsk: undefined });
  });

  it('an IOC remainder is cancelled with reason ioc_remainder and never rests', async () => {
    const pool = await createFundedPool(t.db);
    await submit(pool.id, { owner: 'alice', side: 'sell', price: '2000', quantity: '1' });
    const r = await submit(pool.id, {
      owner: 'bob',
      side: 'buy',
      price: '2000',
      quantity: '1.5',
      type: 'ioc',
    });
    expect(r.fills.map((f) => f.quantity)).toEqual(['1']);
    expect(r.order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'ioc_remainder',
      filledQuantity: '1',
      quantity: '1.5',
    });
    const cancelled = (await readStream(t.db, orderBookStream(pool.id), 0, 1000, ['order_cancelled'])).filter(
      (e) => e.payload.orderId === r.order.orderId,
    );
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.payload).toMatchObject({
      reason: 'ioc_remainder',
      remainingQuantity: '0.5',
      owner: 'bob',
    });
    expect(await bookTop(t.db, pool.id)).toEqual({ bestBid: undefined, bestAsk: undefined });

    // An IOC that finds nothing is cancelled whole.
    const none = await submit(pool.id, {
      owner: 'bob',
      side: 'buy',
      price: '1990',
      quantity: '1',
      type: 'ioc',
    });
    expect(none.fills).toEqual([]);
    expect(none.order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'ioc_remainder',
      filledQuantity: '0',
    });
    expect(await openOrders(pool.id)).toEqual([]);
  });

  it('refuses a post-only order that would cross, writing nothing; one that does not cross rests', async () => {
    const pool = await createFundedPool(t.db);
    await submit(pool.id, { owner: 'alice', side: 'sell', price: '2000', quantity: '1' });
    const before = await rowCounts(t.db);
    const p = submit(pool.id, {
      owner: 'bob',
      side: 'buy',
      price: '2000',
      quantity: '1',
      type: 'post_only',
      clientOrderId: 'po-1',
    });
    await expect(p).rejects.toBeInstanceOf(PostOnlyWouldCrossError);
    await expect(p).rejects.toThrow(
      /price.*post-only buy at 2000 would trade against the resting order at 2000/,
    );
    expect(await rowCounts(t.db)).toEqual(before);
    expect(
      await t.db.selectFrom('orders').select('id').where('client_order_id', '=', 'po-1').execute(),
    ).toEqual([]);

    const ok = await submit(pool.id, {
      owner: 'bob',
      side: 'buy',
      price: '1999.99',
      quantity: '1',
      type: 'post_only',
    });
    expect(ok.order).toMatchObject({ status: 'open', type: 'post_only', filledQuantity: '0' });
    expect(ok.fills).toEqual([]);
  });

  it('prevents self-trades by cancelling the resting order of the same owner', async () => {
    const pool = await createFundedPool(t.db);
    const own = await submit(pool.id, { owner: 'alice', side: 'sell', price: '2000', quantity: '1' });
    const other = await submit(pool.id, { owner: 'bob', side: 'sell', price: '2000.5', quantity: '1' });
    const r = await submit(pool.id, { owner: 'alice', side: 'buy', price: '2001', quantity: '2' });

    expect(r.fills.map((f) => [f.makerOrderId, f.quantity])).toEqual([[other.order.orderId, '1']]);
    expect(r.order).toMatchObject({ status: 'open', filledQuantity: '1' });
    const ownRow = await orderRow(own.order.orderId);
    expect([ownRow.status, ownRow.cancel_reason, formatDecimal(new Big(ownRow.filled_quantity))]).toEqual([
      'cancelled',
      'self_trade_prevention',
      '0',
    ]);
    const trades = await tradesOf(pool.id);
    expect(trades.some((tr) => tr.maker_owner === tr.taker_owner)).toBe(false);
    const stp = (await readStream(t.db, orderBookStream(pool.id), 0, 1000, ['order_cancelled'])).map(
      (e) => e.payload,
    );
    expect(stp).toEqual([
      expect.objectContaining({
        orderId: own.order.orderId,
        reason: 'self_trade_prevention',
        remainingQuantity: '1',
      }),
    ]);
  });

  it('cancels by order id or client order id; a repeated cancel changes nothing', async () => {
    const pool = await createFundedPool(t.db);
    const o = await submit(pool.id, {
      owner: 'alice',
      side: 'buy',
      price: '1990',
      quantity: '1',
      clientOrderId: 'keep-me',
    });
    const first = await cancelOrder(t.db, { poolId: pool.id, owner: 'alice', orderId: o.order.orderId });
    expect(first).toMatchObject({
      status: 'cancelled',
      cancelReason: 'cancelled_by_owner',
      orderId: o.order.orderId,
    });
    const after = await rowCounts(t.db);
    const again = await cancelOrder(t.db, {
      poolId: pool.id,
      owner: 'alice',
      clientOrderId: 'keep-me',
      reason: 'other',
    });
    expect(again).toMatchObject({ status: 'cancelled', cancelReason: 'cancelled_by_owner' });
    expect(await rowCounts(t.db)).toEqual(after);
    const events = await readStream(t.db, orderBookStream(pool.id), 0, 1000, ['order_cancelled']);
    expect(events.map((e) => [e.payload.orderId, e.payload.reason, e.payload.remainingQuantity])).toEqual([
      [o.order.orderId, 'cancelled_by_owner', '1'],
    ]);

    // Someone else cannot cancel it, and an order that does not exist is reported as such.
    const o2 = await submit(pool.id, { owner: 'alice', side: 'buy', price: '1990', quantity: '1' });
    await expect(
      cancelOrder(t.db, { poolId: pool.id, owner: 'mallory', orderId: o2.order.orderId }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await orderRow(o2.order.orderId)).status).toBe('open');
    await expect(cancelOrder(t.db, { poolId: pool.id, owner: 'alice' })).rejects.toThrow(/orderId/);

    // A filled order is returned unchanged.
    await submit(pool.id, { owner: 'bob', side: 'sell', price: '1990', quantity: '1' });
    const filled = await cancelOrder(t.db, { poolId: pool.id, owner: 'alice', orderId: o2.order.orderId });
    expect(filled).toMatchObject({ status: 'filled', filledQuantity: '1', cancelReason: null });
  });

  it('cancelAllOrders cancels every open order of one owner once', async () => {
    const pool = await createFundedPool(t.db);
    for (const price of ['1990', '1991', '1992'])
      await submit(pool.id, { owner: 'alice', side: 'buy', price, quantity: '1' });
    const bobs = await submit(pool.id, { owner: 'bob', side: 'buy', price: '1990', quantity: '1' });
    expect(await cancelAllOrders(t.db, { poolId: pool.id, owner: 'alice', reason: 'risk_stop' })).toBe(3);
    expect(await cancelAllOrders(t.db, { poolId: pool.id, owner: 'alice', reason: 'risk_stop' })).toBe(0);
    expect((await openOrders(pool.id)).map((o) => o.id)).toEqual([bobs.order.orderId]);
    const events = await readStream(t.db, orderBookStream(pool.id), 0, 1000, ['order_cancelled']);
    expect(events.map((e) => [e.payload.owner, e.payload.reason])).toEqual([
      ['alice', 'risk_stop'],
      ['alice', 'risk_stop'],
      ['alice', 'risk_stop'],
    ]);
  });
});

describe('the pool as a participant', () => {
  it('a fill against the pool ladder moves its reserves exactly, with the events in their streams', async () => {
    const pool = await createFundedPool(t.db, { base: '10', quote: '20000' });
    const owner = poolOwner(pool.id);
    const rec = await reconcileOrders(t.db, {
      poolId: pool.id,
      owner,
      cycleKey: 'cycle-1',
      desired: ladder('2000', { levels: 2, size: '1' }),
      toleranceBps: '2',
    });
    expect(rec).toMatchObject({ placed: 4, cancelled: 0, kept: 0, skipped: 0 });
    expect(rec.resting.map((o) => [o.side, o.price])).toEqual([
      ['buy', '1996'],
      ['buy', '1998'],
      ['sell', '2002'],
      ['sell', '2004'],
    ]);
    const placed = await readStream(t.db, orderBookStream(pool.id), 0, 1000, ['order_placed']);
    expect(placed.map((e) => e.payload.owner)).toEqual([owner, owner, owner, owner]);

    // A trader lifts 1.5 ETH: 1 at 2002 and 0.5 at 2004 from the pool.
    const buy = await submit(pool.id, {
      owner: 'alice',
      side: 'buy',
      price: '2004',
      quantity: '1.5',
      type: 'ioc',
    });
    expect(buy.fills.map((f) => [f.price, f.quantity, f.makerIsPool, f.makerOwner])).toEqual([
      ['2002', '1', true, owner],
      ['2004', '0.5', true, owner],
    ]);
    let p = await getPool(t.db, pool.id);
    expect(formatDecimal(p.reserveBase)).toBe('8.5'); // 10 - 1.5
    expect(formatDecimal(p.reserveQuote)).toBe('23004'); // 20000 + 2002 + 1002

    // A trader hits the pool's bid: the pool pays quote and receives base.
    const sell = await submit(pool.id, { owner: 'bob', side: 'sell', price: '1998', quantity: '0.25' });
    expect(sell.fills.map((f) => [f.price, f.quantity])).toEqual([['1998', '0.25']]);
    p = await getPool(t.db, pool.id);
    expect(formatDecimal(p.reserveBase)).toBe('8.75');
    expect(formatDecimal(p.reserveQuote)).toBe('22504.5'); // 23004 - 499.5

    const executed = await readStream(t.db, poolStream(pool.id), 0, 1000, ['order_executed']);
    expect(
      executed.map((e) => [
        e.payload.takerOwner,
        e.payload.price,
        e.payload.quantity,
        e.payload.quoteAmount,
        e.payload.reserveBase,
        e.payload.reserveQuote,
      ]),
    ).toEqual([
      ['alice', '2002', '1', '2002', '9', '22002'],
      ['alice', '2004', '0.5', '1002', '8.5', '23004'],
      ['bob', '1998', '0.25', '499.5', '8.75', '22504.5'],
    ]);
    // Nothing about the trade lands in the order-book stream, and nothing about order churn in the pool stream.
    expect((await readStream(t.db, orderBookStream(pool.id))).some((e) => e.type === 'order_executed')).toBe(
      false,
    );
    expect((await readStream(t.db, poolStream(pool.id))).map((e) => e.type)).toEqual([
      'pool_created',
      'liquidity_added',
      'order_executed',
      'order_executed',
      'order_executed',
    ]);
  });

  it('the pool never sells more than it holds: the unbacked rest of its order is cancelled', async () => {
    const pool = await createFundedPool(t.db, { base: '0.5', quote: '1000' });
    const owner = poolOwner(pool.id);
    await reconcileOrders(t.db, {
      poolId: pool.id,
      owner,
      cycleKey: 'c1',
      desired: [{ side: 'sell', price: '2002', size: '2' }],
      toleranceBps: '2',
    });
    await submit(pool.id, { owner: 'bob', side: 'sell', price: '2003', quantity: '1' });
    const r = await submit(pool.id, { owner: 'alice', side: 'buy', price: '2003', quantity: '1.5' });
    expect(r.fills.map((f) => [f.makerOwner, f.price, f.quantity])).toEqual([
      [owner, '2002', '0.5'],
      ['bob', '2003', '1'],
    ]);
    const p = await getPool(t.db, pool.id);
    expect([formatDecimal(p.reserveBase), formatDecimal(p.reserveQuote)]).toEqual(['0', '2001']);
    const poolOrder = await t.db
      .selectFrom('orders')
      .selectAll()
      .where('owner', '=', owner)
      .executeTakeFirstOrThrow();
    expect([poolOrder.status, poolOrder.cancel_reason]).toEqual(['cancelled', 'insufficient_reserve']);
  });

  it("the pool's own taker order settles against its reserves and never overdraws them", async () => {
    const pool = await createFundedPool(t.db, { base: '1', quote: '3000' });
    const owner = poolOwner(pool.id);
    await submit(pool.id, { owner: 'alice', side: 'sell', price: '2000', quantity: '1' });
    await submit(pool.id, { owner: 'bob', side: 'sell', price: '2000', quantity: '1' });
    // The pool can pay for 1.5 ETH at most (3000 USDC); it asks for 2.
    const r = await submit(pool.id, { owner, side: 'buy', price: '2000', quantity: '2', type: 'ioc' });
    expect(r.fills.map((f) => [f.makerOwner, f.quantity])).toEqual([
      ['alice', '1'],
      ['bob', '0.5'],
    ]);
    expect(r.order).toMatchObject({ status: 'cancelled', filledQuantity: '1.5' });
    const p = await getPool(t.db, pool.id);
    expect([formatDecimal(p.reserveBase), formatDecimal(p.reserveQuote)]).toEqual(['2.5', '0']);
    const executed = await readStream(t.db, poolStream(pool.id), 0, 1000, ['order_executed']);
    expect(
      executed.map((e) => [e.payload.takerOwner, e.payload.reserveBase, e.payload.reserveQuote]),
    ).toEqual([
      [owner, '2', '1000'],
      [owner, '2.5', '0'],
    ]);
  });
});

describe('idempotency', () => {
  it('a repeated submission returns the stored outcome and writes nothing more', async () => {
    const pool = await createFundedPool(t.db);
    await submit(pool.id, { owner: 'alice', side: 'sell', price: '2000', quantity: '1' });
    const req = {
      poolId: pool.id,
      owner: 'bob',
      clientOrderId: 'bob-1',
      side: 'buy',
      type: 'limit',
      price: '2000',
      quantity: '1.5',
    };
    const first = await submitOrder(t.db, req);
    const afterFirst = await rowCounts(t.db);
    const again = await submitOrder(t.db, { ...req });
    expect(again.replayed).toBe(true);
    expect(again.order).toEqual(first.order);
    expect(again.fills).toEqual(first.fills);
    expect(await rowCounts(t.db)).toEqual(afterFirst);

    // Same client order id, other terms: a conflict, and still nothing written.
    await expect(submitOrder(t.db, { ...req, quantity: '2' })).rejects.toBeInstanceOf(ConflictError);
    await expect(submitOrder(t.db, { ...req, side: 'sell' })).rejects.toThrow(/bob-1.*different order/);
    expect(await rowCounts(t.db)).toEqual(afterFirst);
    // The same client order id for another owner is a different order.
    const carol = await submitOrder(t.db, { ...req, owner: 'carol' });
    expect(carol.replayed).toBe(false);
  });

  it('concurrent retries of one order produce one order, one outcome, one set of events', async () => {
    const pool = await createFundedPool(t.db);
    await submit(pool.id, { owner: 'alice', side: 'sell', price: '2000', quantity: '1' });
    const before = await rowCounts(t.db);
    const req = {
      poolId: pool.id,
      owner: 'bob',
      clientOrderId: 'storm-1',
      side: 'buy',
      type: 'ioc',
      price: '2000',
      quantity: '0.4',
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => submitOrder(t.db, { ...req })));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    for (const r of results)
      expect({ order: r.order, fills: r.fills }).toEqual({
        order: results[0]!.order,
        fills: results[0]!.fills,
      });
    // One order row, one trade, and order_placed + order_executed.
    expect(await rowCounts(t.db)).toEqual({
      orders: before.orders + 1,
      trades: before.trades + 1,
      events: before.events + 2,
    });
  });

  it('reconcileOrders run twice with the same input leaves the same rows and events', async () => {
    const pool = await createFundedPool(t.db);
    const input = {
      poolId: pool.id,
      owner: poolOwner(pool.id),
      cycleKey: 'wf-1/cycle-7',
      desired: ladder('2000', { levels: 3 }),
      toleranceBps: '2',
    };
    const snapshot = async () => ({
      counts: await rowCounts(t.db),
      orders: await t.db
        .selectFrom('orders')
        .select(['id', 'client_order_id', 'side', 'price', 'quantity', 'status'])
        .where('pool_id', '=', pool.id)
        .orderBy('seq')
        .execute(),
      events: (await readStream(t.db, orderBookStream(pool.id))).map((e) => e.eventId),
    });
    const first = await reconcileOrders(t.db, input);
    expect(first).toMatchObject({ placed: 6, kept: 0, cancelled: 0 });
    const s1 = await snapshot();
    const second = await reconcileOrders(t.db, input);
    expect(second).toMatchObject({ placed: 0, kept: 6, cancelled: 0 });
    expect(second.resting).toEqual(first.resting);
    expect(await snapshot()).toEqual(s1);

    // A new cycle with a moved mid cancels what is stale and places the rest.
    const third = await reconcileOrders(t.db, {
      ...input,
      cycleKey: 'wf-1/cycle-8',
      desired: ladder('2010', { levels: 3 }),
    });
    expect(third).toMatchObject({ placed: 6, cancelled: 6, kept: 0 });
    const top = await bookTop(t.db, pool.id);
    expect(new Big(top.bestBid!).lt(top.bestAsk!)).toBe(true);
  });
});

describe('bad input gets a clear error and writes nothing', () => {
  let poolId: string;
  beforeAll(async () => {
    const pool = await createFundedPool(t.db, { config: { risk: { maxOrderNotional: '50000' } } });
    poolId = pool.id;
    await submit(poolId, { owner: 'alice', side: 'sell', price: '2000', quantity: '1' });
  });
  const good = () => ({
    poolId,
    owner: 'bob',
    clientOrderId: cid('bad'),
    side: 'buy',
    type: 'limit',
    price: '2000',
    quantity: '1',
  });

  const cases: Array<[string, (g: ReturnType<typeof good>) => unknown, RegExp]> = [
    ['unknown pool', (g) => ({ ...g, poolId: 'no-such-pool' }), /Pool "no-such-pool" does not exist/],
    ['zero quantity', (g) => ({ ...g, quantity: '0' }), /^quantity must not be zero/],
    ['negative quantity', (g) => ({ ...g, quantity: '-1' }), /^quantity must not be negative/],
    ['negative price', (g) => ({ ...g, price: '-2000' }), /^price must not be negative/],
    [
      'price off the tick',
      (g) => ({ ...g, price: '2000.005' }),
      /^price 2000.005 is not on the pool's tick grid of 0.01/,
    ],
    [
      'quantity off the lot',
      (g) => ({ ...g, quantity: '1.0005' }),
      /^quantity 1.0005 is not a multiple of the pool's lot size 0.001/,
    ],
    [
      'below the minimum size',
      (g) => ({ ...g, quantity: '0.005' }),
      /^quantity 0.005 is below the pool's minimum size 0.01/,
    ],
    [
      'oversized',
      (g) => ({ ...g, quantity: '25.001' }),
      /^quantity: order notional 50002 exceeds the pool's maximum order notional 50000/,
    ],
    ['"abc" price', (g) => ({ ...g, price: 'abc' }), /^price must be a positive decimal string.*got "abc"/],
    ['"1e3" quantity', (g) => ({ ...g, quantity: '1e3' }), /^quantity must be .*no exponent.*got "1e3"/],
    ['empty price', (g) => ({ ...g, price: '' }), /^price must be .*got an empty string/],
    ['" 1" quantity', (g) => ({ ...g, quantity: ' 1' }), /^quantity must be .*no spaces.*got " 1"/],
    [
      'number price',
      (g) => ({ ...g, price: 2000 }),
      /^price must be a positive decimal string.*got number 2000/,
    ],
    ['number quantity', (g) => ({ ...g, quantity: 1 }), /^quantity must be .*got number 1/],
    ['unknown field', (g) => ({ ...g, leverage: '10' }), /^leverage is not a known order field/],
    ['bad side', (g) => ({ ...g, side: 'hold' }), /^side must be 'buy' or 'sell'/],
    ['bad type', (g) => ({ ...g, type: 'market' }), /^type must be 'limit', 'ioc' or 'post_only'/],
    ['missing owner', (g) => ({ ...g, owner: undefined }), /^owner must be a string owner id/],
    ['not an object', () => '{"side":"buy"}', /^order must be a JSON object/],
  ];

  it.each(cases)('%s', async (_name, make, message) => {
    const before = await rowCounts(t.db);
    const input = make(good());
    const p = submitOrder(t.db, input);
    await expect(p).rejects.toThrow(message);
    if (!/unknown pool/.test(_name)) await expect(p).rejects.toBeInstanceOf(DomainValidationError);
    else await expect(p).rejects.toBeInstanceOf(NotFoundError);
    expect(await rowCounts(t.db)).toEqual(before);
  });

  it('reconcileOrders refuses a malformed ladder level by name and writes nothing', async () => {
    const before = await rowCounts(t.db);
    const owner = poolOwner(poolId);
    await expect(
      reconcileOrders(t.db, {
        poolId,
        owner,
        cycleKey: 'bad-1',
        desired: [{ side: 'buy', price: 'abc', size: '1' }],
        toleranceBps: '2',
      }),
    ).rejects.toThrow(/desired\[0\]\.price/);
    await expect(
      reconcileOrders(t.db, {
        poolId,
        owner,
        cycleKey: 'bad-2',
        desired: [
          { side: 'buy', price: '1990', size: '1' },
          { side: 'sell', price: '2010.001', size: '1' },
        ],
        toleranceBps: '2',
      }),
    ).rejects.toThrow(/price 2010.001 is not on the pool's tick grid/);
    await expect(
      reconcileOrders(t.db, {
        poolId,
        owner,
        cycleKey: 'bad-3',
        desired: [{ side: 'buy', price: '1990', size: '1' }],
        toleranceBps: 'x',
      }),
    ).rejects.toThrow(/toleranceBps/);
    expect(await rowCounts(t.db)).toEqual(before);
  });
});

describe('invariants under random order flow', () => {
  type Op =
    | { kind: 'order'; trader: number; side: Side; type: OrderType; ticks: number; lots: number }
    | { kind: 'requote'; midTicks: number; size: number }
    | { kind: 'cancel'; trader: number };

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('order' as const),
        trader: fc.integer({ min: 0, max: 2 }),
        side: fc.constantFrom<Side>('buy', 'sell'),
        type: fc.constantFrom<OrderType>('limit', 'limit', 'ioc', 'post_only'),
        // Prices 2000 +/- 6 in steps of 0.25 (25 ticks); quantities on the lot grid, mostly small
        // resting sizes with the odd large taker that walks several levels.
        ticks: fc.integer({ min: -24, max: 24 }),
        lots: fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 10, max: 800 }) },
          { weight: 1, arbitrary: fc.integer({ min: 1500, max: 6000 }) },
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('requote' as const),
        midTicks: fc.integer({ min: -40, max: 40 }),
        size: fc.integer({ min: 1, max: 4 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('cancel' as const), trader: fc.integer({ min: 0, max: 2 }) }),
    },
  );
  const traders = ['t0', 't1', 't2'];

  it('the book never crosses, reserves never go negative, base and quote are conserved exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 20, maxLength: 60, size: 'max' }),
        fc.constantFrom(['2', '4000'], ['50', '100000']),
        async (ops, [base, quote]) => {
          const pool = await createFundedPool(t.db, { base, quote });
          const owner = poolOwner(pool.id);
          const start = await getPool(t.db, pool.id);
          let cycle = 0;
          for (const op of ops) {
            if (op.kind === 'order') {
              const price = formatDecimal(new Big('2000').plus(new Big(op.ticks).times('0.25')));
              const quantity = formatDecimal(new Big(op.lots).times('0.001'));
              try {
                const r = await submit(pool.id, {
                  owner: traders[op.trader]!,
                  side: op.side,
                  type: op.type,
                  price,
                  quantity,
                });
                // Every fill is at the maker's price and no worse than the taker's limit.
                for (const f of r.fills)
                  expect(op.side === 'buy' ? new Big(f.price).lte(price) : new Big(f.price).gte(price)).toBe(
                    true,
                  );
              } catch (err) {
                if (!(err instanceof PostOnlyWouldCrossError)) throw err;
              }
            } else if (op.kind === 'requote') {
              const mid = formatDecimal(new Big('2000').plus(new Big(op.midTicks).times('0.1')));
              await reconcileOrders(t.db, {
                poolId: pool.id,
                owner,
                cycleKey: `cycle-${++cycle}`,
                desired: ladder(mid, { levels: 3, stepBps: '5', size: String(op.size * 0.5) }),
                toleranceBps: '2',
              });
            } else {
              const mine = (await openOrders(pool.id)).filter((o) => o.owner === traders[op.trader]);
              if (mine[0])
                await cancelOrder(t.db, { poolId: pool.id, owner: traders[op.trader]!, orderId: mine[0].id });
            }
            const best = await bestPrices(t.db, pool.id);
            if (best.bid && best.ask)
              expect(best.bid.lt(best.ask), `book crossed: bid ${best.bid} >= ask ${best.ask}`).toBe(true);
            const p = await getPool(t.db, pool.id);
            expect(p.reserveBase.gte(0) && p.reserveQuote.gte(0)).toBe(true);
          }

          const end = await getPool(t.db, pool.id);
          const deltas = await tradeDeltas(t.db, pool.id);
          const poolBase = end.reserveBase.minus(start.reserveBase);
          const poolQuote = end.reserveQuote.minus(start.reserveQuote);
          let sumBase = poolBase;
          let sumQuote = poolQuote;
          for (const [who, d] of deltas) {
            if (who === owner) continue;
            sumBase = sumBase.plus(d.base);
            sumQuote = sumQuote.plus(d.quote);
          }
          expect(formatDecimal(sumBase)).toBe('0');
          expect(formatDecimal(sumQuote)).toBe('0');
          const poolSide = deltas.get(owner) ?? { base: new Big(0), quote: new Big(0) };
          expect([formatDecimal(poolBase), formatDecimal(poolQuote)]).toEqual([
            formatDecimal(poolSide.base),
            formatDecimal(poolSide.quote),
          ]);

          // Every order's filled quantity is the sum of its trades, on either side.
          const filledByTrades = new Map<string, Big>();
          for (const tr of await tradesOf(pool.id)) {
            for (const id of [tr.maker_order_id, tr.taker_order_id])
              filledByTrades.set(id, (filledByTrades.get(id) ?? new Big(0)).plus(tr.quantity));
          }
          const orders = await t.db.selectFrom('orders').selectAll().where('pool_id', '=', pool.id).execute();
          for (const o of orders) {
            expect(formatDecimal(new Big(o.filled_quantity)), `order ${o.id}`).toBe(
              formatDecimal(filledByTrades.get(o.id) ?? new Big(0)),
            );
            if (o.status === 'filled') expect(new Big(o.filled_quantity).eq(o.quantity)).toBe(true);
          }
          // Nobody ever traded with themselves.
          expect((await tradesOf(pool.id)).filter((tr) => tr.maker_owner === tr.taker_owner)).toEqual([]);
          // One order_executed per trade, in trade order.
          const executed = await readStream(t.db, poolStream(pool.id), 0, 10_000, ['order_executed']);
          expect(executed.map((e) => e.payload.tradeId)).toEqual(
            (await tradesOf(pool.id)).map((tr) => tr.id),
          );
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('concurrency', () => {
  it('8 concurrent takers against the pool ladder lose no reserve update and keep the pool stream contiguous', async () => {
    const pool = await createFundedPool(t.db, { base: '20', quote: '40000' });
    const owner = poolOwner(pool.id);
    const start = await getPool(t.db, pool.id);
    const rounds = 6;
    const takers = 8;
    for (let round = 0; round < rounds; round++) {
      const mid = formatDecimal(new Big('2000').plus(round % 2 === 0 ? round : -round));
      const desired = ladder(mid, { levels: 4, stepBps: '5', size: '0.8' });
      await reconcileOrders(t.db, {
        poolId: pool.id,
        owner,
        cycleKey: `round-${round}`,
        desired,
        toleranceBps: '2',
      });
      const results = await Promise.allSettled([
        // A requote racing the takers, as the market maker would after a fill.
        reconcileOrders(t.db, {
          poolId: pool.id,
          owner,
          cycleKey: `round-${round}-refresh`,
          desired,
          toleranceBps: '2',
        }),
        ...Array.from({ length: takers }, (_, k) => {
          const side: Side = (k + round) % 2 === 0 ? 'buy' : 'sell';
          return submit(pool.id, {
            owner: `taker-${k}`,
            side,
            type: k % 3 === 0 ? 'limit' : 'ioc',
            price: side === 'buy' ? '2012' : '1988',
            quantity: formatDecimal(new Big('0.35').plus(new Big(k).times('0.111'))),
          });
        }),
      ]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
      // Takers' resting leftovers would keep the pool from requoting; clear them between rounds.
      for (let k = 0; k < takers; k++)
        await cancelAllOrders(t.db, { poolId: pool.id, owner: `taker-${k}`, reason: 'round_over' });
    }

    const end = await getPool(t.db, pool.id);
    expect(end.reserveBase.gte(0) && end.reserveQuote.gte(0)).toBe(true);
    const poolSide = (await tradeDeltas(t.db, pool.id)).get(owner)!;
    const trades = await tradesOf(pool.id);
    expect(trades.filter((tr) => tr.maker_is_pool).length).toBeGreaterThan(rounds);
    expect(formatDecimal(end.reserveBase)).toBe(formatDecimal(start.reserveBase.plus(poolSide.base)));
    expect(formatDecimal(end.reserveQuote)).toBe(formatDecimal(start.reserveQuote.plus(poolSide.quote)));

    const stream = await readStream(t.db, poolStream(pool.id), 0, 100_000);
    expect(stream.map((e) => e.streamVersion)).toEqual(stream.map((_, i) => i + 1));
    const executed = stream.filter((e) => e.type === 'order_executed');
    expect(executed.map((e) => e.payload.tradeId)).toEqual(trades.map((tr) => tr.id));
    // Each event's reserves are the running reserves after its trade: a lost update would break the chain.
    let base = start.reserveBase;
    let quote = start.reserveQuote;
    for (const tr of trades) {
      if (!tr.maker_is_pool) continue;
      const q = new Big(tr.quantity);
      const v = new Big(tr.price).times(q);
      base = tr.taker_side === 'buy' ? base.minus(q) : base.plus(q);
      quote = tr.taker_side === 'buy' ? quote.plus(v) : quote.minus(v);
      const e = executed.find((x) => x.payload.tradeId === tr.id)!;
      expect([e.payload.reserveBase, e.payload.reserveQuote]).toEqual([
        formatDecimal(base),
        formatDecimal(quote),
      ]);
    }
  });
});
