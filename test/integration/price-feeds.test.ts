import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CsvReplayFeed } from '../../adapters/price-feed/csv-replay';
import { HttpTickerFeed } from '../../adapters/price-feed/http-ticker';
import { startIngester, type Ingester, type IngesterOptions } from '../../adapters/price-feed/ingester';
import { SimulatedGbmFeed } from '../../adapters/price-feed/simulated-gbm';
import { createDb } from '../../db/connection';
import { insertTicks, latestTick, recentTicks, tickAgeSeconds } from '../../db/price-ticks';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

const T0 = Date.parse('2024-06-01T00:00:00Z');
const quiet = { warn: () => {} };

async function countRows(t: TestDatabase, feed: string): Promise<number> {
  const r = await sql<{
    n: string;
  }>`select count(*)::text as n from price_ticks where feed = ${feed}`.execute(t.db);
  return Number(r.rows[0]!.n);
}

describe('price feeds into price_ticks on real Postgres', () => {
  let t: TestDatabase;
  const running: Ingester[] = [];
  const start = (opts: IngesterOptions): Ingester => {
    const ingester = startIngester(opts);
    running.push(ingester);
    return ingester;
  };

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(running.map((i) => i.stop()));
    await t.drop();
  });

  it('stores, reads back and ages ticks; a repeated insert writes nothing', async () => {
    const ticks = [
      { feed: 'repo', price: '2000.50', observedAtMs: T0 },
      { feed: 'repo', price: '2001', observedAtMs: T0 + 1000 },
      { feed: 'repo', price: '1999.125', observedAtMs: T0 + 2500 },
      { feed: 'other', price: '5', observedAtMs: T0 + 9000 },
    ];
    expect(await insertTicks(t.db, ticks)).toBe(4);
    expect(await insertTicks(t.db, ticks)).toBe(0);
    // Duplicates inside one batch are skipped as well.
    expect(await insertTicks(t.db, [ticks[0]!, { ...ticks[0]!, price: '1' }])).toBe(0);
    expect(await countRows(t, 'repo')).toBe(3);

    expect(await latestTick(t.db, 'repo')).toEqual({
      feed: 'repo',
      price: '1999.125',
      observedAtMs: T0 + 2500,
    });
    expect(await latestTick(t.db, 'nobody')).toBeNull();
    expect(await recentTicks(t.db, 'repo', { limit: 2 })).toEqual([
      { price: '2001', observedAtMs: T0 + 1000 },
      { price: '1999.125', observedAtMs: T0 + 2500 },
    ]);
    expect(await recentTicks(t.db, 'repo', { limit: 10, sinceMs: T0 + 1 })).toHaveLength(2);
    expect((await recentTicks(t.db, 'repo', { limit: 10 })).map((r) => r.price)).toEqual([
      '2000.5',
      '2001',
      '1999.125',
    ]);
    expect(await tickAgeSeconds(t.db, 'repo', T0 + 10_000)).toBe(7.5);
    expect(await tickAgeSeconds(t.db, 'nobody', T0)).toBeNull();

    await expect(insertTicks(t.db, [{ feed: 'repo', price: '0', observedAtMs: T0 + 5 }])).rejects.toThrow(
      /ticks\[0\]\.price must not be zero/,
    );
    await expect(insertTicks(t.db, [{ feed: 'repo', price: '1', observedAtMs: 1.5 }])).rejects.toThrow(
      /observedAtMs must be integer epoch milliseconds/,
    );
  });

  it('ingests a seeded GBM feed; its latest tick and age are visible', async () => {
    let now = T0;
    // Each clock reading is one step later, so every poll yields exactly one new step.
    const feed = new SimulatedGbmFeed({
      name: 'gbm',
      seed: 1,
      initialPrice: '3000',
      volatility: 0.6,
      stepMs: 1000,
      decimals: 6,
      clock: () => (now += 1000),
    });
    const ingester = start({ db: t.db, feed, intervalMs: 1, logger: quiet, clock: () => now });
    await vi.waitFor(() => expect(ingester.stats().ticksStored).toBeGreaterThanOrEqual(20), {
      timeout: 10_000,
    });
    await ingester.stop();

    const stats = ingester.stats();
    expect(stats).toMatchObject({ errors: 0, pending: 0, running: false, ticksStored: stats.ticksReceived });
    expect(await countRows(t, 'gbm')).toBe(stats.ticksStored);
    const latest = await latestTick(t.db, 'gbm');
    expect(latest?.observedAtMs).toBe(stats.lastTickObservedAtMs);
    expect(await tickAgeSeconds(t.db, 'gbm', latest!.observedAtMs + 4_000)).toBe(4);
    expect(stats.lastTickAgeSeconds).toBe((now - latest!.observedAtMs) / 1000);

    // The stored series is the reproducible one: a fresh feed with the same seed gives the same prices.
    let replayNow = T0;
    const again = new SimulatedGbmFeed({
      name: 'gbm',
      seed: 1,
      initialPrice: '3000',
      volatility: 0.6,
      stepMs: 1000,
      decimals: 6,
      clock: () => (replayNow += 1000),
    });
    const expected = [];
    for (let i = 0; i < stats.ticksStored; i++) expected.push((await again.next())!);
    expect(await recentTicks(t.db, 'gbm', { limit: 1000 })).toEqual(
      expected.map(({ price, observedAtMs }) => ({ price, observedAtMs })),
    );
  });

  it('ingests a CSV replay; ingesting it again writes nothing twice', async () => {
    const lines = ['timestamp,price'];
    for (let i = 0; i < 250; i++)
      lines.push(`${new Date(T0 + i * 60_000).toISOString()},${(100 + i / 8).toFixed(3)}`);
    const csv = lines.join('\n');

    const first = start({
      db: t.db,
      feed: new CsvReplayFeed({ name: 'csv', csv }),
      intervalMs: 1,
      maxTicksPerPoll: 100,
      logger: quiet,
    });
    await vi.waitFor(() => expect(first.stats().ticksStored).toBe(250), { timeout: 10_000 });
    await first.stop();
    const stored = await recentTicks(t.db, 'csv', { limit: 1000 });
    expect(stored).toHaveLength(250);
    expect(stored[0]).toEqual({ price: '100', observedAtMs: T0 });
    expect(stored[249]).toEqual({ price: '131.125', observedAtMs: T0 + 249 * 60_000 });

    const second = start({
      db: t.db,
      feed: new CsvReplayFeed({ name: 'csv', csv }),
      intervalMs: 1,
      maxTicksPerPoll: 100,
      logger: quiet,
    });
    await vi.waitFor(() => expect(second.stats().ticksReceived).toBe(250), { timeout: 10_000 });
    await second.stop();
    expect(second.stats()).toMatchObject({ ticksReceived: 250, ticksStored: 0, errors: 0, pending: 0 });
    expect(await countRows(t, 'csv')).toBe(250);
  });

  describe('HTTP ticker against a local server', () => {
    let server: Server;
    let url: string;
    let requests = 0;

    beforeAll(async () => {
      server = createServer((req, res) => {
        requests++;
        // Every third request fails, so the ingester must count errors and keep going.
        if (requests % 3 === 0) return void res.writeHead(502).end('bad gateway');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ result: [{ last: 2000 + requests / 4 }] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ticker`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('stores polled prices, counts and logs feed errors without stopping', async () => {
      let now = T0;
      const feed = new HttpTickerFeed({
        name: 'http',
        url,
        pricePath: 'result.0.last',
        timeoutMs: 2000,
        clock: () => (now += 500),
      });
      const onError = vi.fn();
      const logger = { warn: vi.fn() };
      const ingester = start({ db: t.db, feed, intervalMs: 5, onError, logger, clock: () => now });
      await vi.waitFor(() => expect(ingester.stats().ticksStored).toBeGreaterThanOrEqual(8), {
        timeout: 10_000,
      });
      await ingester.stop();

      const stats = ingester.stats();
      expect(stats.errors).toBeGreaterThanOrEqual(3);
      expect(onError).toHaveBeenCalledTimes(stats.errors);
      expect(onError.mock.calls[0]![0].message).toMatch(`GET ${url} returned HTTP 502`);
      expect(logger.warn).toHaveBeenCalledTimes(stats.errors);
      const stored = await recentTicks(t.db, 'http', { limit: 1000 });
      expect(stored).toHaveLength(stats.ticksStored);
      // Request 1 answered 2000 + 1/4; decimals arrive exactly, never as binary floats.
      expect(stored[0]!.price).toBe('2000.25');
      expect(stored.every((r) => /^\d+(\.\d+)?$/.test(r.price))).toBe(true);
      expect(await tickAgeSeconds(t.db, 'http', now)).toBe(stats.lastTickAgeSeconds);
    });
  });

  it('keeps ticks pending and counts errors while the database is unreachable', async () => {
    // Port 1 on loopback refuses at once: a database that is down, without waiting for a timeout.
    const down = createDb('postgres://lpmm@127.0.0.1:1/none', { maxConnections: 1 });
    const csv = `${T0},1\n${T0 + 1},2\n${T0 + 2},3\n`;
    const ingester = start({
      db: down,
      feed: new CsvReplayFeed({ name: 'down', csv }),
      intervalMs: 5,
      logger: quiet,
    });
    await vi.waitFor(() => expect(ingester.stats().errors).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    await ingester.stop();
    await down.destroy();
    expect(ingester.stats()).toMatchObject({ ticksReceived: 3, ticksStored: 0, pending: 3, running: false });
    expect(ingester.stats().lastError).toMatch(/ECONNREFUSED|connect/);
  });
});
