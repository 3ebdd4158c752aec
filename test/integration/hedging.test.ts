import { randomBytes } from 'node:crypto';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type Activities } from '../../activities';
import { runQuoteCycle, type CycleMemory, type CycleReport } from '../../activities/quote-cycle';
import { readMarketSnapshot } from '../../activities/market-data';
import type { HedgeOrder, HedgeVenue } from '../../adapters/hedge-venue/port';
import { SimulatedHedgeVenue } from '../../adapters/hedge-venue/simulated';
import { createDb, type Db } from '../../db/connection';
import { readStream, type StoredEvent } from '../../db/event-store';
import { claimSessionAttempt, takeGeneration, type SessionFence } from '../../db/fence';
import { getPool } from '../../db/pools';
import { rebuildPoolState } from '../../db/projections/pool-state';
import { DomainValidationError } from '../../domain/errors';
import { Big, formatDecimal } from '../../domain/money';
import { inventoryDeviationBase } from '../../domain/pool';
import { poolStream } from '../../domain/streams';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { seedTicks } from '../helpers/market';
import { createFundedPool } from '../helpers/pools';

/*
 * Finding 5 of issue 10: the market maker's flatten and the saga's rebalance each hedged the same
 * excess from an unlocked read, so together they overshot, and a lasting breach traded every cycle.
 * Real Postgres, the real session cycle and the real activities; only the venue is the simulated one.
 */

const venueOptions = { slippageBps: '5', feeBps: '2', priceDecimals: 8, baseDecimals: 8, quoteDecimals: 8 };

