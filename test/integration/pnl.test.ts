import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMarketSnapshot } from '../../activities/market-data';
import type { PnlBaseline } from '../../activities/types';
import { SimulatedHedgeVenue } from '../../adapters/hedge-venue/simulated';
import { createDb, type Db } from '../../db/connection';
import { claimSessionAttempt, takeGeneration } from '../../db/fence';
import { hedgeExcess } from '../../db/hedging';
import { getPool, removeLiquidity } from '../../db/pools';
import { Big, formatDecimal } from '../../domain/money';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { seedTicks } from '../helpers/market';
import { createFundedPool } from '../helpers/pools';

/*
 * Defect 8 of issue 11: the live P&L passed its fees as 0 (the hedge venue's fees were ignored) and
 * divided by the hold value, which withdrawals can make zero or negative. Real Postgres, the
 * worker's own login, the real hedge path; only the venue is the simulated one.
 */

describe('live P&L: every fee counted, return on capital at risk', () => {
  let t: TestDatabase;
  let worker: Db;
  const venue = new SimulatedHedgeVenue({
    slippageBps: '5',
    feeBps: '2',
    priceDecimals: 8,
    baseDecimals: 8,
    quoteDecimals: 8,
  });

  beforeAll(async () => {
    t = await createTestDatabase();
    worker = createDb(t.urls.worker, { maxConnections: 5 });
  });
  afterAll(async () => {
    await worker?.destroy();
    await t?.drop();
  });

  async function pool(base: string, quote: string) {
    const feed = `feed-${randomBytes(4).toString('hex')}`;
    await seedTicks(t.db, feed, ['2000']);
    const p = await createFundedPool(t.db, { base, quote, priceFeed: feed });
    return { poolId: p.id, feed };
  }

  const baselineOf = async (poolId: string): Promise<PnlBaseline> => {
    const s = await readMarketSnapshot(worker, poolId, Date.now());
    return {
      reserveBase: s.reserveBase,
      reserveQuote: s.reserveQuote,
      netBaseContributed: s.netBaseContributed,
      netQuoteContributed: s.netQuoteContributed,
      hedgeFeesPaid: s.hedgeFeesPaid,
    };
  };

  it("takes the hedge venue's fee out of the trade P&L and measures the return on the peak capital", async () => {
    // 90 ETH + 10,000 USDC contributed at 2,000: 190,000 of capital, heavily long ETH.
    const { poolId, feed } = await pool('90', '10000');
    const baseline = await baselineOf(poolId);
    const generation = await takeGeneration(worker, poolId);
    const fence = { generation, attempt: 1 };
    expect(await claimSessionAttempt(worker, poolId, fence)).toBe(true);
    const hedge = await hedgeExcess(worker, venue, {
      poolId,
      requestId: `pnl/${poolId}/hedge0`,
      fence,
      trigger: 'risk_flatten',
      referencePrice: '2000',
    });
    expect(hedge.status).toBe('hedged');
    const row = await t.db
      .selectFrom('hedges')
      .selectAll()
      .where('pool_id', '=', poolId)
      .executeTakeFirstOrThrow();
    const fee = new Big(row.fill_fee!);
    expect(fee.gt(0)).toBe(true);

    // The price moves on: the hold value (199,000 at 2,100) is no longer the capital put in.
    await seedTicks(t.db, feed, ['2100'], 1);
    const s = await readMarketSnapshot(worker, poolId, Date.now(), baseline);
    expect(s.peakCapital).toBe('190000');
    expect(s.pnl.feesPaid).toBe(formatDecimal(fee));
    expect(s.pnl.feesEarned).toBe('0');
    expect(s.pnl.fees).toBe(formatDecimal(fee.times(-1)));
    const total = new Big(s.pnl.totalPnl);
    expect(s.pnl.tradePnl).toBe(formatDecimal(total.plus(fee)));
    expect(s.pnl.returnPct).toBe(formatDecimal(total.div(190000).times(100).round(8, Big.roundHalfUp)));
  });

  it('values each contribution when it is made: a withdrawal at a higher price leaves the peak', async () => {
    const { poolId, feed } = await pool('10', '20000');
    expect(formatDecimal((await getPool(t.db, poolId)).peakCapital)).toBe('40000');
    // About half the shares out at 3,000: about 5 ETH x 3,000 + 10,000 = 25,000 leaves, valued at
    // 3,000 (not at the 2,000 it came in at); the peak stays 40,000.
    await seedTicks(t.db, feed, ['3000'], 1);
    const shares = (await getPool(t.db, poolId)).totalShares.div(2).round(12, Big.roundDown);
    const out = await removeLiquidity(t.db, {
      poolId,
      provider: 'lp-seed',
      shares: shares.toFixed(),
      requestId: 'half',
    });
    const row = await t.db
      .selectFrom('pools')
      .select(['capital_contributed', 'peak_capital'])
      .where('id', '=', poolId)
      .executeTakeFirstOrThrow();
    const left = new Big(40000).minus(new Big(out.baseAmount).times(3000)).minus(out.quoteAmount);
    expect(left.minus(15000).abs().lt('0.01')).toBe(true);
    expect(formatDecimal(new Big(row.capital_contributed))).toBe(formatDecimal(left));
    expect(formatDecimal(new Big(row.peak_capital))).toBe('40000');
  });

  it('with no capital ever contributed the return is n/a (null), not 0', async () => {
    const { poolId } = await pool('0', '0');
    const s = await readMarketSnapshot(worker, poolId, Date.now(), await baselineOf(poolId));
    expect(s.pnl.totalPnl).toBe('0');
    expect(s.pnl.returnPct).toBeNull();
  });
});
