import { mulberry32 } from '../adapters/price-feed/simulated-gbm';
import type { MarketMakingClient } from '../client';
import type { Db } from '../db/connection';
import { bookTop } from '../db/order-book';
import { getPool, updatePoolConfig } from '../db/pools';
import { mergePoolConfig, type StrategyKind } from '../domain/config';
import { Big, formatDecimal, roundQtyToLot } from '../domain/money';
import type { LookaheadFeed } from '../sim/lookahead-feed';
import { TakerPopulation, type SubmitFn, type TakerFlowParams } from '../sim/takers';
import { FEED_NAMES } from './feeds';
import type { FeedSpec } from './options';

/*
 * The demo market the run command and the chaos command drive: funded ETH/USDC pools in three
 * liquidity tiers, and per pool a seeded population of simulated takers trading against its quotes.
 */

/** Liquidity tiers of the demo pools, repeating: TVL ~100k (no widening), ~40k (x1.2), ~8k (x1.5). */
export const POOL_SCALES = [1, 0.4, 0.08];
const BASE_LIQUIDITY = '25';
const BASE_ORDER_SIZE = '1';
const LOT = '0.0001';
const MIN_SIZE = '0.001';

/**
 * Taker flow: A arrivals/s per side at zero distance, decaying 3% per bp of distance, so ~2.5/s per
 * side against the default 15 bps half-spread, ~1.6/s at 30 bps and ~1/s at 45 bps; 10% informed.
 */
export const TAKER_FLOW: Omit<TakerFlowParams, 'meanSize' | 'maxSize'> = {
  arrivalRate: 4,
  decayPerBps: 0.03,
  informedShare: 0.1,
};
const TAKER_MEAN_SIZE = 0.12;
const TAKER_STEP_MS = 200;

/** splitmix-style mixing so pool i's takers and the price path draw from unrelated sequences. */
export function seedFor(seed: number, stream: number): number {
  let x = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface DemoMarketDeps {
  client: MarketMakingClient;
  db: Db;
}

/**
 * Creates demo pool number `index` (idempotent: the liquidity goes in once, when the pool is new;
 * later runs trade on what the pool holds) and sets its strategy.
 */
export async function setUpDemoPool(
  deps: DemoMarketDeps,
  opts: {
    poolId: string;
    index: number;
    feedKind: FeedSpec['kind'];
    firstPrice: string;
    strategy: StrategyKind;
    refreshMs: number;
    runTag: string;
  },
) {
  const { client, db } = deps;
  const { poolId } = opts;
  const scale = POOL_SCALES[opts.index % POOL_SCALES.length]!;
  const base = roundQtyToLot(new Big(BASE_LIQUIDITY).times(scale), new Big(LOT));
  const quote = base.times(opts.firstPrice).round(2, Big.roundDown);
  const orderSize = roundQtyToLot(new Big(BASE_ORDER_SIZE).times(scale), new Big(LOT));
  await client.createPool({
    poolId,
    baseAsset: 'ETH',
    quoteAsset: 'USDC',
    tickSize: '0.01',
    lotSize: LOT,
    minSize: MIN_SIZE,
    priceFeed: FEED_NAMES[opts.feedKind],
    config: {
      strategy: { kind: opts.strategy },
      ladder: { levels: 3, levelSpacingBps: '10', baseOrderSize: formatDecimal(orderSize), sizeDecay: 0.7 },
      refreshIntervalMs: opts.refreshMs,
    },
  });
  if ((await getPool(db, poolId)).totalShares.eq(0)) {
    await client.addLiquidity({
      poolId,
      base: formatDecimal(base),
      quote: formatDecimal(quote),
      requestId: 'demo-initial-liquidity',
    });
  }
  const pool = await getPool(db, poolId);
  if (pool.config.strategy.kind !== opts.strategy) {
    const config = mergePoolConfig(pool.config, { strategy: { kind: opts.strategy } });
    await updatePoolConfig(db, { poolId, config, requestId: `run-${opts.runTag}-strategy` });
  }
  return { scale, pool: await getPool(db, poolId) };
}

/**
 * Informed and noise flow trade as two principals, each through its own client (its own login), so
 * trades tell them apart by owner, which the database takes from the login.
 */
export function submitAsOwner(clients: Record<string, MarketMakingClient>): SubmitFn {
  return ({ owner, ...order }) => {
    const client = clients[owner];
    if (!client) throw new Error(`no client for taker principal "${owner}"`);
    return client.submitOrder(order);
  };
}

/** What a pool's takers trade on: its feed, its pair's rules and their order sizes (base units). */
export interface DemoPoolMarket {
  feed: LookaheadFeed;
  rules: { lotSize: string; minSize: string };
  meanSize: string;
  maxSize: string;
}

/** The ETH/USDC demo pool's market at liquidity scale `scale`. */
function demoPoolMarket(feed: LookaheadFeed, scale: number): DemoPoolMarket {
  return {
    feed,
    rules: { lotSize: LOT, minSize: MIN_SIZE },
    meanSize: formatDecimal(new Big(TAKER_MEAN_SIZE).times(scale).round(4)),
    maxSize: formatDecimal(roundQtyToLot(new Big(BASE_ORDER_SIZE).times(scale), new Big(LOT))),
  };
}

export interface DemoTakers {
  populations: TakerPopulation[];
  /** Ends every pool's loop after its current step and waits for them. */
  stop(): Promise<void>;
}

/**
 * One taker population per pool, each stepping every 200 ms against the pool's best quotes and the
 * feed's reference price until stop(). A failed step is reported to onError, never thrown.
 */
export function startDemoTakers(
  db: Db,
  opts: {
    /** Sends one taker order (its owner says which population: noise or informed). */
    submit: SubmitFn;
    poolIds: string[];
    seed: number;
    runTag: string;
    onError: (err: unknown) => void;
  } & (
    | {
        /** The ETH/USDC demo: one feed, pool i at liquidity scale scales[i]. */ scales: number[];
        feed: LookaheadFeed;
      }
    | { /** Any pairs: pool i trades on markets[i]. */ markets: DemoPoolMarket[] }
  ),
): DemoTakers {
  let stopped = false;
  const markets =
    'markets' in opts ? opts.markets : opts.scales.map((scale) => demoPoolMarket(opts.feed, scale));
  const populations = opts.poolIds.map(
    (poolId, i) =>
      new TakerPopulation({
        poolId,
        rng: mulberry32(seedFor(opts.seed, i)),
        params: { ...TAKER_FLOW, meanSize: markets[i]!.meanSize, maxSize: markets[i]!.maxSize },
        rules: markets[i]!.rules,
        idPrefix: `run-${opts.runTag}-${poolId}`,
        submit: opts.submit,
      }),
  );
  const loops = populations.map(async (t, i) => {
    const feed = markets[i]!.feed;
    let next = Date.now();
    while (!stopped) {
      const reference = feed.current();
      if (reference !== null) {
        try {
          const top = await bookTop(db, opts.poolIds[i]!);
          await t.step(
            {
              reference,
              nextReference: feed.upcoming(),
              bestBid: top.bestBid ?? null,
              bestAsk: top.bestAsk ?? null,
            },
            TAKER_STEP_MS / 1000,
          );
        } catch (err) {
          opts.onError(err);
        }
      }
      next += TAKER_STEP_MS;
      await sleep(Math.max(0, next - Date.now()));
    }
  });
  return {
    populations,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