describe('one owner of hedging per pool', () => {
  let t: TestDatabase;
  /** The worker's own login: hedging runs with the privileges it has in production. */
  let worker: Db;
  let venue: SimulatedHedgeVenue;
  let acts: Activities;
  const env = new MockActivityEnvironment({ activityId: 'a-1' }, { logger: new DefaultLogger('ERROR') });
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> =>
    (env.run as (f: unknown, ...a: unknown[]) => Promise<unknown>)(fn, ...args) as Promise<R>;

  beforeAll(async () => {
    t = await createTestDatabase();
    worker = createDb(t.urls.worker, { maxConnections: 30 });
    venue = new SimulatedHedgeVenue(venueOptions);
    acts = createActivities({ db: worker, hedgeVenue: venue });
  });
  afterAll(async () => {
    await worker?.destroy();
    await t?.drop();
  });

  /** 90 ETH and 10,000 USDC at 2,000: a base share of 0.947, an excess of 42.5 ETH over the 0.5 target. */
  async function imbalancedPool(config: Record<string, unknown> = {}) {
    const feed = `feed-${randomBytes(4).toString('hex')}`;
    await seedTicks(t.db, feed, Array(30).fill('2000'));
    const pool = await createFundedPool(t.db, { base: '90', quote: '10000', priceFeed: feed, config });
    return { poolId: pool.id, feed };
  }

  /** The pool's quoting session, holding its fence, one cycle per call (as runQuotingSession runs them). */
  async function session(poolId: string, hedgeVenue: HedgeVenue = venue) {
    const generation = await takeGeneration(worker, poolId);
    const fence: SessionFence = { generation, attempt: 1 };
    expect(await claimSessionAttempt(worker, poolId, fence)).toBe(true);
    const s = await readMarketSnapshot(worker, poolId, Date.now());
    const baseline = {
      reserveBase: s.reserveBase,
      reserveQuote: s.reserveQuote,
      netBaseContributed: s.netBaseContributed,
      netQuoteContributed: s.netQuoteContributed,
    };
    const memory: CycleMemory = {
      cycle: 0,
      lastBreachKey: '',
      sagaView: { volatilityRegime: 'normal', imbalanceLevel: 'none' },
    };
    return {
      fence,
      cycle: async (): Promise<CycleReport> => {
        const report = await runQuoteCycle(
          { db: worker, hedgeVenue, now: () => Date.now() },
          {
            poolId,
            fence,
            cycleKey: `mm/${poolId}/g${generation}a1c${memory.cycle}`,
            baseline,
            previousLadder: null,
          },
          memory,
        );
        memory.cycle++;
        return report;
      },
    };
  }

  const hedgeEvents = async (poolId: string): Promise<StoredEvent[]> =>
    (await readStream(t.db, poolStream(poolId), 0, 10_000)).filter((e) => e.type === 'inventory_adjusted');

  /** Every unit that left the pool went to the venue and came back as the other asset, to the last decimal. */
  async function expectConserved(poolId: string, start: { base: string; quote: string }) {
    let base = new Big(start.base);
    let quote = new Big(start.quote);
    for (const e of await hedgeEvents(poolId)) {
      const p = e.payload as Record<string, string>;
      const net = new Big(p.quoteAmount!)[p.side === 'sell' ? 'minus' : 'plus'](p.fee!);
      base = p.side === 'sell' ? base.minus(p.baseAmount!) : base.plus(p.baseAmount!);
      quote = p.side === 'sell' ? quote.plus(net) : quote.minus(net);
    }
    const live = await getPool(t.db, poolId);
    expect(formatDecimal(live.reserveBase)).toBe(formatDecimal(base));
    expect(formatDecimal(live.reserveQuote)).toBe(formatDecimal(quote));
    const rebuilt = await rebuildPoolState(t.db, poolId);
    expect(rebuilt.reserveBase).toBe(formatDecimal(live.reserveBase));
    expect(rebuilt.reserveQuote).toBe(formatDecimal(live.reserveQuote));
  }

  it('the flatten and the saga rebalance, run together 20 times, hedge each excess once and never overshoot', async () => {
    for (let round = 0; round < 20; round++) {
      // A deviation of 0.447 beyond a limit of 0.3: the session flattens; the saga sees it critical.
      const { poolId } = await imbalancedPool({ risk: { maxInventoryDeviation: 0.3 } });
      const mm = await session(poolId);
      const excess = inventoryDeviationBase(new Big(90), new Big(10000), new Big(2000), new Big(0.5));
      await Promise.all([
        mm.cycle(),
        run(acts.adjustInventory, { poolId, requestId: `spread-saga/${poolId}/run/i${round}/rebalance` }),
      ]);
      // The following cycles answer the saga's request, if it came second.
      await mm.cycle();
      await mm.cycle();

      const hedges = await hedgeEvents(poolId);
      expect(hedges, `round ${round}`).toHaveLength(1);
      const hedged = hedges.reduce((sum, e) => sum.plus(e.payload.baseAmount as string), new Big(0));
      expect(hedges[0]!.payload.side).toBe('sell');
      expect(hedged.lte(excess), `round ${round}: hedged ${hedged} of an excess of ${excess}`).toBe(true);
      // Never past the target: what is left over is still on the side the pool started on.
      const after = await getPool(t.db, poolId);
      const left = inventoryDeviationBase(after.reserveBase, after.reserveQuote, new Big(2000), new Big(0.5));
      expect(left.gte(0), `round ${round}: ${left} ETH past the target`).toBe(true);
      expect(left.lt('0.05'), `round ${round}: ${left} ETH left over`).toBe(true);
      await expectConserved(poolId, { base: '90', quote: '10000' });
      // The saga's request was answered, whichever came first.
      expect(after.hedgeRequestedAt).toBeNull();
    }
  }, 120_000);

  it('within the cool-down a lasting breach trades no more and says why; after it, the pool hedges again', async () => {
    const { poolId, feed } = await imbalancedPool({
      risk: { maxInventoryDeviation: 0.05, hedgeCooldownSeconds: 3600 },
    });
    const mm = await session(poolId);
    const first = await mm.cycle();
    expect(first.risk.action).toBe('flatten');
    expect(await hedgeEvents(poolId)).toHaveLength(1);

    // The price runs away: at 2,600 the pool holds 0.565 in base, beyond the 0.05 limit again.
    await t.db.insertInto('price_ticks').values({ feed, price: '2600', observed_at: new Date() }).execute();
    for (let i = 0; i < 5; i++) {
      const again = await mm.cycle();
      expect(again.risk.action).toBe('flatten');
      expect(await hedgeEvents(poolId)).toHaveLength(1);
      expect(again.hedge).toMatchObject({ status: 'cool_down' });
      expect((again.hedge as { reason: string }).reason).toMatch(/hedgeCooldownSeconds \(3600 s\)/);
      // Quoting goes on meanwhile (the strategy skews toward the target).
      expect(again.outcome.kind).toBe('quoted');
    }

    // An hour later (the last hedge's decision moved back rather than waiting), it hedges again.
    await sql`update hedges set decided_at = decided_at - interval '3601 seconds' where pool_id = ${poolId}`.execute(
      t.db,
    );
    const later = await mm.cycle();
    expect(later.hedge).toMatchObject({ status: 'hedged', side: 'sell' });
    expect(await hedgeEvents(poolId)).toHaveLength(2);
    await expectConserved(poolId, { base: '90', quote: '10000' });
  });

  it('the saga only asks: the market maker answers its request once, under the same cool-down', async () => {
    // 0.447 from target is inside the default 0.45 limit: no flatten, only the saga's critical imbalance.
    const { poolId } = await imbalancedPool();
    const mm = await session(poolId);
    const asked = await run(acts.adjustInventory, { poolId, requestId: 'saga/i0/rebalance' });
    expect(asked).toMatchObject({ applied: false, requested: true });
    expect(asked.note).toMatch(/next cycle/);
    expect(await hedgeEvents(poolId)).toHaveLength(0);
    // A retried request is the same request.
    await run(acts.adjustInventory, { poolId, requestId: 'saga/i0/rebalance' });
    const requests = (await readStream(t.db, poolStream(poolId), 0, 1000)).filter(
      (e) => e.type === 'hedge_requested',
    );
    expect(requests).toHaveLength(1);

    const answered = await mm.cycle();
    expect(answered.risk.action).toBe('continue');
    expect(answered.hedge).toMatchObject({ status: 'hedged', side: 'sell' });
    const [hedge] = await hedgeEvents(poolId);
    expect(hedge!.payload.trigger).toBe('saga_request');
    expect((await getPool(t.db, poolId)).hedgeRequestedAt).toBeNull();

    // Asked again within the cool-down: answered with why, and nothing trades.
    await run(acts.adjustInventory, { poolId, requestId: 'saga/i1/rebalance' });
    const declined = await mm.cycle();
    expect(declined.hedge).toMatchObject({ status: 'cool_down' });
    expect((await getPool(t.db, poolId)).hedgeRequestedAt).toBeNull();
    expect(await mm.cycle()).toMatchObject({ hedge: null });
    expect(await hedgeEvents(poolId)).toHaveLength(1);
    await expectConserved(poolId, { base: '90', quote: '10000' });
  });

  it('25 concurrent hedges of one pool, with no cool-down at all, trade its excess once', async () => {
    const { poolId } = await imbalancedPool({
      risk: { maxInventoryDeviation: 0.3, hedgeCooldownSeconds: 0 },
    });
    const mm = await session(poolId);
    // Without costs the excess is exactly tradeable: anything a second trade did would be overshoot.
    const free = new SimulatedHedgeVenue({ ...venueOptions, slippageBps: '0', feeBps: '0' });
    const { hedgeExcess } = await import('../../db/hedging');
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        hedgeExcess(worker, free, {
          poolId,
          requestId: `race-${i}`,
          fence: mm.fence,
          trigger: 'risk_flatten',
          referencePrice: '2000',
        }),
      ),
    );
    // The first decision is the only trade; the others finished that same hedge, or found nothing left.
    const hedged = outcomes.filter((o) => o.status === 'hedged');
    expect(new Set(hedged.map((o) => (o as { requestId: string }).requestId)).size).toBe(1);
    expect(outcomes.every((o) => o.status === 'hedged' || o.status === 'nothing_to_hedge')).toBe(true);
    expect(await hedgeEvents(poolId)).toHaveLength(1);
    const after = await hedgeExcess(worker, free, {
      poolId,
      requestId: 'race-after',
      fence: mm.fence,
      trigger: 'risk_flatten',
      referencePrice: '2000',
    });
    expect(after.status).toBe('nothing_to_hedge');
    expect((after as { reason: string }).reason).toMatch(/below one lot or the minimum size/);
    await expectConserved(poolId, { base: '90', quote: '10000' });
  });

  it('a fill whose answer was lost is finished under its client order id by the next cycle, never traded twice', async () => {
    const { poolId } = await imbalancedPool({ risk: { maxInventoryDeviation: 0.3 } });
    const inner = new SimulatedHedgeVenue(venueOptions);
    const asked: HedgeOrder[] = [];
    let loseNextAnswer = true;
    const flaky: HedgeVenue = {
      name: 'flaky',
      async execute(order) {
        asked.push(order);
        const fill = await inner.execute(order);
        if (loseNextAnswer) {
          loseNextAnswer = false;
          throw new Error('connection reset by the venue');
        }
        return fill;
      },
    };
    const mm = await session(poolId, flaky);
    const unanswered = await mm.cycle();
    expect(unanswered.hedge).toMatchObject({ status: 'in_flight' });
    expect((unanswered.hedge as { reason: string }).reason).toMatch(/connection reset/);
    // The pool keeps quoting meanwhile.
    expect(unanswered.outcome).toMatchObject({ kind: 'quoted', wrote: 'reconcile' });
    expect(await hedgeEvents(poolId)).toHaveLength(0);
    const finished = await mm.cycle();
    expect(finished.hedge).toMatchObject({ status: 'hedged' });
    expect(await hedgeEvents(poolId)).toHaveLength(1);
    // Both asks carried the same client order id and terms: one trade at the venue.
    expect(asked).toHaveLength(2);
    expect(asked[1]!.clientOrderId).toBe(asked[0]!.clientOrderId);
    expect(formatDecimal(asked[1]!.baseAmount)).toBe(formatDecimal(asked[0]!.baseAmount));
    await expectConserved(poolId, { base: '90', quote: '10000' });
  });

  it('a hedge the venue refuses is over: recorded as failed with why, nothing booked, and the cool-down holds', async () => {
    const { poolId } = await imbalancedPool({
      risk: { maxInventoryDeviation: 0.3, hedgeCooldownSeconds: 3600 },
    });
    const refusing: HedgeVenue = {
      name: 'refusing',
      async execute() {
        throw new DomainValidationError('baseAmount', 'baseAmount exceeds the venue limit of 10 ETH');
      },
    };
    const mm = await session(poolId, refusing);
    const refused = await mm.cycle();
    expect(refused.hedge).toMatchObject({ status: 'failed' });
    expect((refused.hedge as { reason: string }).reason).toMatch(
      /venue refused the hedge: baseAmount exceeds/,
    );
    const next = await mm.cycle();
    expect(next.hedge).toMatchObject({ status: 'cool_down' });
    expect(await hedgeEvents(poolId)).toHaveLength(0);
    const rows = await t.db
      .selectFrom('hedges')
      .select(['status', 'failure'])
      .where('pool_id', '=', poolId)
      .execute();
    expect(rows).toEqual([{ status: 'failed', failure: expect.stringMatching(/venue limit/) }]);
    await expectConserved(poolId, { base: '90', quote: '10000' });
  });

  it('a session that lost the fence cannot hedge, and writes nothing', async () => {
    const { poolId } = await imbalancedPool({ risk: { maxInventoryDeviation: 0.3 } });
    const stale = await session(poolId);
    await session(poolId); // a newer session takes the fence
    await expect(stale.cycle()).rejects.toThrow(/fenced off/);
    expect(await hedgeEvents(poolId)).toHaveLength(0);
    expect(
      await t.db.selectFrom('hedges').select('request_id').where('pool_id', '=', poolId).execute(),
    ).toEqual([]);
  });
});
