import { CorrelatedGbmMarket } from '../adapters/price-feed/correlated';
import type { PriceTick } from '../adapters/price-feed/port';
import type { Db } from '../db/connection';
import { getPool, updatePoolConfig } from '../db/pools';
import { insertTicks, latestTick } from '../db/price-ticks';
import { mergePoolConfig, type StrategyKind } from '../domain/config';
import {
  DEFAULT_DESK_SIZING,
  deskMarketSpec,
  legCorrelationMatrix,
  planDeskPool,
  quoteValuesInNumeraire,
  type DeskPoolPlan,
} from '../domain/desk';
import { Big, formatDecimal } from '../domain/money';
import { poolMarketRules, type Pair, type PairRegistry } from '../domain/pairs';
import { LookaheadFeed } from '../sim/lookahead-feed';
import { POOL_SCALES, type DemoMarketDeps, type DemoPoolMarket } from './demo-market';
import { SIM_BASE_VOLATILITY_PER_SECOND, SIM_WARMUP_SECONDS } from './feeds';

/*
 * The multi-pair desk of `npm start -- --pairs ...`: one correlated market (a GBM leg per asset in
 * USDC, cross rates derived from the legs) feeds every pair, and each pair gets `--pools` pools
 * sized in USDC (domain/desk.ts), in the demo's liquidity tiers.
 */

export const DESK_NUMERAIRE = 'USDC';
const STEP_MS = 1000;
/** Taker orders average 12% of the pool's level-0 order, as in the ETH/USDC demo (0.12 of 1 ETH). */
const TAKER_MEAN_SHARE_OF_ORDER = new Big('0.12');

export const deskFeedName = (pair: string) => `DESK-${pair.replace('/', '-')}-SIM`;
export const deskPoolId = (pair: Pair, n: number) =>
  `desk-${pair.base.symbol}-${pair.quote.symbol}-${n}`.toLowerCase();

export interface DeskMarket {
  market: CorrelatedGbmMarket;
  /** Every simulated pair's feed (legs and crosses), ingested whether quoted or not: the portfolio values through them. */
  feeds: Map<string, LookaheadFeed>;
  /** The first price of every simulated pair. */
  firstPrices: Map<string, Big>;
  description: string;
}

/**
 * Opens the correlated market. Each leg continues from its feed's last stored price (a rerun on the
 * same database does not jump), and a warm-up history is written just before now so the pools'
 * volatility windows are full from the start.
 */
export async function openDeskMarket(
  pairs: readonly Pair[],
  registry: PairRegistry,
  opts: { db: Db; seed: number; correlation?: number; nowMs?: number },
): Promise<DeskMarket> {
  const spec = deskMarketSpec(pairs, registry, DESK_NUMERAIRE);
  const now = opts.nowMs ?? Date.now();
  const assets = spec.legs.map((p) => p.base.symbol);
  const lasts = await Promise.all(spec.legs.map((p) => latestTick(opts.db, deskFeedName(p.symbol))));
  const lastMs = Math.max(0, ...lasts.map((t) => t?.observedAtMs ?? 0));
  const warmupStart = Math.max(now - SIM_WARMUP_SECONDS * 1000, lastMs + STEP_MS);
  let fakeNow: number | null = warmupStart;
  const matrix = legCorrelationMatrix(assets, opts.correlation);
  const market = new CorrelatedGbmMarket({
    seed: opts.seed,
    numeraire: DESK_NUMERAIRE,
    legs: spec.legs.map((p, i) => ({
      asset: p.base.symbol,
      initialPrice: lasts[i]?.price ?? formatDecimal(p.referencePrice),
      volatility: SIM_BASE_VOLATILITY_PER_SECOND,
      tickSize: formatDecimal(p.tickSize),
    })),
    correlation: matrix,
    crosses: spec.crosses.map((p) => ({
      base: p.base.symbol,
      quote: p.quote.symbol,
      tickSize: formatDecimal(p.tickSize),
    })),
    stepMs: STEP_MS,
    timeBasis: 'second',
    clock: () => fakeNow ?? Date.now(),
    feedName: (base, quote) => deskFeedName(`${base}/${quote}`),
  });
  const raw = new Map(market.pairs().map((pair) => [pair, market.feed(pair)]));
  const warmup = new Map<string, PriceTick[]>([...raw.keys()].map((k) => [k, []]));
  for (let t = warmupStart; t <= now; t += STEP_MS) {
    fakeNow = t;
    for (const [pair, feed] of raw) {
      const tick = await feed.next();
      if (tick) warmup.get(pair)!.push(tick);
    }
  }
  fakeNow = null;
  const all = [...warmup.values()].flat();
  if (all.length) await insertTicks(opts.db, all);
  const feeds = new Map(
    [...raw].map(([pair, feed]) => {
      const ticks = warmup.get(pair)!;
      return [
        pair,
        new LookaheadFeed(feed, { lookahead: true, lastPublished: ticks[ticks.length - 1] ?? null }),
      ];
    }),
  );
  const firstPrices = market.snapshot().prices;
  const corr = assets
    .flatMap((a, i) => assets.slice(i + 1).map((b, j) => `${a}/${b} ${matrix[i]![i + 1 + j]}`))
    .join(', ');
  return {
    market,
    feeds,
    firstPrices,
    description:
      `correlated GBM legs in ${DESK_NUMERAIRE} (${spec.legs.map((p) => `${p.symbol} from ${lasts[spec.legs.indexOf(p)]?.price ?? formatDecimal(p.referencePrice)}`).join(', ')}; 3%/h each; ` +
      `correlations ${corr || 'none (one leg)'}; seed ${opts.seed})` +
      (spec.crosses.length
        ? `, crosses ${spec.crosses.map((p) => p.symbol).join(', ')} derived from the legs`
        : ''),
  };
}

