import { DomainValidationError } from './errors';
import { Big, RATIO_DECIMALS, divideAt, floorToStep, formatDecimal } from './money';
import { baseSizeForQuoteValue, pairSymbol, type Pair, type PairRegistry } from './pairs';
import { buildPriceGraph } from './price-graph';

/*
 * A multi-pair desk's pools, sized in one numeraire. Every amount a pool's config holds in quote
 * units (order size, the spread policy's TVL tiers, the loss and order-notional limits) is set from
 * a value in the numeraire converted at the pair's price, so an ETH/BTC pool worth 100,000 USDC gets
 * the same order value, the same TVL tier and the same loss limit as a BTC/USDC pool worth as much,
 * instead of thresholds of "10,000" that mean USDC on one pair and BTC on the other.
 */

/** Values in the numeraire. */
export interface DeskSizing {
  /** What each pool is funded with, split at the pair's price by the pool's inventory target. */
  poolValue: Big;
  /** ladder.baseOrderSize, worth this much (the level-0 size; deeper levels decay from it). */
  orderValue: Big;
  /** spreadPolicy.lowTvlThreshold and mediumTvlThreshold. */
  lowTvl: Big;
  mediumTvl: Big;
  /** risk.maxLoss and risk.maxOrderNotional. */
  maxLoss: Big;
  maxOrderNotional: Big;
}

/**
 * The single-pair defaults read in the numeraire: on ETH/USDC a desk pool gets exactly the demo
 * pool's sizes (25 ETH + 50,000 USDC, 1 ETH orders, tiers at 10,000 and 50,000).
 */
export const DEFAULT_DESK_SIZING: Readonly<DeskSizing> = Object.freeze({
  poolValue: new Big(100_000),
  orderValue: new Big(2_000),
  lowTvl: new Big(10_000),
  mediumTvl: new Big(50_000),
  maxLoss: new Big(100_000),
  maxOrderNotional: new Big(1_000_000),
});

export interface DeskPoolPlan {
  pair: Pair;
  /** Numeraire per unit of the pair's quote asset at the planning prices. */
  quoteInNumeraire: Big;
  liquidity: { base: Big; quote: Big };
  orderSize: Big;
  /** A pool-config patch (plain JSON, decimal strings) with every quote-unit amount of the sizing. */
  config: {
    ladder: { baseOrderSize: string };
    spreadPolicy: { lowTvlThreshold: string; mediumTvlThreshold: string; targetInventoryShare: number };
    risk: { maxLoss: string; maxOrderNotional: string };
  };
}

/** A numeraire value in the pair's quote units, down to the quote asset's smallest unit (at least one). */
function inQuote(value: Big, pair: Pair, quoteInNumeraire: Big): string {
  const unit = new Big(1).div(new Big(10).pow(pair.quote.decimals));
  const q = floorToStep(divideAt(value, quoteInNumeraire, RATIO_DECIMALS, Big.roundDown), unit);
  return formatDecimal(q.gt(0) ? q : unit);
}

/**
 * One pool of `pair` at `price` (quote per base), its numeraire values scaled by `scale` (the demo's
 * liquidity tiers). Throws when the order value is below the pair's minimum size: the pair's rules
 * or the sizing have to change, not the order silently grow.
 */
export function planDeskPool(
  pair: Pair,
  price: Big,
  quoteInNumeraire: Big,
  sizing: DeskSizing = DEFAULT_DESK_SIZING,
  opts: { scale?: number; targetInventoryShare?: number } = {},
): DeskPoolPlan {
  const scale = new Big(opts.scale ?? 1);
  const share = opts.targetInventoryShare ?? 0.5;
  if (price.lte(0) || quoteInNumeraire.lte(0)) {
    throw new DomainValidationError(
      'price',
      `${pair.symbol}: price and quote value must be positive, got "${formatDecimal(price)}" and "${formatDecimal(quoteInNumeraire)}"`,
    );
  }
  const poolQuoteValue = divideAt(
    sizing.poolValue.times(scale),
    quoteInNumeraire,
    RATIO_DECIMALS,
    Big.roundDown,
  );
  const base = floorToStep(
    divideAt(poolQuoteValue.times(share), price, RATIO_DECIMALS, Big.roundDown),
    pair.lotSize,
  );
  const unit = new Big(1).div(new Big(10).pow(pair.quote.decimals));
  const quote = floorToStep(poolQuoteValue.minus(base.times(price)), unit);
  const orderQuoteValue = divideAt(
    sizing.orderValue.times(scale),
    quoteInNumeraire,
    RATIO_DECIMALS,
    Big.roundDown,
  );
  const orderSize = baseSizeForQuoteValue(pair, orderQuoteValue, price);
  if (orderSize === null) {
    throw new DomainValidationError(
      'orderValue',
      `${pair.symbol}: an order worth ${formatDecimal(sizing.orderValue.times(scale))} in the numeraire is below the pair's minimum size ${formatDecimal(pair.minSize)} ${pair.base.symbol}; raise the order value or lower the pair's minSize`,
    );
  }
  return {
    pair,
    quoteInNumeraire,
    liquidity: { base, quote },
    orderSize,
    config: {
      ladder: { baseOrderSize: formatDecimal(orderSize) },
      spreadPolicy: {
        lowTvlThreshold: inQuote(sizing.lowTvl, pair, quoteInNumeraire),
        mediumTvlThreshold: inQuote(sizing.mediumTvl, pair, quoteInNumeraire),
        targetInventoryShare: share,
      },
      risk: {
        maxLoss: inQuote(sizing.maxLoss, pair, quoteInNumeraire),
        maxOrderNotional: inQuote(sizing.maxOrderNotional, pair, quoteInNumeraire),
      },
    },
  };
}

