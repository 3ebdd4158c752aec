import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type Activities } from '../../activities';
import { SimulatedHedgeVenue } from '../../adapters/hedge-venue/simulated';
import { createPool, addLiquidity, getPool } from '../../db/pools';
import { rebuildPoolState } from '../../db/projections/pool-state';
import { formatDecimal } from '../../domain/money';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { seedTicks } from '../helpers/market';

/** Row counts of every table the activities write, and the events' ids: what "nothing changed" means. */
async function footprint(t: TestDatabase) {
  const count = async (table: string) =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)).rows[0]!.n,
    );
  const pools = await t.db
    .selectFrom('pools')
    .select(['id', 'reserve_base', 'reserve_quote', 'spread_bps', 'config'])
    .orderBy('id')
    .execute();
  const orders = await t.db
    .selectFrom('orders')
    .select(['id', 'status', 'filled_quantity'])
    .orderBy('id')
    .execute();
  const events = await t.db.selectFrom('events').select(['event_id']).orderBy('global_position').execute();
  return {
    pools,
    orders,
    events: events.map((e) => e.event_id),
    trades: await count('trades'),
    positions: await count('liquidity_positions'),
  };
}

describe('activities through MockActivityEnvironment on real Postgres', () => {
  let t: TestDatabase;
  let acts: Activities;
  // Expected failures would otherwise be logged as warnings by the mock environment.
  const env = new MockActivityEnvironment({ activityId: 'a-1' }, { logger: new DefaultLogger('ERROR') });
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> =>
    (env.run as (f: unknown, ...a: unknown[]) => Promise<unknown>)(fn, ...args) as Promise<R>;
  const poolId = 'eth-usdc-act';

  beforeAll(async () => {
    t = await createTestDatabase();
    acts = createActivities({
      db: t.db,
      hedgeVenue: new SimulatedHedgeVenue({
        slippageBps: '5',
        feeBps: '2',
        priceDecimals: 8,
        baseDecimals: 8,
        quoteDecimals: 8,
      }),
    });
    await createPool(t.db, {
      poolId,
      baseAsset: 'ETH',
      quoteAsset: 'USDC',
      tickSize: '0.01',
      lotSize: '0.001',
      minSize: '0.01',
      priceFeed: 'feed-act',
    });
    await addLiquidity(t.db, { poolId, provider: 'lp', base: '90', quote: '10000', requestId: 'seed' });
    await seedTicks(t.db, 'feed-act', Array(20).fill('2000'));
  });
  afterAll(() => t.drop());

  /** Runs an activity twice with identical input, as a retry after its commit would. */
  async function twice<K extends keyof Activities>(name: K, input: Parameters<Activities[K]>[0]) {
    const fn = acts[name] as (i: unknown) => Promise<unknown>;
    const first = await env.run(fn, input);
    const afterFirst = await footprint(t);
    await env.run(fn, input);
    expect(await footprint(t)).toEqual(afterFirst);
    return first;
  }

  it('each writing activity, retried after commit, leaves exactly what one run leaves', async () => {
    const snapshot = await run(acts.monitorMarketConditions, { poolId });
    expect(snapshot.mid).toBe('2000');
    const ladder = await run(acts.calculateOptimalQuotes, { snapshot });
    expect(ladder.bids.length).toBeGreaterThan(0);

    const before = await footprint(t);
    const quoted = (await twice('reconcileQuotes', {
      poolId,
      cycleKey: 'wf/c1',
      cycle: 1,
      mid: snapshot.mid,
      spreadBps: snapshot.spreadBps,
      ladder,
      toleranceBps: '2',
    })) as { placed: number };
    expect(quoted.placed).toBe(ladder.bids.length + ladder.asks.length);
    expect((await footprint(t)).events.length).toBeGreaterThan(before.events.length);

    await twice('placeOrder', {
      poolId,
      owner: 'taker',
      clientOrderId: 'tk-1',
      side: 'buy',
      type: 'ioc',
      price: ladder.asks[0]!.price,
      quantity: '0.05',
    });
    await twice('adjustSpread', {
      poolId,
      requestId: 'saga/i1',
      newSpreadBps: '45',
      reasons: ['inventory_imbalance_critical'],
      sagaId: 'saga',
    });
    await twice('restoreSpread', {
      poolId,
      requestId: 'saga/i1',
      restoreToBps: '30',
      attemptedSpreadBps: '45',
      error: 'venue down',
      sagaId: 'saga',
    });
    // The saga's rebalance is a request to the market maker, which owns hedging: nothing trades here.
    const requested = (await twice('adjustInventory', { poolId, requestId: 'saga/i2/rebalance' })) as {
      applied: boolean;
      requested: boolean;
    };
    expect(requested).toMatchObject({ applied: false, requested: true });
    await twice('recordMarketMakerEvents', {
      poolId,
      events: [{ eventId: 'wf/paused-1', type: 'market_maker_paused', payload: { poolId, reason: 'x' } }],
    });
    await twice('recordPoolEvents', {
      poolId,
      events: [
        {
          eventId: 'saga/i3/vol',
          type: 'market_volatility_changed',
          payload: { poolId, volatility: 0.07, oldRegime: 'normal', newRegime: 'high' },
        },
      ],
    });
    const cfg = snapshot.config;
    await twice('updatePoolConfig', {
      poolId,
      config: { ...cfg, refreshIntervalMs: 500 },
      requestId: 'wf/update/1',
    });
    await twice('cancelAllQuotes', { poolId, reason: 'stop' });
    expect(
      await t.db
        .selectFrom('orders')
        .select('id')
        .where('owner', '=', `pool:${poolId}`)
        .where('status', '=', 'open')
        .execute(),
    ).toEqual([]);

    // The pool's row, rebuilt from its events alone, equals the live one.
    const live = await getPool(t.db, poolId);
    const rebuilt = await rebuildPoolState(t.db, poolId);
    expect(rebuilt.reserveBase).toBe(formatDecimal(live.reserveBase));
    expect(rebuilt.reserveQuote).toBe(formatDecimal(live.reserveQuote));
    expect(rebuilt.totalShares).toBe(formatDecimal(live.totalShares));
    expect(rebuilt.spreadBps).toBe(formatDecimal(live.spreadBps));
  });

  it('bad input fails non-retryably with a message naming the field, and writes nothing', async () => {
    const before = await footprint(t);
    const cases: Array<[keyof Activities, unknown, RegExp]> = [
      [
        'placeOrder',
        { poolId, owner: 'x', clientOrderId: 'b1', side: 'buy', price: '2000.001', quantity: '1' },
        /price/,
      ],
      [
        'placeOrder',
        { poolId, owner: 'x', clientOrderId: 'b2', side: 'buy', price: '2000', quantity: '-1' },
        /quantity/,
      ],
      [
        'placeOrder',
        {
          poolId: 'no-such-pool',
          owner: 'x',
          clientOrderId: 'b3',
          side: 'buy',
          price: '2000',
          quantity: '1',
        },
        /no-such-pool/,
      ],
      ['adjustSpread', { poolId, requestId: 'bad-1', newSpreadBps: '9000', reasons: [] }, /newSpreadBps/],
      [
        'recordPoolEvents',
        {
          poolId,
          events: [{ eventId: 'bad-ev', type: 'spread_adjusted', payload: { poolId, oldSpreadBps: 'x' } }],
        },
        /oldSpreadBps/,
      ],
    ];
    for (const [name, input, message] of cases) {
      const err = await env.run(acts[name] as (i: unknown) => Promise<unknown>, input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${name} ${JSON.stringify(input)}`).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      expect((err as ApplicationFailure).message).toMatch(message);
    }
    expect(await footprint(t)).toEqual(before);
  });
});
