import { describe, expect, it } from 'vitest';
import { newIntensityMemory, refreshIntensityFit } from '../../activities/intensity';
import type { StoredEvent } from '../../db/event-store';
import { claimSessionAttempt, takeGeneration } from '../../db/fence';
import { readExposure } from '../../db/intensity';
import { parsePoolConfig } from '../../domain/config';
import {
  createFundedPool,
  eventsOf,
  openPoolOrders,
  seedTicks,
  startTicker,
  useMarketHarness,
  waitFor,
} from '../helpers/market';

/*
 * Defect 7 of issue 11, online half: with `intensityFit.source: 'fitted'` the quoting session
 * measures how long its best quotes rest at each distance and how many takers reach them, fits A and
 * k on the pool's window, and GLFT quotes on the fit; without enough data it quotes on the configured
 * values and says why. Real Temporal dev server, real Postgres, the worker's own login.
 */

const PRIOR = { A: 1, k: 1.5 };
const fittedConfig = {
  strategy: { kind: 'glft', A: PRIOR.A, k: PRIOR.k },
  intensityFit: { source: 'fitted', refreshSeconds: 1, minFills: 5 },
};

type Intensity = { source: string; A: number; k: number; reason?: string };

const fits = (mm: StoredEvent[]) => mm.filter((e) => e.type === 'intensity_fitted');
const quotesUpdated = (mm: StoredEvent[]) => mm.filter((e) => e.type === 'quotes_updated');
const quotedIntensities = (mm: StoredEvent[]) =>
  quotesUpdated(mm).map((e) => e.payload.intensity as Intensity | undefined);
/** The level-0 width of a quotes_updated event, in bps of its mid. */
function widthBps(e: StoredEvent): number {
  const p = e.payload as { mid: string; bids: Array<{ price: string }>; asks: Array<{ price: string }> };
  return ((Number(p.asks[0]!.price) - Number(p.bids[0]!.price)) / Number(p.mid)) * 10_000;
}