export interface DeskPool extends DemoPoolMarket {
  poolId: string;
  pair: Pair;
  plan: DeskPoolPlan;
}

/**
 * Creates (idempotently) the pools of every pair, `poolsPerPair` each, funded once when new, and sets
 * the run's strategy. Pool n of a pair is in the demo's tier n (TVL ~100k, ~40k, ~8k USDC).
 */
export async function setUpDeskPools(
  deps: DemoMarketDeps,
  desk: DeskMarket,
  pairs: readonly Pair[],
  opts: { poolsPerPair: number; strategy: StrategyKind; refreshMs: number; runTag: string },
): Promise<DeskPool[]> {
  const { client, db } = deps;
  const rates = quoteValuesInNumeraire(desk.firstPrices, pairs, DESK_NUMERAIRE);
  const out: DeskPool[] = [];
  for (const pair of pairs) {
    const price = desk.firstPrices.get(pair.symbol)!;
    for (let i = 0; i < opts.poolsPerPair; i++) {
      const poolId = deskPoolId(pair, i + 1);
      const scale = POOL_SCALES[i % POOL_SCALES.length]!;
      const plan = planDeskPool(pair, price, rates.get(pair.symbol)!, DEFAULT_DESK_SIZING, { scale });
      await client.createPool({
        poolId,
        ...poolMarketRules(pair),
        priceFeed: deskFeedName(pair.symbol),
        config: {
          ...plan.config,
          strategy: { kind: opts.strategy },
          ladder: { levels: 3, levelSpacingBps: '10', sizeDecay: 0.7, ...plan.config.ladder },
          refreshIntervalMs: opts.refreshMs,
        },
      });
      if ((await getPool(db, poolId)).totalShares.eq(0)) {
        await client.addLiquidity({
          poolId,
          base: formatDecimal(plan.liquidity.base),
          quote: formatDecimal(plan.liquidity.quote),
          requestId: 'desk-initial-liquidity',
        });
      }
      const pool = await getPool(db, poolId);
      if (pool.config.strategy.kind !== opts.strategy) {
        const config = mergePoolConfig(pool.config, { strategy: { kind: opts.strategy } });
        await updatePoolConfig(db, { poolId, config, requestId: `run-${opts.runTag}-strategy` });
      }
      out.push({
        poolId,
        pair,
        plan,
        feed: desk.feeds.get(pair.symbol)!,
        rules: { lotSize: formatDecimal(pair.lotSize), minSize: formatDecimal(pair.minSize) },
        meanSize: formatDecimal(
          plan.orderSize.times(TAKER_MEAN_SHARE_OF_ORDER).round(pair.base.decimals, Big.roundDown),
        ),
        maxSize: formatDecimal(plan.orderSize),
      });
    }
  }
  return out;
}
