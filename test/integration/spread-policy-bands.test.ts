import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { spreadSagaWorkflowId } from '../../client';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';

type History = temporal.api.history.v1.IHistory;

/** Whether a history recorded the patch: a `core_patch` marker whose details name its id. */
function recordsPatch(history: History, patchId: string): boolean {
  return (history.events ?? []).some((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return false;
    return Object.values(marker.details ?? {}).some((p) =>
      (p.payloads ?? []).some((x) =>
        Buffer.from(x.data ?? [])
          .toString()
          .includes(patchId),
      ),
    );
  });
}

describe('the spread saga corrects out-of-bounds spreads and does not flip on a hovering share', () => {
  const m = useMarketHarness('bands');

  const poolEvents = async (poolId: string, type: string) =>
    (await eventsOf(m.db, poolId)).pool.filter((e) => e.type === type);

  it('a pool whose maxSpreadBps is lowered below its current spread gets corrected; its saga history replays', async () => {
    const { poolId, feed } = await createFundedPool(m.client);
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 1000 });
      await waitFor('quotes', async () => (await m.client.status(poolId)).state === 'quoting');
      expect(await m.client.poolSpread(poolId)).toBe('30');
      // 30 -> 28 is a change of 6.7%, inside the 10% deadband that used to hold it.
      await m.client.updateConfig(poolId, { spreadPolicy: { maxSpreadBps: '28', defaultSpreadBps: '28' } });
      const [adjusted] = await waitFor('spread_adjusted', async () => {
        const s = await poolEvents(poolId, 'spread_adjusted');
        return s.length ? s : undefined;
      });
      expect(adjusted!.payload).toMatchObject({
        oldSpreadBps: '30',
        newSpreadBps: '28',
        reasons: ['clamped_max'],
      });
      expect(await m.client.poolSpread(poolId)).toBe('28');
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
    expect(await openPoolOrders(m.db, poolId)).toEqual([]);

    // The run took the patched branch, and its history replays against the workflow code.
    const workflowId = spreadSagaWorkflowId(poolId);
    const history = await m.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    expect(recordsPatch(history, 'spread-tier-bands')).toBe(true);
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: WORKFLOWS_PATH, replayName: 'replay-tier-bands' },
        history,
        workflowId,
      ),
    ).resolves.toBeUndefined();
  });

  it('a share hovering at 0.70 records one imbalance event and one adjustment, not one per evaluation', async () => {
    // 50 ETH and 100,000 USDC: at 4660 the base value share is 0.6997 (imbalance 0.1997, no tier), at
    // 4673 it is 0.7003 (0.2003, moderate). The band keeps moderate down to an imbalance of 0.18.
    const { poolId, feed } = await createFundedPool(m.client, {
      base: '50',
      quote: '100000',
      // Volatility per second, so the small price steps stay in the normal regime.
      config: { volatility: { horizonSeconds: 1 } },
    });
    await seedTicks(m.db, feed, Array(30).fill('4660'));
    const ticker = startTicker(m.db, feed, '4660');
    const shareAt = (price: number) => (50 * price) / (50 * price + 100_000);
    /** Moves the price and waits until the saga has evaluated the pool at it. */
    const hoverTo = async (price: number) => {
      await ticker.setPrice(String(price));
      await waitFor(`the saga to evaluate the share at ${price}`, async () => {
        const share = (await m.client.spreadStatus(poolId)).lastMetrics?.inventoryShare;
        return share !== undefined && Math.abs(Number(share) - shareAt(price)) < 1e-9;
      });
    };
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 1000, catchUpIntervalMs: 500 });
      await hoverTo(4660);
      for (let i = 0; i < 3; i++) {
        await hoverTo(4673);
        await hoverTo(4660);
      }
      const detected = await poolEvents(poolId, 'inventory_imbalance_detected');
      expect(detected.map((e) => e.payload.severity)).toEqual(['moderate']);
      const adjusted = await poolEvents(poolId, 'spread_adjusted');
      expect(adjusted.map((e) => [e.payload.newSpreadBps, e.payload.reasons])).toEqual([
        ['37.5', ['inventory_imbalance_moderate']],
      ]);
      expect(await m.client.poolSpread(poolId)).toBe('37.5');
      expect((await m.client.spreadStatus(poolId)).lastMetrics?.reasons).toEqual([
        'inventory_imbalance_moderate',
      ]);
    } finally {
      await m.client.stopPool(poolId, 'test done');
      await ticker.stop();
    }
  });
});
