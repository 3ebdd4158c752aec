import { randomBytes } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import {
  marketMakerWorkflowId,
  portfolioSupervisorWorkflowId,
  statusQuery,
  type MarketMakerStatus,
  type PortfolioSupervisorStatus,
} from '../../client';
import { createDb } from '../../db/connection';
import { hedgeDeskNet } from '../../db/desk';
import { ROLES, urlAs } from '../../db/roles';
import { readStream } from '../../db/event-store';
import { parseDeskHedging } from '../../domain/desk-config';
import { examplePairRegistry, poolMarketRules } from '../../domain/pairs';
import { getPool } from '../../db/pools';
import { deskStream, marketMakerStream } from '../../domain/streams';
import { WORKFLOWS_PATH, defaultHedgeVenue } from '../../worker/create-worker';
import { findTemporalCli } from '../../devenv/temporal-cli';
import { runCommand } from '../helpers/processes';
import { seedTicks, startTicker, useMarketHarness, waitFor } from '../helpers/market';

/*
 * Issue 13, items 4 and 5, end to end: real Temporal, real Postgres, the real worker. Pools are
 * created through the client on the example pairs; exposure is driven by moving a price feed.
 */

type History = temporal.api.history.v1.IHistory;

describe('the portfolio supervisor of a desk', () => {
  const m = useMarketHarness('portfolio');
  const pairs = examplePairRegistry();
  const tag = randomBytes(3).toString('hex');

  async function pool(poolId: string, pair: string, feed: string, base: string, quote: string, risk: object) {
    await m.client.createPool({
      poolId,
      ...poolMarketRules(pairs.get(pair)),
      priceFeed: feed,
      config: { risk },
    });
    await m.client.addLiquidity({ poolId, base, quote, requestId: 'seed' });
    return poolId;
  }

  /** The market maker alone: a saga's rebalance would move the reserves this test reasons about. */
  async function startMarketMaker(poolId: string) {
    await m.client.temporal.workflow.start('MarketMakerWorkflow', {
      taskQueue: m.client.taskQueue,
      workflowId: marketMakerWorkflowId(poolId),
      args: [{ poolId, refreshIntervalMs: 1000 }],
    });
  }

  const mmState = async (poolId: string) =>
    (await m.client.marketMaker(poolId).query<MarketMakerStatus>(statusQuery)).state;

  async function statesOf(ids: string[]) {
    return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await mmState(id)] as const)));
  }

  async function histories(workflowId: string, firstRunId: string) {
    const out: { workflowId: string; history: History }[] = [];
    let runId: string | undefined = firstRunId;
    while (runId) {
      const history: History = await m.temporal.client.workflow.getHandle(workflowId, runId).fetchHistory();
      out.push({ workflowId, history });
      const events = history.events ?? [];
      runId =
        events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
        undefined;
    }
    return out;
  }

  it('an ETH limit breach pauses exactly the pools long ETH among ten pools over four pairs, resumes them when it clears, and the history replays', async () => {
    const feeds = {
      'ETH/USDC': `eth-usdc-${tag}`,
      'BTC/USDC': `btc-usdc-${tag}`,
      'SOL/USDC': `sol-usdc-${tag}`,
      'ETH/BTC': `eth-btc-${tag}`,
    } as const;
    const start = { 'ETH/USDC': '2000', 'BTC/USDC': '60000', 'SOL/USDC': '150', 'ETH/BTC': '0.033333' };
    // No pool's own limits act here: the jump in price would otherwise pause a pool for volatility.
    const risk = { maxVolatility: 1000, maxInventoryDeviation: 1 };
    const p = (name: string) => `${tag}-${name}`;
    // ETH exposure at 2,000 / at 2,600 (ETH/USDC), in USDC. Share target 50%.
    const ids = [
      await pool(p('e1'), 'ETH/USDC', feeds['ETH/USDC'], '70', '60000', risk), //  +40,000 / +61,000
      await pool(p('e2'), 'ETH/USDC', feeds['ETH/USDC'], '30', '120000', risk), // -30,000 / -21,000
      await pool(p('e3'), 'ETH/USDC', feeds['ETH/USDC'], '55', '90000', risk), //  +10,000 / +26,500
      await pool(p('x1'), 'ETH/BTC', feeds['ETH/BTC'], '40', '1', risk), //        +5 ETH
      await pool(p('x2'), 'ETH/BTC', feeds['ETH/BTC'], '30', '1.2', risk), //      -3 ETH
      await pool(p('b1'), 'BTC/USDC', feeds['BTC/USDC'], '3', '180000', risk),
      await pool(p('b2'), 'BTC/USDC', feeds['BTC/USDC'], '2', '150000', risk),
      await pool(p('s1'), 'SOL/USDC', feeds['SOL/USDC'], '600', '90000', risk),
      await pool(p('s2'), 'SOL/USDC', feeds['SOL/USDC'], '800', '90000', risk),
      await pool(p('s3'), 'SOL/USDC', feeds['SOL/USDC'], '500', '90000', risk),
    ];
    // Net ETH: +24,000 USDC at 2,000 (under the 50,000 limit), +71,700 at 2,600 (over it).
    const adders = [p('e1'), p('e3'), p('x1')].sort();
    const others = ids.filter((id) => !adders.includes(id));
    const tickers = await Promise.all(
      Object.entries(feeds).map(async ([pair, feed]) => {
        const price = start[pair as keyof typeof start];
        await seedTicks(m.db, feed, Array(30).fill(price));
        return [pair, startTicker(m.db, feed, price, 500)] as const;
      }),
    );
    const ethUsdc = tickers.find(([pair]) => pair === 'ETH/USDC')![1];
    const deskId = `desk-${tag}`;
    try {
      for (const id of ids) await startMarketMaker(id);
      await waitFor(
        'every market maker quoting',
        async () => Object.values(await statesOf(ids)).every((s) => s === 'quoting'),
        120_000,
        500,
      );
      const { runId } = await m.client.portfolio.start({
        deskId,
        pools: ids,
        limits: { maxNetExposure: { ETH: '50000' }, minActionSeconds: 0 },
        periodMs: 500,
        maxTicksPerRun: 8,
      });
      const calm = await waitFor('a first evaluation', async () => {
        const s = await m.client.portfolio.status(deskId);
        return s.ticks >= 2 ? s : undefined;
      });
      expect(calm.breaches).toEqual([]);
      expect(calm.lastError).toBeNull();
      expect(Number(calm.exposure.find((e) => e.asset === 'ETH')!.value)).toBeCloseTo(24_000, -1);

      await ethUsdc.setPrice('2600');
      const breached = await waitFor('the ETH breach', async () => {
        const s = await m.client.portfolio.status(deskId);
        return s.breaches.length ? s : undefined;
      });
      expect(breached.breaches.map((b) => [b.key, b.pools])).toEqual([['exposure:ETH:long', adders]]);
      await waitFor(
        'the pools long ETH paused',
        async () =>
          adders.every((id) => breached.poolActions[id] === 'pause') &&
          Object.values(await statesOf(adders)).every((s) => s === 'paused'),
        60_000,
        300,
      );
      expect(Object.values(await statesOf(others))).toEqual(others.map(() => 'quoting'));

      await ethUsdc.setPrice('2000');
      await waitFor(
        'the breach cleared and the pools quoting again',
        async () => {
          const s = await m.client.portfolio.status(deskId);
          return (
            s.breaches.length === 0 && Object.values(await statesOf(ids)).every((st) => st === 'quoting')
          );
        },
        60_000,
        300,
      );
      // Written after the signals they record: waited for, not assumed.
      const events = await waitFor('the clearing recorded', async () => {
        const all = await readStream(m.db, deskStream(deskId), 0, 1000);
        return all.some((e) => e.type === 'portfolio_limit_cleared') ? all : undefined;
      });
      expect(events.filter((e) => e.type === 'portfolio_limit_breached').map((e) => e.payload)).toEqual([
        expect.objectContaining({
          key: 'exposure:ETH:long',
          threshold: '50000',
          action: 'pause',
          pools: adders,
        }),
      ]);
      expect(events.filter((e) => e.type === 'portfolio_limit_cleared')).toHaveLength(1);
      const acted = events
        .filter((e) => e.type === 'portfolio_action_taken')
        .map((e) => e.payload as { poolId: string; to: string; outcome: string });
      expect(acted.map((a) => `${a.poolId} ${a.to} ${a.outcome}`).sort()).toEqual(
        [
          ...adders.map((id) => `${id} pause pause signalled`),
          ...adders.map((id) => `${id} continue resume signalled`),
        ].sort(),
      );

      // At least one continueAsNew, carrying the risk state, before the supervisor stops.
      await waitFor('a continued run', async () => (await m.client.portfolio.status(deskId)).runs >= 2);
      const final = await m.client.portfolio.stop(deskId, 'test over');
      expect(final.state).toBe('stopped');
      // Determinism: the recorded runs (signals sent, updates, continueAsNew) replay against the code.
      const runs = await histories(portfolioSupervisorWorkflowId(deskId), runId);
      expect(runs.length).toBeGreaterThan(1);
      expect(final.runs).toBe(runs.length);
      for await (const r of Worker.runReplayHistories(
        { workflowsPath: WORKFLOWS_PATH, replayName: 'portfolio-replay' },
        runs,
      )) {
        expect(r.error).toBeUndefined();
      }
    } finally {
      await Promise.all(tickers.map(([, t]) => t.stop()));
      await Promise.all(
        ids.map((id) => m.client.stopPool(id, 'test over', { wait: false }).catch(() => undefined)),
      );
    }
  });
  it("a breach with action 'skew' moves the targets of exactly the pools that add to it, their quotes sell it down, and clearing restores each target an operator did not change", async () => {
    const feeds = { eth: `eth-skew-${tag}`, btc: `btc-skew-${tag}` };
    await seedTicks(m.db, feeds.eth, Array(30).fill('2000'));
    await seedTicks(m.db, feeds.btc, Array(30).fill('60000'));
    const tickers = [startTicker(m.db, feeds.eth, '2000', 500), startTicker(m.db, feeds.btc, '60000', 500)];
    const risk = { maxVolatility: 1000, maxInventoryDeviation: 1 };
    const k = (name: string) => `${tag}-sk-${name}`;
    // ETH exposure at 2,000 against the 50% target, in USDC: +40,000, +20,000, -30,000; none for BTC.
    const long1 = await pool(k('long1'), 'ETH/USDC', feeds.eth, '70', '60000', risk);
    const long2 = await pool(k('long2'), 'ETH/USDC', feeds.eth, '60', '80000', risk);
    const short = await pool(k('short'), 'ETH/USDC', feeds.eth, '30', '120000', risk);
    const btc = await pool(k('btc'), 'BTC/USDC', feeds.btc, '3', '180000', risk);
    const ids = [long1, long2, short, btc];
    const deskId = `skew-${tag}`;
    const targetOf = async (id: string) => (await getPool(m.db, id)).config.spreadPolicy.targetInventoryShare;
    /** The last quotes' reservation price relative to mid: below zero leans toward selling base. */
    const lean = async (id: string) => {
      const quotes = (await readStream(m.db, marketMakerStream(id), 0, 10_000)).filter(
        (e) => e.type === 'quotes_updated',
      );
      const last = quotes[quotes.length - 1]?.payload as
        { mid: string; reservationPrice: string } | undefined;
      return last
        ? { n: quotes.length, lean: Number(last.reservationPrice) / Number(last.mid) - 1 }
        : undefined;
    };
    try {
      for (const id of ids) await startMarketMaker(id);
      await waitFor(
        'every market maker quoting',
        async () => Object.values(await statesOf(ids)).every((s) => s === 'quoting'),
        120_000,
        500,
      );
      const { runId } = await m.client.portfolio.start({
        deskId,
        pools: ids,
        limits: { maxNetExposure: { ETH: '50000' }, exposureAction: 'skew', minActionSeconds: 0 },
        periodMs: 500,
        maxTicksPerRun: 8,
      });
      await waitFor('a first evaluation', async () => (await m.client.portfolio.status(deskId)).ticks >= 2);
      const before = (await waitFor('long1 quoting', () => lean(long1)))!;
      // Long ETH against its own target already: its reservation price is below mid.
      expect(before.lean).toBeLessThan(0);

      await m.client.portfolio.setLimits(deskId, {
        maxNetExposure: { ETH: '5000' },
        exposureAction: 'skew',
        skewShift: 0.2,
        minActionSeconds: 0,
      });
      const skewed = await waitFor('the long pools skewed', async () => {
        const st = await m.client.portfolio.status(deskId);
        return Object.keys(st.skewed).length === 2 ? st : undefined;
      });
      expect(skewed.breaches.map((b) => [b.key, b.action, b.pools])).toEqual([
        ['exposure:ETH:long', 'skew', [long1, long2].sort()],
      ]);
      expect(skewed.skewed).toEqual({
        [long1]: { original: 0.5, applied: 0.3 },
        [long2]: { original: 0.5, applied: 0.3 },
      });
      expect(await Promise.all(ids.map(targetOf))).toEqual([0.3, 0.3, 0.5, 0.5]);
      // Skewed, they keep quoting (nothing paused), and lean further toward selling ETH.
      expect(Object.values(await statesOf(ids))).toEqual(ids.map(() => 'quoting'));
      await waitFor('long1 quoting against its skewed target', async () => {
        const now = await lean(long1);
        return now && now.n > before.n && now.lean < before.lean;
      });
      // The skew is measured away: the desk's ETH exposure is still against the 50% targets.
      const st = await m.client.portfolio.status(deskId);
      expect(Number(st.exposure.find((e) => e.asset === 'ETH')!.value)).toBeCloseTo(30_000, -1);

      // An operator sets long2's target while it is skewed: the supervisor must leave it.
      await m.client.updateConfig(long2, { spreadPolicy: { targetInventoryShare: 0.45 } });
      await m.client.portfolio.setLimits(deskId, {
        maxNetExposure: { ETH: '60000' },
        exposureAction: 'skew',
        minActionSeconds: 0,
      });
      const cleared = await waitFor('the breach cleared and the targets given back', async () => {
        const s2 = await m.client.portfolio.status(deskId);
        return s2.breaches.length === 0 && Object.keys(s2.skewed).length === 0 ? s2 : undefined;
      });
      expect(cleared.poolActions).toEqual({});
      expect(await Promise.all(ids.map(targetOf))).toEqual([0.5, 0.45, 0.5, 0.5]);
      expect(Object.values(await statesOf(ids))).toEqual(ids.map(() => 'quoting'));

      const events = await waitFor('the restores recorded', async () => {
        const all = await readStream(m.db, deskStream(deskId), 0, 1000);
        return all.filter((e) => e.type === 'portfolio_action_taken').length >= 4 ? all : undefined;
      });
      const acted = events
        .filter((e) => e.type === 'portfolio_action_taken')
        .map((e) => e.payload as { poolId: string; to: string; target?: { from: number; to: number } });
      expect(acted.map((a) => [a.poolId, a.to, a.target]).sort()).toEqual(
        [
          [long1, 'skew', { from: 0.5, to: 0.3 }],
          [long2, 'skew', { from: 0.5, to: 0.3 }],
          [long1, 'continue', { from: 0.3, to: 0.5 }],
          [long2, 'continue', { from: 0.45, to: 0.45 }],
        ].sort(),
      );

      await waitFor('a continued run', async () => (await m.client.portfolio.status(deskId)).runs >= 2);
      await m.client.portfolio.stop(deskId, 'test over');
      const runs = await histories(portfolioSupervisorWorkflowId(deskId), runId);
      for await (const r of Worker.runReplayHistories(
        { workflowsPath: WORKFLOWS_PATH, replayName: 'portfolio-skew-replay' },
        runs,
      )) {
        expect(r.error).toBeUndefined();
      }
    } finally {
      await Promise.all(tickers.map((t) => t.stop()));
      await Promise.all(
        ids.map((id) => m.client.stopPool(id, 'test over', { wait: false }).catch(() => undefined)),
      );
    }
  });

  it('two pools with opposite exposure hedge nothing under desk netting, where alone each hedged; the net of a third is hedged once', async () => {
    const feed = `eth-net-${tag}`;
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000', 500);
    // Share 0.7 and 0.3 against a 0.5 target: each breaches maxInventoryDeviation and flattens.
    const risk = { maxVolatility: 1000, maxInventoryDeviation: 0.1, hedgeCooldownSeconds: 3600 };
    const n = (name: string) => `${tag}-${name}`;
    // At 2,000: +20 ETH and -20 ETH of exposure, two by two.
    const alone = [
      await pool(n('long-alone'), 'ETH/USDC', feed, '70', '60000', risk),
      await pool(n('short-alone'), 'ETH/USDC', feed, '30', '140000', risk),
    ];
    const netted = [
      await pool(n('long-desk'), 'ETH/USDC', feed, '70', '60000', risk),
      await pool(n('short-desk'), 'ETH/USDC', feed, '30', '140000', risk),
    ];
    const deskId = `net-${tag}`;
    const hedgesOf = (ids: string[]) =>
      m.db.selectFrom('hedges').selectAll().where('pool_id', 'in', ids).execute();
    const deskHedges = () =>
      m.db.selectFrom('desk_hedges').selectAll().where('desk_id', '=', deskId).execute();
    const flattenDecided = async (poolId: string) =>
      (await readStream(m.db, `market-maker-${poolId}`, 0, 1000)).some(
        (e) => e.type === 'risk_limit_breached' && (e.payload as { action: string }).action === 'flatten',
      );
    try {
      // The desk takes the pools' hedging over before their market makers start.
      await m.client.portfolio.start({
        deskId,
        pools: netted,
        hedging: { enabled: true, cooldownSeconds: 3600 },
        periodMs: 500,
      });
      await waitFor('a first hedge round', async () => (await m.client.portfolio.status(deskId)).lastHedge);
      for (const id of [...alone, ...netted]) await startMarketMaker(id);

      const perPool = await waitFor(
        'both pools on their own hedged',
        async () => {
          const rows = await hedgesOf(alone);
          return rows.length === 2 && rows.every((r) => r.status === 'filled') ? rows : undefined;
        },
        60_000,
        300,
      );
      expect(perPool.map((r) => `${r.pool_id} ${r.side} ${r.base_amount}`).sort()).toEqual(
        [`${alone[0]} sell 20`, `${alone[1]} buy 20`].sort(),
      );
      // The desk's pools decided the same flatten, and left it to the desk.
      await waitFor('the desk pools decided to flatten', async () =>
        (await Promise.all(netted.map(flattenDecided))).every(Boolean),
      );
      const status = await waitFor('a hedge round after the flattens', async () => {
        const s = await m.client.portfolio.status(deskId);
        return s.lastHedge?.status === 'nothing_to_hedge' && s.lastHedge.comparison ? s : undefined;
      });
      expect(status.lastHedge!.comparison).toMatchObject({
        perPoolOrders: 2,
        nettedOrders: 0,
        nettedVolume: '0',
      });
      expect(await hedgesOf(netted)).toEqual([]);
      expect(await deskHedges()).toEqual([]);

      // A third pool, long 20 ETH alone: the desk sells its net once, then waits out its cool-down.
      const third = await pool(n('third-desk'), 'ETH/USDC', feed, '70', '60000', risk);
      await m.client.portfolio.addPools(deskId, [third]);
      const sold = await waitFor('the desk hedge', async () => {
        const rows = await deskHedges();
        return rows.length && rows.every((r) => r.status === 'filled') ? rows : undefined;
      });
      expect(sold.map((r) => [r.asset, r.pair, r.side, r.base_amount])).toEqual([
        ['ETH', 'ETH/USDC', 'sell', '20'],
      ]);
      const ticked = (await m.client.portfolio.status(deskId)).ticks;
      const after = await waitFor('more evaluations', async () => {
        const st = await m.client.portfolio.status(deskId);
        return st.ticks >= ticked + 4 ? st : undefined;
      });
      expect(after.lastHedge).toMatchObject({
        status: 'hedged',
        hedges: [{ asset: 'ETH', status: 'filled' }],
      });
      // The round's own key asks again and gets the first outcome; any other round waits out the cool-down.
      const venue = defaultHedgeVenue();
      const again = {
        deskId,
        pools: after.pools,
        numeraire: 'USDC',
        hedging: parseDeskHedging(after.hedging),
      };
      const roundKey = sold[0]!.round_key;
      expect(await hedgeDeskNet(m.db, venue, { ...again, roundKey })).toMatchObject({
        status: 'hedged',
        hedges: [{ clientOrderId: sold[0]!.client_order_id, status: 'filled' }],
      });
      expect(await hedgeDeskNet(m.db, venue, { ...again, roundKey: 'another-round' })).toMatchObject({
        status: 'cool_down',
      });
      expect(await deskHedges()).toHaveLength(1);
      expect(await hedgesOf([...netted, third])).toEqual([]);
      const filled = (await readStream(m.db, deskStream(deskId), 0, 1000)).filter(
        (e) => e.type === 'desk_hedge_filled',
      );
      expect(filled.map((e) => e.payload)).toEqual([
        expect.objectContaining({
          asset: 'ETH',
          side: 'sell',
          baseAmount: '20',
          net: '-20',
          gross: '60',
          pools: [...netted, third].sort(),
        }),
      ]);

      // The dashboard reads the desk's hedges; a trader's login does not see them.
      const dashboard = createDb(urlAs(m.dbUrl, ROLES.dashboard), { maxConnections: 1 });
      const trader = createDb(urlAs(m.dbUrl, ROLES.trader), { maxConnections: 1 });
      try {
        const read = dashboard.selectFrom('desk_hedges').select('asset').where('desk_id', '=', deskId);
        expect(await read.execute()).toEqual([{ asset: 'ETH' }]);
        await expect(dashboard.deleteFrom('desk_hedges').execute()).rejects.toThrow(
          /read-only|permission denied/,
        );
        await expect(trader.selectFrom('desk_hedges').selectAll().execute()).rejects.toThrow(
          /permission denied/,
        );
      } finally {
        await dashboard.destroy();
        await trader.destroy();
      }

      // Stopping the supervisor hands hedging back to the pools.
      await m.client.portfolio.stop(deskId);
      const owners = await m.db
        .selectFrom('pools')
        .select('hedged_by_desk')
        .where('id', 'in', [...netted, third])
        .execute();
      expect(owners.map((o) => o.hedged_by_desk)).toEqual([null, null, null]);
    } finally {
      await ticker.stop();
      await Promise.all(
        [...alone, ...netted].map((id) =>
          m.client.stopPool(id, 'test over', { wait: false }).catch(() => undefined),
        ),
      );
    }
  });
  it('operators drive it with plain JSON, as the temporal CLI sends it: bad inputs are refused naming the field', async () => {
    const bad = m.client.temporal.workflow.execute('PortfolioSupervisorWorkflow', {
      taskQueue: m.client.taskQueue,
      workflowId: portfolioSupervisorWorkflowId(`bad-${tag}`),
      args: [{ deskId: `bad-${tag}`, periodMs: 5 }],
    });
    await expect(bad).rejects.toMatchObject({ cause: { message: expect.stringMatching(/periodMs/) } });

    const deskId = `cli-${tag}`;
    const feed = `eth-cli-${tag}`;
    await seedTicks(m.db, feed, ['2000']);
    // Long 20 ETH (40,000 USDC) against its 50% target; no market maker runs for it.
    const poolId = await pool(`${tag}-cli`, 'ETH/USDC', feed, '70', '60000', {});
    await m.client.portfolio.start({ deskId, pools: [poolId], periodMs: 500 });
    const handle = m.client.portfolio.supervisor(deskId);
    await expect(
      handle.executeUpdate('setLimits', { args: [{ maxNetExposure: { ETH: 'lots' } }] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/limits.maxNetExposure.ETH/) } });
    await expect(
      handle.executeUpdate('setLimits', { args: [{ exposureAction: 'skew', skewShift: 0.5 }] }),
    ).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/limits.skewShift must be less than 0.5/) },
    });
    await expect(
      handle.executeUpdate('addPools', { args: [{ pools: ['no-such-pool'] }] }),
    ).rejects.toMatchObject({
      cause: { type: 'NotFound', message: expect.stringMatching(/"no-such-pool" of desk/) },
    });
    expect(
      await handle.executeUpdate('setLimits', {
        args: [{ maxNetExposure: { ETH: '1000000' }, maxTotalLoss: '5000' }],
      }),
    ).toMatchObject({ maxNetExposure: { ETH: '1000000' }, maxTotalLoss: '5000', lossAction: 'stop' });
    const status = await waitFor('an evaluation', async () => {
      const st = await m.client.portfolio.status(deskId);
      return st.ticks >= 1 && st.totalPnl !== null ? st : undefined;
    });
    expect(status).toMatchObject({ pools: [poolId], lastError: null, breaches: [], missingPools: [] });

    // A breach holds the pool; with no market maker to tell, the action says so. Removing the pool
    // from the desk releases it.
    await m.client.portfolio.setLimits(deskId, { maxNetExposure: { ETH: '10000' }, minActionSeconds: 0 });
    const held = await waitFor('the pool held', async () => {
      const st = await m.client.portfolio.status(deskId);
      // The decision shows before its delivery is recorded: wait for both.
      return st.poolActions[poolId] === 'pause' && st.recentActions.length > 0 ? st : undefined;
    });
    expect(held.recentActions).toEqual([
      expect.objectContaining({
        poolId,
        to: 'pause',
        outcome: expect.stringMatching(/^not delivered: the market maker/),
      }),
    ]);
    expect(await m.client.portfolio.removePools(deskId, [poolId])).toEqual([]);
    const released = await waitFor('the pool released', async () => {
      const st = await m.client.portfolio.status(deskId);
      return st.recentActions.length === 2 ? st : undefined;
    });
    expect(released.recentActions[1]).toMatchObject({
      poolId,
      from: 'pause',
      to: 'continue',
      reasons: ['removed_from_desk'],
    });
    expect(released.poolActions).toEqual({});
    // The desk is empty now: every exposure is zero and the breach clears.
    const events = await waitFor('the breach cleared', async () => {
      const types = (await readStream(m.db, deskStream(deskId), 0, 100)).map((e) => e.type);
      return types.includes('portfolio_limit_cleared') ? types : undefined;
    });
    expect(events).toEqual([
      'portfolio_supervisor_started',
      'portfolio_limit_breached',
      'portfolio_action_taken',
      'portfolio_action_taken',
      'portfolio_limit_cleared',
    ]);
    await m.client.portfolio.stop(deskId);
  });
  it('the temporal CLI starts it, queries its status, sets its limits, is refused a bad value and stops it', async () => {
    const cli = findTemporalCli()?.path;
    if (!cli)
      throw new Error(
        'No Temporal CLI found (the global setup should have resolved one); set TEMPORAL_CLI_PATH.',
      );
    const run = async (args: string[], expectOk = true) => {
      const r = await runCommand(cli, [
        ...args,
        '--address',
        m.temporal.address,
        '--namespace',
        m.temporal.namespace,
      ]);
      if (expectOk && r.code !== 0)
        throw new Error(`temporal ${args.join(' ')} exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    const feed = `eth-tcli-${tag}`;
    await seedTicks(m.db, feed, ['2000']);
    const poolId = await pool(`${tag}-tcli`, 'ETH/USDC', feed, '50', '100000', {});
    const deskId = `tcli-${tag}`;
    const workflowId = portfolioSupervisorWorkflowId(deskId);
    await run([
      'workflow',
      'start',
      '--type',
      'PortfolioSupervisorWorkflow',
      '--task-queue',
      m.client.taskQueue,
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify({
        deskId,
        pools: [poolId],
        limits: { maxNetExposure: { ETH: '50000' } },
        periodMs: 500,
      }),
    ]);
    const status = async () => {
      const r = await run([
        'workflow',
        'query',
        '--workflow-id',
        workflowId,
        '--name',
        'status',
        '-o',
        'json',
      ]);
      const parsed = JSON.parse(r.stdout) as { queryResult?: unknown[] } | unknown[];
      return (Array.isArray(parsed) ? parsed[0] : parsed.queryResult?.[0]) as PortfolioSupervisorStatus;
    };
    const first = await waitFor('an evaluation read through the CLI', async () => {
      const st = await status();
      return st.ticks >= 1 && st.totalPnl !== null ? st : undefined;
    });
    expect(first).toMatchObject({ deskId, pools: [poolId], limits: { maxNetExposure: { ETH: '50000' } } });
    await run([
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      workflowId,
      '--name',
      'setLimits',
      '--input',
      JSON.stringify({ maxNetExposure: { ETH: '40000' }, maxDrawdown: '1000' }),
    ]);
    expect((await status()).limits).toMatchObject({ maxNetExposure: { ETH: '40000' }, maxDrawdown: '1000' });
    const refused = await run(
      [
        'workflow',
        'update',
        'execute',
        '--workflow-id',
        workflowId,
        '--name',
        'setLimits',
        '--input',
        '{"maxNetExposure":{"ETH":"-5"}}',
      ],
      false,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/limits.maxNetExposure.ETH/);
    await run([
      'workflow',
      'signal',
      '--workflow-id',
      workflowId,
      '--name',
      'stop',
      '--input',
      '{"reason":"end of day"}',
    ]);
    const final = (await m.client.portfolio.supervisor(deskId).result()) as PortfolioSupervisorStatus;
    expect(final).toMatchObject({ state: 'stopped', limits: { maxNetExposure: { ETH: '40000' } } });
  });
});