/** Numeraire per unit of each pair's quote asset, through the pairs' prices (e.g. BTC via BTC/USDC). */
export function quoteValuesInNumeraire(
  prices: ReadonlyMap<string, Big>,
  pairs: readonly Pair[],
  numeraire: string,
): Map<string, Big> {
  const graph = buildPriceGraph([...prices].map(([pair, price]) => ({ pair, price })));
  const out = new Map<string, Big>();
  for (const p of pairs) {
    out.set(
      p.symbol,
      p.quote.symbol === numeraire ? new Big(1) : graph.convert(new Big(1), p.quote.symbol, numeraire),
    );
  }
  return out;
}

export interface DeskMarketSpec {
  numeraire: string;
  /** One leg per asset other than the numeraire, priced in it: the pair that supplies its rules. */
  legs: Pair[];
  /** Selected pairs between two legs (ETH/BTC), derived from the legs' prices. */
  crosses: Pair[];
}

/**
 * The correlated market behind a desk's pairs. Every asset other than the numeraire needs its leg,
 * ASSET/numeraire, in the registry (even when that pair is not quoted: ETH/BTC alone still needs
 * ETH/USDC and BTC/USDC to price it); a pair with the numeraire as its base is refused.
 */
export function deskMarketSpec(
  pairs: readonly Pair[],
  registry: PairRegistry,
  numeraire: string,
): DeskMarketSpec {
  const legs = new Map<string, Pair>();
  const crosses: Pair[] = [];
  for (const p of pairs) {
    if (p.base.symbol === numeraire) {
      throw new DomainValidationError(
        'pairs',
        `${p.symbol}: the numeraire ${numeraire} must not be a pair's base; quote the pair the other way round`,
      );
    }
    for (const asset of [p.base.symbol, p.quote.symbol]) {
      if (asset === numeraire || legs.has(asset)) continue;
      const leg = pairSymbol(asset, numeraire);
      if (!registry.has(leg)) {
        throw new DomainValidationError(
          'pairs',
          `${p.symbol} needs the price of ${asset} in ${numeraire}, but ${leg} is not a known pair; known pairs: ${registry.pairs.map((x) => x.symbol).join(', ')}`,
        );
      }
      legs.set(asset, registry.get(leg));
    }
    if (p.quote.symbol !== numeraire) crosses.push(p);
  }
  return { numeraire, legs: [...legs.values()], crosses };
}

/*
 * Default correlations of the legs' log returns, roughly what daily crypto returns have shown
 * (BTC and ETH highly correlated, SOL somewhat less); a pair not listed gets DEFAULT_CORRELATION.
 */
export const LEG_CORRELATIONS: Readonly<Record<string, number>> = Object.freeze({
  'BTC|ETH': 0.8,
  'BTC|SOL': 0.7,
  'ETH|SOL': 0.75,
});
export const DEFAULT_CORRELATION = 0.5;

/** The legs' correlation matrix: `uniform` for every pair of legs when given, else the defaults. */
export function legCorrelationMatrix(assets: readonly string[], uniform?: number): number[][] {
  return assets.map((a, i) =>
    assets.map((b, j) => {
      if (i === j) return 1;
      if (uniform !== undefined) return uniform;
      const key = [a, b].sort().join('|');
      return LEG_CORRELATIONS[key] ?? DEFAULT_CORRELATION;
    }),
  );
}
