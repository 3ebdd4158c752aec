import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/connection';
import { ROLES, urlAs } from '../../db/roles';
import { createActivities } from '../../activities';
import { defaultHedgeVenue } from '../../worker/create-worker';
import { createFundedPool as createPoolInDb } from '../helpers/pools';
import {
  createFundedPool,
  eventsOf,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';

/*
 * Finding 7 of issue 10: a failed rebalance "compensated" by restoring the narrower spread while the
 * imbalance persisted, and restoreSpread overwrote whatever the spread was by then.
 */
describe('saga compensations leave the pool safer, and write only what the saga set', () => {
  const m = useMarketHarness('compensation');
  const env = new MockActivityEnvironment({ activityId: 'a-1' }, { logger: new DefaultLogger('ERROR') });
  // The worker's own login, as in production (m.db is the administrator's, for inspection).
  let worker: Db | undefined;
  afterAll(async () => worker?.destroy());
  const activities = () => {
    worker ??= createDb(urlAs(m.dbUrl, ROLES.worker), { maxConnections: 4 });
    return createActivities({ db: worker, hedgeVenue: defaultHedgeVenue() });
  };
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> =>
    (env.run as (f: unknown, ...a: unknown[]) => Promise<unknown>)(fn, ...args) as Promise<R>;
  const spreadOf = async (poolId: string) =>
    (await m.db.selectFrom('pools').select('spread_bps').where('id', '=', poolId).executeTakeFirstOrThrow())
      .spread_bps;
  const poolEvents = async (poolId: string, type: string) =>
    (await eventsOf(m.db, poolId)).pool.filter((e) => e.type === type);

  it('a compensation that would narrow the spread the saga widened is withheld, with why', async () => {
    const acts = activities();
    const pool = await createPoolInDb(m.db, { base: '90', quote: '10000' });
    await run(acts.adjustSpread, {
      poolId: pool.id,
      requestId: 'saga/i1',
      newSpreadBps: '45',
      reasons: ['inventory_imbalance_critical'],
      sagaId: 'saga',
    });
    const args = {
      poolId: pool.id,
      requestId: 'saga/i1',
      restoreToBps: '30',
      attemptedSpreadBps: '45',
      error: 'rebalance failed',
      sagaId: 'saga',
    };
    await run(acts.restoreSpread, args);
    expect(await spreadOf(pool.id)).toBe('45');
    const [withheld] = await poolEvents(pool.id, 'spread_compensation_withheld');
    expect(withheld?.payload).toMatchObject({
      reason: 'would_narrow',
      attemptedSpreadBps: '45',
      restoreToBps: '30',
      currentSpreadBps: '45',
      error: 'rebalance failed',
    });
    expect(await poolEvents(pool.id, 'spread_adjustment_compensated')).toEqual([]);
    // Retried, it answers the same and writes nothing more.
    expect(await run(acts.restoreSpread, args)).toMatchObject({
      outcome: 'withheld',
      reason: 'would_narrow',
    });
    expect(await poolEvents(pool.id, 'spread_compensation_withheld')).toHaveLength(1);
  });

  it('a compensation is compare-and-set: a spread changed by someone else since is left alone', async () => {
    const acts = activities();
    const pool = await createPoolInDb(m.db, { base: '90', quote: '10000' });
    await run(acts.adjustSpread, {
      poolId: pool.id,
      requestId: 'saga/i1',
      newSpreadBps: '45',
      reasons: ['inventory_imbalance_critical'],
      sagaId: 'saga',
    });
    // Meanwhile the saga's next iteration (or an operator) moves the spread to 60.
    await run(acts.adjustSpread, {
      poolId: pool.id,
      requestId: 'saga/i2',
      newSpreadBps: '60',
      reasons: ['volatility_high'],
      sagaId: 'saga',
    });
    // Restoring i1's 70 would even widen it: it is still not i1's spread to write.
    await run(acts.restoreSpread, {
      poolId: pool.id,
      requestId: 'saga/i1',
      restoreToBps: '70',
      attemptedSpreadBps: '45',
      error: 'rebalance failed',
      sagaId: 'saga',
    });
    expect(await spreadOf(pool.id)).toBe('60');
    const [withheld] = await poolEvents(pool.id, 'spread_compensation_withheld');
    expect(withheld?.payload).toMatchObject({ reason: 'changed_since', currentSpreadBps: '60' });

    // While the spread is still the one this saga set, a compensation that widens is carried out.
    await run(acts.restoreSpread, {
      poolId: pool.id,
      requestId: 'saga/i2',
      restoreToBps: '75',
      attemptedSpreadBps: '60',
      error: 'rebalance failed',
      sagaId: 'saga',
    });
    expect(await spreadOf(pool.id)).toBe('75');
    const [restored] = await poolEvents(pool.id, 'spread_adjustment_compensated');
    expect(restored?.payload).toMatchObject({ attemptedSpreadBps: '60', restoredSpreadBps: '75' });
  });

  it("the saga's failed rebalance keeps the wider spread while the imbalance persists, and says why", async () => {
    // 90 ETH at 2,000 against 10,000 USDC: a critical imbalance (0.447); the saga widens 30 -> 45.
    const { poolId, feed } = await createFundedPool(m.client, { base: '90', quote: '10000' });
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    // The rebalance cannot be written for this pool (whether it trades or asks the market maker).
    await sql
      .raw(
        `create function refuse_rebalance() returns trigger language plpgsql as $$
         begin raise exception 'hedge venue unreachable (test)'; end $$;
         create trigger refuse_rebalance before insert on events for each row
           when (new.type in ('hedge_requested', 'inventory_adjusted') and new.payload->>'poolId' = '${poolId}')
           execute function refuse_rebalance();`,
      )
      .execute(m.db);
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 60_000 });
      await waitFor(
        'the saga to give up on the rebalance',
        async () => (await m.client.spreadStatus(poolId)).compensations > 0,
        90_000,
        250,
      );
      const [widened] = await poolEvents(poolId, 'spread_adjusted');
      expect(widened?.payload).toMatchObject({ oldSpreadBps: '30', newSpreadBps: '45' });
      expect(await spreadOf(poolId)).toBe('45');
      const [withheld] = await poolEvents(poolId, 'spread_compensation_withheld');
      expect(withheld?.payload).toMatchObject({
        reason: 'would_narrow',
        restoreToBps: '30',
        currentSpreadBps: '45',
      });
      expect((withheld?.payload as { error: string }).error).toMatch(/hedge venue unreachable/);
      expect(await poolEvents(poolId, 'spread_adjustment_compensated')).toEqual([]);
    } finally {
      await m.client.stopPool(poolId, 'test done').catch(() => undefined);
      await ticker.stop();
      await sql
        .raw('drop trigger refuse_rebalance on events; drop function refuse_rebalance();')
        .execute(m.db);
    }
  }, 120_000);
});