describe('fitted trading intensity in live quoting', () => {
  const m = useMarketHarness('intensity');

  async function startFittingPool(config: Record<string, unknown> = fittedConfig) {
    const { poolId, feed } = await createFundedPool(m.client, { config });
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000', 500);
    await m.client.startPool(poolId, { catchUpIntervalMs: 600_000 });
    await waitFor('first quotes', async () => (await openPoolOrders(m.db, poolId)).length > 0);
    return { poolId, ticker };
  }

  it('without fills it quotes on the configured A and k and records why', async () => {
    const { poolId, ticker } = await startFittingPool();
    try {
      const fit = await waitFor('a fit refresh', async () => fits((await eventsOf(m.db, poolId)).mm)[0]);
      expect(fit.payload).toMatchObject({ source: 'configured', A: PRIOR.A, k: PRIOR.k, stdErrorK: null });
      expect(['no_exposure', 'too_few_fills']).toContain(fit.payload.reason);
      expect(String(fit.payload.detail)).toMatch(/configured A and k/);
      const quoted = quotedIntensities((await eventsOf(m.db, poolId)).mm);
      expect(quoted.length).toBeGreaterThan(0);
      for (const q of quoted) expect(q).toMatchObject({ source: 'configured', A: PRIOR.A, k: PRIOR.k });
      // The live status (heartbeat details) shows it too, once the session has beaten since.
      const status = await waitFor(
        'the fit in the status',
        async () => (await m.client.status(poolId)).intensity,
      );
      expect(status).toMatchObject({ source: 'configured', A: PRIOR.A, k: PRIOR.k });
    } finally {
      await ticker.stop();
      await m.client.stopPool(poolId, 'test done');
    }
  }, 60_000);

  it('after fills it quotes on the fitted A and k, and a restarted session fits from the stored exposure', async () => {
    const { poolId, ticker } = await startFittingPool();
    try {
      // What earlier sessions of this pool left: rests out to 60 bps with the arrivals expected from
      // A = 0.5 per second and k = 0.08 per bps.
      const truth = { A: 0.5, k: 0.08 };
      await m.db
        .insertInto('intensity_exposure')
        .values(
          Array.from({ length: 13 }, (_, i) => {
            const d = 5 * i;
            return {
              pool_id: poolId,
              sample_key: `${poolId}/earlier/${i}`,
              bin: d,
              exposure_seconds: 20_000,
              distance_seconds: 20_000 * d,
              fills: Math.round(20_000 * truth.A * Math.exp(-truth.k * d)),
            };
          }),
        )
        .execute();

      // Takers hit the pool's best bid: each is one arrival at its distance.
      const bid = await waitFor('a resting bid', async () => {
        const orders = await openPoolOrders(m.db, poolId);
        const bids = orders.filter((o) => o.side === 'buy').map((o) => Number(o.price));
        return bids.length > 0 ? Math.max(...bids) : undefined;
      });
      for (let i = 0; i < 3; i++) {
        await m.client.submitOrder({
          poolId,
          clientOrderId: `taker-${i}`,
          side: 'sell',
          type: 'ioc',
          price: String(bid - 50),
          quantity: '0.01',
        });
      }

      // The session counted the takers against its own exposure, wrote it, and fitted on the window.
      const own = await waitFor('the session storing its own arrivals', async () => {
        const rows = await m.db
          .selectFrom('intensity_exposure')
          .selectAll()
          .where('pool_id', '=', poolId)
          .where('sample_key', 'not like', `${poolId}/earlier/%`)
          .execute();
        const fills = rows.reduce((n, r) => n + r.fills, 0);
        return fills === 3 ? rows : undefined;
      });
      expect(own.every((r) => r.exposure_seconds > 0)).toBe(true);

      const fitted = await waitFor('a fitted refresh', async () =>
        fits((await eventsOf(m.db, poolId)).mm).find((e) => e.payload.source === 'fitted'),
      );
      const p = fitted.payload as Record<string, number>;
      expect(Math.abs(p.k! / truth.k - 1)).toBeLessThan(0.05);
      expect(Math.abs(p.A! / truth.A - 1)).toBeLessThan(0.1);
      expect(p.stdErrorK).toBeGreaterThan(0);
      expect(p.stdErrorA).toBeGreaterThan(0);

      // Quotes placed from then on carry the fitted parameters, which GLFT priced them with.
      const quoted = await waitFor('quotes on the fitted intensity', async () => {
        await ticker.setPrice('2010'); // a move past the tolerance makes the session requote
        return quotedIntensities((await eventsOf(m.db, poolId)).mm).find((q) => q?.source === 'fitted');
      });
      expect(Math.abs(quoted.k / truth.k - 1)).toBeLessThan(0.05);
      // GLFT priced them with it: fills decaying over ~12 bps (k 0.08) rather than under one (the
      // prior's 1.5) widen its liquidity term from under a bp to about 12 bps a side.
      const updates = quotesUpdated((await eventsOf(m.db, poolId)).mm);
      const onPrior = updates.find((e) => (e.payload.intensity as Intensity).source === 'configured')!;
      const onFit = updates.find((e) => (e.payload.intensity as Intensity).source === 'fitted')!;
      expect(widthBps(onFit)).toBeGreaterThan(widthBps(onPrior) + 10);
      await waitFor(
        'the fitted status',
        async () => (await m.client.status(poolId)).intensity?.source === 'fitted',
      );

      // A new session (pause and resume: a new generation, fresh memory) fits at once from what
      // is stored, instead of starting over on the prior.
      const before = fits((await eventsOf(m.db, poolId)).mm).length;
      await m.client.pause(poolId, 'test');
      await m.client.resume(poolId);
      const first = await waitFor('the first fit of the new session', async () => {
        const all = fits((await eventsOf(m.db, poolId)).mm).slice(before);
        return all.find((e) => e.eventId.endsWith('/intensity0a1/fitted'));
      });
      expect(first.payload.source).toBe('fitted');
    } finally {
      await ticker.stop();
      await m.client.stopPool(poolId, 'test done');
    }
  }, 90_000);

  it('a refresh repeated by a retried attempt stores its exposure once', async () => {
    const { poolId } = await createFundedPool(m.client, { config: fittedConfig });
    const cfg = parsePoolConfig(fittedConfig);
    const generation = await takeGeneration(m.db, poolId);
    const pending = [
      { bin: 3, exposureSeconds: 12, distanceSeconds: 40, fills: 2 },
      { bin: 9, exposureSeconds: 8, distanceSeconds: 76, fills: 0 },
    ];
    const refresh = async (attempt: number) => {
      expect(await claimSessionAttempt(m.db, poolId, { generation, attempt })).toBe(true);
      // The attempt resumes from heartbeat details sent before the first refresh was recorded.
      const memory = { ...newIntensityMemory(), pending: pending.map((b) => ({ ...b })) };
      return refreshIntensityFit(
        m.db,
        { poolId, fence: { generation, attempt }, cfg, nowMs: Date.now(), mid: 2000 },
        memory,
      );
    };
    await refresh(1);
    const second = await refresh(2);
    expect(await readExposure(m.db, poolId, 3600)).toEqual(pending);
    expect(second).toMatchObject({ source: 'configured', reason: 'too_few_fills', fills: 2 });
    // Each attempt's fit is recorded (an operator sees both), the exposure only once.
    expect(fits((await eventsOf(m.db, poolId)).mm)).toHaveLength(2);
  });
});
