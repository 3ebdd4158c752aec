import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './db';
import { startMarketWorker, type MarketHarness, type MarketWorkerOptions } from './market-core';
import { connectTemporal, type TemporalTestContext } from './temporal';

export * from './market-core';

/**
 * One database, one Temporal connection and one market-making worker for a test file, set up
 * before its tests and torn down after them.
 */
export function useMarketHarness(prefix: string, opts: MarketWorkerOptions = {}) {
  let t: TestDatabase | undefined;
  let temporal: TemporalTestContext | undefined;
  let h: MarketHarness | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
    temporal = await connectTemporal(prefix);
    h = await startMarketWorker(t, temporal, opts);
  });
  afterAll(async () => {
    await h?.shutdown();
    await temporal?.close();
    await t?.drop();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the market harness is used before its beforeAll ran');
    return v;
  };
  return {
    get db() {
      return ready(t).db;
    },
    get dbUrl() {
      return ready(t).url;
    },
    /** Stops the only worker (gracefully: its quotes are left resting, as after a crash). */
    async shutdownWorker() {
      await ready(h).shutdown();
    },
    async restartWorker() {
      h = await startMarketWorker(ready(t), ready(temporal), opts);
    },
    get client() {
      return ready(h).client;
    },
    get temporal() {
      return ready(temporal);
    },
  };
}
