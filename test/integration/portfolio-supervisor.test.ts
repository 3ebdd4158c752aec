import { randomBytes } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import {
  marketMakerWorkflowId,
  portfolioSupervisorWorkflowId,
  statusQuery,
  type MarketMakerStatus,
} from '../../client';
import { readStream } from '../../db/event-store';
import { examplePairRegistry, poolMarketRules } from '../../domain/pairs';
import { deskStream } from '../../domain/streams';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
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
      const events = await readStream(m.db, deskStream(deskId), 0, 1000);
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
});
