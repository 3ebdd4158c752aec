import { readFile } from 'node:fs/promises';
import { CsvReplayFeed, parseCsvTicks } from '../adapters/price-feed/csv-replay';
import { HttpTickerFeed } from '../adapters/price-feed/http-ticker';
import { SimulatedGbmFeed, type GbmRegimeChange } from '../adapters/price-feed/simulated-gbm';
import type { PriceTick } from '../adapters/price-feed/port';
import type { Db } from '../db/connection';
import { insertTicks, latestTick } from '../db/price-ticks';
import { LookaheadFeed } from '../sim/lookahead-feed';
import { UsageError, type FeedSpec } from './options';

/*
 * The price feeds the run command can use. Each kind stores its ticks under its own feed name and
 * gets its own pools, so a replayed file never shares a volatility window with simulated prices.
 */

export const FEED_NAMES: Record<FeedSpec['kind'], string> = {
  sim: 'ETH-USDC-SIM',
  csv: 'ETH-USDC-CSV',
  http: 'ETH-USDC-HTTP',
};

/** Pool ids per feed kind: eth-usdc-1 for the simulation, eth-usdc-csv-1 for a replay, and so on. */
export const poolIdPrefix = (spec: FeedSpec) => (spec.kind === 'sim' ? 'eth-usdc' : `eth-usdc-${spec.kind}`);

/** Simulated volatility: 3% per hour (the saga's "normal"), in the GBM's per-second basis. */
export const SIM_BASE_VOLATILITY_PER_SECOND = 0.03 / Math.sqrt(3600);
export const SIM_INITIAL_PRICE = '2000';
/** Seconds of simulated history written before the run, so the volatility window is full from the start. */
export const SIM_WARMUP_SECONDS = 90;
const SIM_STEP_MS = 1000;

/**
 * The demo scenario, repeated every cycle (the run's duration up to 120 s): calm, then a volatility
 * spike to ~7.5%/h ("high"), then ~15%/h ("extreme"), then calm again, so a two-minute run sees the
 * saga widen, widen further and narrow back.
 */
export function demoRegimes(cycleMs: number, totalMs: number, offsetMs = 0): GbmRegimeChange[] {
  const phases: Array<[number, number]> = [
    [0.25, 2.5],
    [0.45, 5],
    [0.65, 1],
  ];
  const out: GbmRegimeChange[] = [];
  for (let start = 0; start < totalMs; start += cycleMs) {
    for (const [at, multiplier] of phases)
      out.push({ atElapsedMs: offsetMs + start + at * cycleMs, volatilityMultiplier: multiplier });
  }
  return out;
}

export interface RunFeed {
  spec: FeedSpec;
  feed: LookaheadFeed;
  /** The first price, used to size the demo pools' quote liquidity. */
  firstPrice: string;
  description: string;
  pollMs: number;
}

export async function openFeed(
  spec: FeedSpec,
  opts: { db: Db; seed: number; durationMs: number; nowMs?: number },
): Promise<RunFeed> {
  const name = FEED_NAMES[spec.kind];
  const now = opts.nowMs ?? Date.now();
  switch (spec.kind) {
    case 'sim': {
      // Continue from the feed's last stored price (a rerun on the same database starts where the
      // last one ended, without a jump) and write a warm-up history just before now.
      const last = await latestTick(opts.db, name);
      const initialPrice = last?.price ?? SIM_INITIAL_PRICE;
      const warmupStart = Math.max(now - SIM_WARMUP_SECONDS * 1000, (last?.observedAtMs ?? 0) + SIM_STEP_MS);
      const warmupMs = Math.max(0, now - warmupStart);
      const cycleMs = opts.durationMs > 0 ? Math.min(opts.durationMs, 120_000) : 120_000;
      const totalMs = opts.durationMs > 0 ? opts.durationMs : 24 * 3600_000;
      let fakeNow: number | null = warmupStart;
      const gbm = new SimulatedGbmFeed({
        name,
        seed: opts.seed,
        initialPrice,
        volatility: SIM_BASE_VOLATILITY_PER_SECOND,
        timeBasis: 'second',
        stepMs: SIM_STEP_MS,
        decimals: 2,
        clock: () => fakeNow ?? Date.now(),
        regimes: demoRegimes(cycleMs, totalMs, warmupMs),
      });
      const warmup: PriceTick[] = [];
      for (let t = warmupStart; t <= now; t += SIM_STEP_MS) {
        fakeNow = t;
        const tick = await gbm.next();
        if (tick) warmup.push(tick);
      }
      fakeNow = null;
      if (warmup.length) await insertTicks(opts.db, warmup);
      return {
        spec,
        feed: new LookaheadFeed(gbm, { lookahead: true, lastPublished: warmup[warmup.length - 1] ?? null }),
        firstPrice: initialPrice,
        description: `simulated GBM from ${initialPrice} (seed ${opts.seed}, 3%/h, spikes to 7.5%/h and 15%/h every ${cycleMs / 1000} s)`,
        pollMs: SIM_STEP_MS,
      };
    }
    case 'csv': {
      let text: string;
      try {
        text = await readFile(spec.path, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read the price CSV ${spec.path}: ${(err as Error).message}`);
      }
      const rows = parseCsvTicks(text, spec.path);
      const csv = new CsvReplayFeed({ name, csv: text, source: spec.path, loop: true, timestamps: 'rebase' });
      return {
        spec,
        feed: new LookaheadFeed(csv, { lookahead: true }),
        firstPrice: rows[0]!.price,
        description: `replay of ${spec.path} (${rows.length} rows, one per second, looping, timestamps rebased to now)`,
        pollMs: 1000,
      };
    }
    case 'http': {
      const http = new HttpTickerFeed({ name, url: spec.url, pricePath: spec.pricePath });
      const first = await http.next();
      await insertTicks(opts.db, [first]);
      return {
        spec,
        feed: new LookaheadFeed(http, { lookahead: false, lastPublished: first }),
        firstPrice: first.price,
        description: `HTTP ticker ${spec.url} at "${spec.pricePath}", polled every 2 s (no informed flow: the next price is unknown)`,
        pollMs: 2000,
      };
    }
  }
}
