import Big from 'big.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketMakingClient } from '../../client';
import { createDb, type Db } from '../../db/connection';
import { reconcileOrders, submitOrder, type DesiredLevel } from '../../db/order-book';
import { getPool } from '../../db/pools';
import { ROLES } from '../../db/roles';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { createFundedPool, ladder } from '../helpers/pools';

/*
 * Issue 10, findings 1-3: nobody trades as the pool or as another owner, whatever they send, through
 * the client library or with raw SQL on their own login; the application runs as least-privilege
 * roles. Every assertion here failed on the release before (the owner was a field of the request and
 * everything ran as the superuser).
 */

let t: TestDatabase;
let alice: Db;
let mallory: Db;
let worker: Db;
let dashboard: Db;
let owner: Db;

/** The pool's quotes, placed by the worker's own login as the market maker would. */
async function placeLadder(_admin: Db, poolId: string, desired: DesiredLevel[]) {
  await reconcileOrders(worker, {
    poolId,
    owner: `pool:${poolId}`,
    cycleKey: `seed-${poolId}`,
    desired,
    toleranceBps: '2',
  });
}

const clientOn = (db: Db) => new MarketMakingClient({ client: undefined as never, taskQueue: 'unused', db });

/** Runs one statement and returns its error message (or 'ok'). */
async function attempt(db: Db, statement: ReturnType<typeof sql>): Promise<string> {
  try {
    await statement.execute(db);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

async function snapshot() {
  const { rows } = await sql<Record<string, string>>`
    select (select count(*) from orders) as orders, (select count(*) from trades) as trades,
           (select count(*) from events) as events,
           (select coalesce(sum(filled_quantity), 0) from orders) as filled,
           (select count(*) filter (where status = 'cancelled') from orders) as cancelled,
           (select string_agg(reserve_base || '/' || reserve_quote || '/' || total_shares, ',' order by id) from pools) as pools,
           (select string_agg(provider || '=' || shares, ',' order by pool_id, provider) from liquidity_positions) as positions`.execute(
    t.db,
  );
  return rows[0];
}

beforeAll(async () => {
  t = await createTestDatabase();
  [alice, mallory] = await Promise.all([t.connectAs('alice'), t.connectAs('mallory')]);
  worker = createDb(t.urls.worker, { maxConnections: 2 });
  dashboard = createDb(t.urls.dashboard, { maxConnections: 2 });
  owner = createDb(t.urls.owner, { maxConnections: 2 });
});
afterAll(async () => {
  await Promise.all([worker, dashboard, owner].map((d) => d?.destroy()));
  await t?.drop();
});

describe('finding 1: nobody trades as the pool', () => {
  it('the library refuses an owner field, and the order is placed as the login principal', async () => {
    const pool = await createFundedPool(t.db);
    const m = clientOn(mallory);
    const forged = {
      poolId: pool.id,
      owner: `pool:${pool.id}`,
      clientOrderId: 'forged-1',
      side: 'buy',
      type: 'ioc',
      price: '3000',
      quantity: '1',
    };
    const before = await snapshot();
    await expect(m.submitOrder(forged as never)).rejects.toThrow(/owner is not accepted/);
    expect(await snapshot()).toEqual(before);

    const { owner: _drop, ...order } = forged;
    const r = await m.submitOrder({
      ...(order as object as { poolId: string; clientOrderId: string; side: 'buy'; quantity: string }),
      type: 'limit',
      price: '1000',
    });
    expect(r.order.owner).toBe('mallory');
    expect(r.order.orderId).toBeTruthy();
  });

  it('raw SQL on a client login cannot place, forge or cancel pool orders', async () => {
    const pool = await createFundedPool(t.db);
    await placeLadder(t.db, pool.id, ladder('2000'));
    const before = await snapshot();
    const poolOwner = `pool:${pool.id}`;
    const insertAs = (who: string, isPool: boolean) => sql`
      insert into orders (id, pool_id, owner, client_order_id, side, type, price, quantity, status, is_pool_order)
      values (${`x-${who}-${isPool}`}, ${pool.id}, ${who}, ${`c-${who}-${isPool}`}, 'sell', 'limit', 3000, 1, 'open', ${isPool})`;
    expect(await attempt(mallory, insertAs(poolOwner, true))).toMatch(/principal "mallory", not as "pool:/);
    expect(await attempt(mallory, insertAs(poolOwner, false))).toMatch(/reserved/);
    expect(await attempt(mallory, insertAs('alice', false))).toMatch(/principal "mallory", not as "alice"/);
    expect(
      await attempt(
        mallory,
        sql`update orders set status = 'cancelled', cancel_reason = 'cancelled_by_owner'
            where owner = ${poolOwner} and status = 'open'`,
      ),
    ).toMatch(/may cancel only its own orders/);
    // The matching engine's own exception (a quote the pool cannot pay for) is checked against reserves.
    expect(
      await attempt(
        mallory,
        sql`update orders set status = 'cancelled', cancel_reason = 'insufficient_reserve'
            where owner = ${poolOwner} and status = 'open'`,
      ),
    ).toMatch(/may cancel only its own orders/);
    expect(await attempt(mallory, sql`update pools set reserve_quote = 0 where id = ${pool.id}`)).toMatch(
      /reserves may change only by trades or by liquidity/,
    );
    expect(await attempt(mallory, sql`update pools set spread_bps = 1 where id = ${pool.id}`)).toMatch(
      /only the market maker changes pool/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it("a client's trade is checked against the resting order and cannot be priced or owned at will", async () => {
    const pool = await createFundedPool(t.db);
    await placeLadder(t.db, pool.id, ladder('2000', { levels: 1 }));
    const ask = await t.db
      .selectFrom('orders')
      .selectAll()
      .where('pool_id', '=', pool.id)
      .where('side', '=', 'sell')
      .executeTakeFirstOrThrow();
    // Mallory rests her own buy, then claims it traded with the pool's ask at her price.
    const own = await clientOn(mallory).submitOrder({
      poolId: pool.id,
      clientOrderId: 'bid-low',
      side: 'buy',
      type: 'limit',
      price: '1000',
      quantity: '1',
    });
    const before = await snapshot();
    const forgeTrade = (price: string, takerOrderId: string) => sql`
      insert into trades (id, pool_id, maker_order_id, taker_order_id, maker_owner, taker_owner, taker_side, price, quantity, maker_is_pool)
      values (${`forged-${price}`}, ${pool.id}, ${ask.id}, ${takerOrderId}, 'nobody', 'nobody', 'buy', ${price}, 1, false)`;
    expect(await attempt(mallory, forgeTrade('1000', own.order.orderId))).toMatch(
      /does not match resting order/,
    );
    // At the ask's price, her bid (1000) does not reach the ask (above 2000).
    expect(await attempt(mallory, forgeTrade(ask.price, own.order.orderId))).toMatch(
      /does not match resting order/,
    );
    // Filling the pool's ask without a trade is refused at commit.
    expect(
      await attempt(
        mallory,
        sql`update orders set filled_quantity = quantity, status = 'filled' where id = ${ask.id}`,
      ),
    ).toMatch(/trades add up to 0/);
    expect(await snapshot()).toEqual(before);
  });

  it('a real fill moves the reserves by the trade, with the owners taken from the orders', async () => {
    const pool = await createFundedPool(t.db);
    await placeLadder(t.db, pool.id, ladder('2000', { levels: 1 }));
    const r = await clientOn(alice).submitOrder({
      poolId: pool.id,
      clientOrderId: 'lift',
      side: 'buy',
      type: 'ioc',
      price: '2100',
      quantity: '0.5',
    });
    expect(r.fills).toHaveLength(1);
    const trade = await t.db
      .selectFrom('trades')
      .selectAll()
      .where('taker_order_id', '=', r.order.orderId)
      .executeTakeFirstOrThrow();
    expect([trade.taker_owner, trade.maker_owner, trade.maker_is_pool]).toEqual([
      'alice',
      `pool:${pool.id}`,
      true,
    ]);
    const after = await getPool(t.db, pool.id);
    expect(after.reserveBase.toString()).toBe(pool.reserveBase.minus('0.5').toString());
    expect(after.reserveQuote.toString()).toBe(
      pool.reserveQuote.plus(new Big(r.fills[0]!.price).times('0.5')).toString(),
    );
    const events = await t.db
      .selectFrom('events')
      .select(['type', 'written_by'])
      .where('stream_id', 'like', `%${pool.id}%`)
      .where('type', '=', 'order_executed')
      .execute();
    expect(events.map((e) => e.written_by)).toEqual(['lpmm_p_alice']);
  });
});

describe('finding 2: owners are the login, not a field', () => {
  it("bob cannot cancel alice's order, through the library or SQL", async () => {
    const pool = await createFundedPool(t.db);
    const order = await clientOn(alice).submitOrder({
      poolId: pool.id,
      clientOrderId: 'alice-1',
      side: 'buy',
      type: 'limit',
      price: '1500',
      quantity: '1',
    });
    const m = clientOn(mallory);
    await expect(
      m.cancelOrder({ poolId: pool.id, clientOrderId: 'alice-1', owner: 'alice' } as never),
    ).rejects.toThrow(/owner is not accepted/);
    await expect(m.cancelOrder({ poolId: pool.id, clientOrderId: 'alice-1' })).rejects.toThrow(
      /No order alice-1 of "mallory"/,
    );
    expect(
      await attempt(mallory, sql`update orders set status = 'cancelled' where id = ${order.order.orderId}`),
    ).toMatch(/may cancel only its own orders/);
    const row = await t.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', order.order.orderId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('open');
    const mine = await clientOn(alice).cancelOrder({ poolId: pool.id, clientOrderId: 'alice-1' });
    expect(mine.status).toBe('cancelled');
  });

  it("mallory cannot withdraw alice's liquidity nor mint shares below the pool's price", async () => {
    const pool = await createFundedPool(t.db, { base: '0', quote: '0' });
    const a = clientOn(alice);
    await a.addLiquidity({ poolId: pool.id, base: '10', quote: '20000', requestId: 'seed' });
    await expect(
      clientOn(mallory).removeLiquidity({
        poolId: pool.id,
        provider: 'alice',
        shares: '1',
        requestId: 'steal',
      } as never),
    ).rejects.toThrow(/provider is not accepted/);
    await expect(
      clientOn(mallory).removeLiquidity({ poolId: pool.id, shares: '1', requestId: 'steal' }),
    ).rejects.toThrow(/"mallory" holds 0 shares/);
    const before = await snapshot();
    // Row-level security hides alice's position from mallory: the update finds nothing.
    expect(
      await attempt(mallory, sql`update liquidity_positions set shares = 0 where provider = 'alice'`),
    ).toBe('ok');
    // Minting herself shares for a token deposit, or taking reserves without burning shares.
    const mint = sql`with p as (update pools set total_shares = total_shares + 100, reserve_base = reserve_base + 0.001,
                                   net_base_contributed = net_base_contributed + 0.001,
                                   reserve_quote = reserve_quote + 0.001, net_quote_contributed = net_quote_contributed + 0.001
                                where id = ${pool.id} returning id)
                     insert into liquidity_positions (pool_id, provider, shares) select id, 'mallory', 100 from p`;
    expect(await attempt(mallory, mint)).toMatch(/at the pool's ratio/);
    const drain = sql`update pools set reserve_base = reserve_base - 1, net_base_contributed = net_base_contributed - 1
                      where id = ${pool.id}`;
    expect(await attempt(mallory, drain)).toMatch(/at the pool's ratio/);
    // Shares without a position: the deferred check finds the pool's shares are not its providers'.
    const phantom = sql`update pools set total_shares = total_shares - 1, reserve_base = reserve_base - 0.0001,
                          net_base_contributed = net_base_contributed - 0.0001 where id = ${pool.id}`;
    expect(await attempt(mallory, phantom)).toMatch(/providers hold/);
    expect(await snapshot()).toEqual(before);
  });

  it('a login that is not a registered principal can read but not trade', async () => {
    const pool = await createFundedPool(t.db);
    const unregistered = createDb(t.urls.dashboard, {
      maxConnections: 1,
    });
    try {
      await expect(clientOn(unregistered).principal()).rejects.toThrow(/is not registered as a principal/);
      await expect(
        submitOrder(unregistered, {
          poolId: pool.id,
          owner: 'x',
          clientOrderId: 'c',
          side: 'buy',
          type: 'limit',
          price: '1',
          quantity: '1',
        }),
      ).rejects.toThrow(/read-only|permission denied/);
    } finally {
      await unregistered.destroy();
    }
  });
});

describe('finding 3: least-privilege roles', () => {
  it('no component logs in as a superuser, and each has its session limits', async () => {
    for (const db of [worker, alice, dashboard]) {
      const { rows } = await sql<{ su: boolean; st: string; lt: string; idle: string }>`
        select (select rolsuper from pg_roles where rolname = current_user) as su,
               current_setting('statement_timeout') as st, current_setting('lock_timeout') as lt,
               current_setting('idle_in_transaction_session_timeout') as idle`.execute(db);
      expect(rows[0]!.su).toBe(false);
      expect(rows[0]!.st).not.toBe('0');
      expect(rows[0]!.lt).not.toBe('0');
      expect(rows[0]!.idle).not.toBe('0');
    }
  });

  it('every role carries its own timeouts, so a connection made by hand has them too', async () => {
    const { rows } = await sql<{ role: string; config: string[] }>`
      select r.rolname as role, s.setconfig as config from pg_db_role_setting s
      join pg_roles r on r.oid = s.setrole
      where r.rolname in ('lpmm_worker', 'lpmm_client', 'lpmm_trader', 'lpmm_dashboard', 'lpmm_owner')`.execute(
      t.db,
    );
    for (const role of ['lpmm_worker', 'lpmm_trader', 'lpmm_dashboard']) {
      const config = rows.find((r) => r.role === role)?.config.join(' ') ?? '';
      expect(config, role).toMatch(/statement_timeout=\S+/);
      expect(config, role).toMatch(/lock_timeout=\S+/);
      expect(config, role).toMatch(/idle_in_transaction_session_timeout=\S+/);
    }
    expect(rows.find((r) => r.role === 'lpmm_dashboard')?.config).toContain(
      'default_transaction_read_only=on',
    );
  });

  it('the worker cannot rewrite history or trade for others; the dashboard writes nothing', async () => {
    const pool = await createFundedPool(t.db);
    expect(await attempt(worker, sql`alter table events disable trigger events_no_update_delete`)).toMatch(
      /must be owner/,
    );
    expect(await attempt(worker, sql`update trades set quantity = 1`)).toMatch(/permission denied/);
    expect(await attempt(worker, sql`delete from orders`)).toMatch(/permission denied/);
    expect(
      await attempt(
        worker,
        sql`insert into orders (id, pool_id, owner, client_order_id, side, type, price, quantity, status)
            values ('w1', ${pool.id}, 'alice', 'w1', 'buy', 'limit', 1, 1, 'open')`,
      ),
    ).toMatch(/places only its pools' quotes/);
    expect(await attempt(worker, sql`select * from principals`)).toMatch(/permission denied/);
    expect(await attempt(dashboard, sql`update pools set spread_bps = 5`)).toMatch(
      /permission denied|read-only/,
    );
    expect(
      await attempt(
        dashboard,
        sql`insert into price_ticks (feed, price, observed_at) values ('f', 1, now())`,
      ),
    ).toMatch(/permission denied|read-only/);
    expect(
      await attempt(
        alice,
        sql`insert into events (event_id, stream_id, stream_version, type, schema_version, payload)
      values ('e-forged', 'pool-x', 1, 'spread_adjusted', 1, '{}')`,
      ),
    ).toMatch(/may not record spread_adjusted/);
    // The first release's catch-all role holds nothing any more.
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from information_schema.role_table_grants where grantee = 'lpmm_app'`.execute(
      t.db,
    );
    expect(rows[0]!.n).toBe('0');
    const tables = await sql<{ owner: string }>`
      select distinct tableowner as owner from pg_tables where schemaname = 'public'`.execute(t.db);
    expect(tables.rows.map((r) => r.owner)).toEqual([ROLES.owner]);
  });
});
