import { pathToFileURL } from 'node:url';
import { CorrelatedGbmMarket } from '../adapters/price-feed/correlated';
import { mulberry32, normalSampler } from '../adapters/price-feed/simulated-gbm';
import { Big, formatDecimal, roundQtyToLot } from '../domain/money';
import { hedgeRequestsFromView, netHedges, type NettingRules } from '../domain/netting';
import { examplePairRegistry } from '../domain/pairs';
import { computePortfolio, type HedgeFill, type PoolPosition, type PortfolioView } from '../domain/portfolio';

/*
 * The figure issue 13 asks for: hedge volume with netting beside per-pool hedging, on one scenario.
 *
 * Ten pools over four pairs trade against taker flow on correlated prices. Each pool's flow has a
 * part of its own (noise) and a part common to its pair (informed: takers trade in the direction
 * of the next move, leaving every pool on that pair on the wrong side). The flow does not depend
 * on the hedges, so the pools' reserves follow one path and two hedge books are kept beside it:
 * - per pool: each pool hedges its own exposure to zero, every round;
 * - netted: the desk hedges the sum of all pools' exposure, every round.
 * Hedges fill at the mid of ASSET/USDC with no fee, so the two books differ only in volume, valued
 * at the fill.
 */

export interface NettingScenarioOptions {
  seed: number;
  /** Simulated seconds. */
  seconds: number;
  /** Seconds between hedge rounds. */
  hedgeEverySeconds: number;
  /** Each pool's value in USDC at the start, half in each asset. */
  poolValueUsdc: number;
  /** Standard deviation of a pool's own taker flow per second, as a fraction of its value. */
  noiseFlow: number;
  /** Flow per second against the pool in the direction of the move, per unit of log return, as a fraction of value. */
  informedFlow: number;
}

export const DEFAULT_NETTING_SCENARIO: NettingScenarioOptions = {
  seed: 13,
  seconds: 3600,
  hedgeEverySeconds: 60,
  poolValueUsdc: 100_000,
  noiseFlow: 0.002,
  informedFlow: 2,
};

export interface HedgeBookSummary {
  orders: number;
  /** Sum of |hedge| valued at the hedge's mid, in USDC. */
  volumeUsdc: string;
  /** |net exposure| per asset after the last round, in USDC. */
  finalExposureUsdc: Record<string, string>;
}

export interface NettingScenarioResult {
  options: NettingScenarioOptions;
  pools: { poolId: string; pair: string }[];
  rounds: number;
  perPool: HedgeBookSummary;
  netted: HedgeBookSummary;
  /** netted / perPool volume. */
  ratio: string;
}

const POOLS = [
  ['eth-usdc-1', 'ETH/USDC'],
  ['eth-usdc-2', 'ETH/USDC'],
  ['eth-usdc-3', 'ETH/USDC'],
  ['btc-usdc-1', 'BTC/USDC'],
  ['btc-usdc-2', 'BTC/USDC'],
  ['sol-usdc-1', 'SOL/USDC'],
  ['sol-usdc-2', 'SOL/USDC'],
  ['sol-usdc-3', 'SOL/USDC'],
  ['eth-btc-1', 'ETH/BTC'],
  ['eth-btc-2', 'ETH/BTC'],
] as const;

export function runNettingScenario(
  options: NettingScenarioOptions = DEFAULT_NETTING_SCENARIO,
): NettingScenarioResult {
  const registry = examplePairRegistry();
  let now = 0;
  const market = new CorrelatedGbmMarket({
    seed: options.seed,
    numeraire: 'USDC',
    legs: ['BTC', 'ETH', 'SOL'].map((asset) => {
      const pair = registry.get(`${asset}/USDC`);
      return {
        asset,
        initialPrice: pair.referencePrice.toFixed(),
        volatility: asset === 'BTC' ? 0.6 : asset === 'ETH' ? 0.8 : 1.1,
        tickSize: pair.tickSize.toFixed(),
      };
    }),
    correlation: [
      [1, 0.8, 0.6],
      [0.8, 1, 0.7],
      [0.6, 0.7, 1],
    ],
    crosses: [{ base: 'ETH', quote: 'BTC', tickSize: registry.get('ETH/BTC').tickSize.toFixed() }],
    stepMs: 1000,
    clock: () => now,
  });
  // A stream of its own for the flow, so the price path is the same whatever the flow settings.
  const normal = normalSampler(mulberry32((options.seed ^ 0x5bd1e995) >>> 0));

  let prices = market.snapshot().prices;
  const usdcPerBtc = prices.get('BTC/USDC')!;
  const pools: PoolPosition[] = POOLS.map(([poolId, symbol]) => {
    const pair = registry.get(symbol);
    const halfInQuote = new Big(options.poolValueUsdc / 2).div(pair.quote.symbol === 'BTC' ? usdcPerBtc : 1);
    const base = roundQtyToLot(halfInQuote.div(prices.get(symbol)!), pair.lotSize);
    const quote = base.times(prices.get(symbol)!);
    return {
      poolId,
      pair: symbol,
      reserveBase: base,
      reserveQuote: quote,
      initialBase: base,
      initialQuote: quote,
      target: { kind: 'share', share: new Big('0.5') },
    };
  });
  const rules: NettingRules = {
    numeraire: 'USDC',
    assets: Object.fromEntries(
      ['BTC', 'ETH', 'SOL'].map((a) => [
        a,
        { lotSize: registry.get(`${a}/USDC`).lotSize, minSize: registry.get(`${a}/USDC`).minSize },
      ]),
    ),
  };
  const perPoolHedges = new Map<string, HedgeFill[]>(pools.map((p) => [p.poolId, []]));
  const deskHedges: HedgeFill[] = [];
  const book = { perPool: { orders: 0, volume: new Big(0) }, netted: { orders: 0, volume: new Big(0) } };
  let rounds = 0;

  const fill = (asset: string, side: 'buy' | 'sell', quantity: Big): HedgeFill => ({
    pair: `${asset}/USDC`,
    side,
    baseAmount: quantity,
    netQuoteAmount: quantity.times(prices.get(`${asset}/USDC`)!),
  });

  for (let second = 1; second <= options.seconds; second++) {
    const before = prices;
    now += 1000;
    prices = market.snapshot().prices;
    // Informed flow is common to the pair; noise is each pool's own.
    const moves = new Map(
      [...prices.keys()].map((pair) => [pair, Math.log(Number(prices.get(pair)) / Number(before.get(pair)))]),
    );
    for (const p of pools) {
      const pair = registry.get(p.pair);
      const mid = prices.get(p.pair)!;
      const value = p.reserveBase.times(mid).plus(p.reserveQuote);
      const takerBuysFraction = options.noiseFlow * normal() + options.informedFlow * moves.get(p.pair)!;
      const qty = roundQtyToLot(
        value.times(Math.abs(takerBuysFraction).toPrecision(12)).div(mid),
        pair.lotSize,
      );
      const signed = takerBuysFraction > 0 ? qty.times(-1) : qty;
      // Takers never empty a side: a pool keeps at least a tenth of its base.
      if (
        p.reserveBase.plus(signed).lt(p.reserveBase.times('0.1')) ||
        p.reserveQuote.minus(signed.times(mid)).lt(p.reserveQuote.times('0.1'))
      )
        continue;
      p.reserveBase = p.reserveBase.plus(signed);
      p.reserveQuote = p.reserveQuote.minus(signed.times(mid));
    }

    if (second % options.hedgeEverySeconds !== 0) continue;
    rounds++;
    const quotes = [...prices.entries()].map(([pair, price]) => ({ pair, price }));
    // Per pool: each pool's exposure, its own earlier hedges included, hedged alone.
    const perPoolView = computePortfolio({
      numeraire: 'USDC',
      prices: quotes,
      pools: pools.map((p) => ({ ...p, hedges: perPoolHedges.get(p.poolId)! })),
    });
    for (const p of pools) {
      const plan = netHedges(
        hedgeRequestsFromView({
          ...perPoolView,
          pools: perPoolView.pools.filter((v) => v.poolId === p.poolId),
        }),
        rules,
      );
      for (const h of plan.hedges) {
        const f = fill(h.asset, h.side, h.quantity);
        perPoolHedges.get(p.poolId)!.push(f);
        book.perPool.orders++;
        book.perPool.volume = book.perPool.volume.plus(f.netQuoteAmount);
      }
    }
    // Netted: the desk's exposure as a whole, its earlier hedges included.
    const nettedView = computePortfolio({ numeraire: 'USDC', prices: quotes, pools, deskHedges });
    const deskRequests = [...nettedView.exposure.entries()]
      .filter(([asset, a]) => asset !== 'USDC' && !a.quantity.eq(0))
      .map(([asset, a]) => ({ poolId: 'desk', asset, quantity: a.quantity.times(-1) }));
    const plan = netHedges(deskRequests, rules);
    for (const h of plan.hedges) {
      const f = fill(h.asset, h.side, h.quantity);
      deskHedges.push(f);
      book.netted.orders++;
      book.netted.volume = book.netted.volume.plus(f.netQuoteAmount);
    }
  }

  const quotes = [...prices.entries()].map(([pair, price]) => ({ pair, price }));
  const summary = (b: { orders: number; volume: Big }, view: PortfolioView): HedgeBookSummary => ({
    orders: b.orders,
    volumeUsdc: formatDecimal(b.volume.round(2)),
    finalExposureUsdc: Object.fromEntries(
      [...view.exposure.entries()]
        .filter(([a]) => a !== 'USDC')
        .map(([a, x]) => [a, formatDecimal(x.value.abs().round(2))]),
    ),
  });
  const perPool = summary(
    book.perPool,
    computePortfolio({
      numeraire: 'USDC',
      prices: quotes,
      pools: pools.map((p) => ({ ...p, hedges: perPoolHedges.get(p.poolId)! })),
    }),
  );
  const netted = summary(
    book.netted,
    computePortfolio({ numeraire: 'USDC', prices: quotes, pools, deskHedges }),
  );
  return {
    options,
    pools: POOLS.map(([poolId, pair]) => ({ poolId, pair })),
    rounds,
    perPool,
    netted,
    ratio: book.perPool.volume.eq(0)
      ? '0'
      : formatDecimal(book.netted.volume.div(book.perPool.volume).round(4)),
  };
}

// `npx tsx sim/netting-scenario.ts [seconds] [informedFlow]` prints the figure as JSON.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [secondsArg, informedArg] = process.argv.slice(2);
  const seconds = secondsArg === undefined ? DEFAULT_NETTING_SCENARIO.seconds : Number(secondsArg);
  const informedFlow =
    informedArg === undefined ? DEFAULT_NETTING_SCENARIO.informedFlow : Number(informedArg);
  if (!Number.isInteger(seconds) || seconds <= 0 || !Number.isFinite(informedFlow) || informedFlow < 0) {
    process.stderr.write(
      `usage: npx tsx sim/netting-scenario.ts [seconds (a positive integer)] [informedFlow (a number >= 0)], got ${JSON.stringify(process.argv.slice(2))}\n`,
    );
    process.exit(2);
  }
  process.stdout.write(
    `${JSON.stringify(runNettingScenario({ ...DEFAULT_NETTING_SCENARIO, seconds, informedFlow }), null, 2)}\n`,
  );
}
