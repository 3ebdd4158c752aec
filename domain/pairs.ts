import {
  EXAMPLE_ASSETS,
  assetRegistry,
  parseAssetSymbol,
  smallestUnit,
  type Asset,
  type AssetRegistry,
} from './assets';
import { DomainValidationError, describeValue } from './errors';
import {
  AMOUNT_LIMITS,
  Big,
  ONE_BASIS_POINT,
  RATIO_DECIMALS,
  divideAt,
  floorToStep,
  formatDecimal,
  isOnGrid,
  parseDecimal,
} from './money';

/*
 * A trading pair: base priced in quote, with its own market rules. The rules are per pair because
 * the scales differ by six orders of magnitude (BTC/USDC ~60,000, ETH/BTC ~0.03): a tick of 0.01
 * is a fine grid for BTC/USDC and a third of the price of ETH/BTC. Nothing here has a default that
 * assumes one scale.
 */

export interface PairRulesJson {
  base: string;
  quote: string;
  /** Price grid, in quote per base. */
  tickSize: string;
  /** Quantity grid, in base. */
  lotSize: string;
  /** Smallest order, in base; a whole number of lots. */
  minSize: string;
  /** Where the pair trades, roughly: what demos and simulations start from and grids are checked at. */
  referencePrice: string;
}

export interface Pair {
  /** BASE/QUOTE, e.g. "ETH/BTC". */
  symbol: string;
  base: Asset;
  quote: Asset;
  tickSize: Big;
  lotSize: Big;
  minSize: Big;
  referencePrice: Big;
}

export function pairSymbol(base: string, quote: string): string {
  return `${base}/${quote}`;
}

/** "ETH/BTC" -> { base: "ETH", quote: "BTC" }. */
export function parsePairSymbol(value: unknown, field = 'pair'): { base: string; quote: string } {
  if (typeof value !== 'string') {
    throw new DomainValidationError(
      field,
      `${field} must be a pair symbol BASE/QUOTE such as "ETH/USDC", got ${describeValue(value)}`,
    );
  }
  const parts = value.split('/');
  if (parts.length !== 2) {
    throw new DomainValidationError(
      field,
      `${field} must be a pair symbol BASE/QUOTE with exactly one '/', such as "ETH/USDC", got ${describeValue(value)}`,
    );
  }
  const base = parseAssetSymbol(parts[0], `${field} (base)`);
  const quote = parseAssetSymbol(parts[1], `${field} (quote)`);
  if (base === quote) {
    throw new DomainValidationError(
      field,
      `${field} must name two different assets, got ${describeValue(value)}`,
    );
  }
  return { base, quote };
}

const PAIR_FIELDS = ['base', 'quote', 'tickSize', 'lotSize', 'minSize', 'referencePrice'] as const;

/**
 * Parses a pair's rules against the assets it trades. Refuses what would make orders unsettleable or
 * unreachable: a lot finer than the base asset's smallest unit, a tick finer than the quote's, a
 * minimum size off the lot grid or below one lot, a reference price off the tick grid.
 */
export function parsePair(value: unknown, assets: AssetRegistry, field = 'pair'): Pair {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be an object { ${PAIR_FIELDS.join(', ')} }, got ${describeValue(value)}`,
    );
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(PAIR_FIELDS as readonly string[]).includes(key)) {
      throw new DomainValidationError(
        `${field}.${key}`,
        `${field}.${key} is not a field of a pair; known fields: ${PAIR_FIELDS.join(', ')}`,
      );
    }
  }
  const base = assets.get(parseAssetSymbol(input.base, `${field}.base`), `${field}.base`);
  const quote = assets.get(parseAssetSymbol(input.quote, `${field}.quote`), `${field}.quote`);
  if (base.symbol === quote.symbol) {
    throw new DomainValidationError(
      `${field}.quote`,
      `${field}.quote must differ from ${field}.base, both are "${base.symbol}"`,
    );
  }
  const positive = { allowZero: false, ...AMOUNT_LIMITS };
  const tickSize = parseDecimal(input.tickSize, `${field}.tickSize`, positive);
  const lotSize = parseDecimal(input.lotSize, `${field}.lotSize`, positive);
  const minSize = parseDecimal(input.minSize, `${field}.minSize`, positive);
  const referencePrice = parseDecimal(input.referencePrice, `${field}.referencePrice`, positive);

  const requireOnGrid = (v: Big, step: Big, name: string, what: string) => {
    if (!isOnGrid(v, step)) {
      throw new DomainValidationError(
        `${field}.${name}`,
        `${field}.${name} "${formatDecimal(v)}" must be a whole multiple of ${what} "${formatDecimal(step)}"`,
      );
    }
  };
  requireOnGrid(
    lotSize,
    smallestUnit(base),
    'lotSize',
    `the smallest unit of ${base.symbol} (${base.decimals} decimals)`,
  );
  requireOnGrid(
    tickSize,
    smallestUnit(quote),
    'tickSize',
    `the smallest unit of ${quote.symbol} (${quote.decimals} decimals)`,
  );
  requireOnGrid(minSize, lotSize, 'minSize', 'the lot size');
  requireOnGrid(referencePrice, tickSize, 'referencePrice', 'the tick size');
  return {
    symbol: pairSymbol(base.symbol, quote.symbol),
    base,
    quote,
    tickSize,
    lotSize,
    minSize,
    referencePrice,
  };
}

export function pairToJson(pair: Pair): PairRulesJson {
  return {
    base: pair.base.symbol,
    quote: pair.quote.symbol,
    tickSize: formatDecimal(pair.tickSize),
    lotSize: formatDecimal(pair.lotSize),
    minSize: formatDecimal(pair.minSize),
    referencePrice: formatDecimal(pair.referencePrice),
  };
}

/** The market-rule fields of the pools table and `createPool` (db/pools.ts CreatePoolInput). */
export function poolMarketRules(pair: Pair): {
  baseAsset: string;
  quoteAsset: string;
  tickSize: string;
  lotSize: string;
  minSize: string;
} {
  return {
    baseAsset: pair.base.symbol,
    quoteAsset: pair.quote.symbol,
    tickSize: formatDecimal(pair.tickSize),
    lotSize: formatDecimal(pair.lotSize),
    minSize: formatDecimal(pair.minSize),
  };
}

/*
 * Grid sanity at a price. With the spread policy's floor of 10 bps, a tick above 1 bp of the price
 * leaves fewer than ten ticks inside the tightest spread, so a ladder's levels (10 bps apart by
 * default) land on the same or adjacent ticks and rounding, not the strategy, sets the quotes.
 */
export const MAX_TICK_BPS = new Big(1);

export interface GridProblem {
  rule: 'tick_too_coarse' | 'lot_too_coarse';
  message: string;
}

/**
 * What is wrong with a pair's grid at `price` (empty when nothing is): a tick wider than
 * `maxTickBps` of the price, or, when `referenceOrderValue` is given (a typical order in quote
 * units), a minimum order worth more than it.
 */
export function gridProblems(
  pair: Pair,
  price: Big,
  opts: { maxTickBps?: Big; referenceOrderValue?: Big } = {},
): GridProblem[] {
  if (price.lte(0)) {
    throw new DomainValidationError(
      'price',
      `price must be positive to check the grid of ${pair.symbol}, got "${formatDecimal(price)}"`,
    );
  }
  const problems: GridProblem[] = [];
  const maxTickBps = opts.maxTickBps ?? MAX_TICK_BPS;
  const tickBps = tickInBps(pair, price);
  if (tickBps.gt(maxTickBps)) {
    problems.push({
      rule: 'tick_too_coarse',
      message:
        `${pair.symbol}: a tick of ${formatDecimal(pair.tickSize)} is ${formatDecimal(tickBps.round(4, Big.roundUp))} bps of the price ${formatDecimal(price)}, ` +
        `above ${formatDecimal(maxTickBps)} bps; use a tick of at most ${formatDecimal(maxTickFor(price, maxTickBps))}`,
    });
  }
  if (opts.referenceOrderValue !== undefined) {
    const minValue = pair.minSize.times(price);
    if (minValue.gt(opts.referenceOrderValue)) {
      problems.push({
        rule: 'lot_too_coarse',
        message:
          `${pair.symbol}: the minimum order ${formatDecimal(pair.minSize)} ${pair.base.symbol} is worth ${formatDecimal(minValue)} ${pair.quote.symbol} ` +
          `at ${formatDecimal(price)}, more than the typical order of ${formatDecimal(opts.referenceOrderValue)} ${pair.quote.symbol}`,
      });
    }
  }
  return problems;
}

/** One tick as basis points of `price`. */
export function tickInBps(pair: Pair, price: Big): Big {
  return divideAt(pair.tickSize.times(10_000), price, RATIO_DECIMALS, Big.roundUp);
}

/** The largest power of ten that is at most `maxTickBps` of `price`: a sensible tick for a new pair. */
export function maxTickFor(price: Big, maxTickBps: Big = MAX_TICK_BPS): Big {
  if (price.lte(0) || maxTickBps.lte(0)) {
    throw new DomainValidationError(
      'price',
      `price and maxTickBps must be positive, got "${formatDecimal(price)}" and "${formatDecimal(maxTickBps)}"`,
    );
  }
  const limit = price.times(maxTickBps).times(ONE_BASIS_POINT);
  let tick = new Big(1);
  while (tick.gt(limit)) tick = tick.div(10);
  while (tick.times(10).lte(limit)) tick = tick.times(10);
  return tick;
}

/**
 * The base quantity worth `quoteValue` at `price`, rounded down to the lot, or null when that is
 * below the pair's minimum size. Sizing orders by value is what keeps a strategy's defaults
 * scale-free: "1" means 1 BTC (60,000 USDC) on one pair and 1 ETH (0.03 BTC) on another.
 */
export function baseSizeForQuoteValue(pair: Pair, quoteValue: Big, price: Big): Big | null {
  if (price.lte(0)) {
    throw new DomainValidationError('price', `price must be positive, got "${formatDecimal(price)}"`);
  }
  if (quoteValue.lt(0)) {
    throw new DomainValidationError(
      'quoteValue',
      `quoteValue must not be negative, got "${formatDecimal(quoteValue)}"`,
    );
  }
  const size = floorToStep(divideAt(quoteValue, price, RATIO_DECIMALS, Big.roundDown), pair.lotSize);
  return size.lt(pair.minSize) ? null : size;
}

/*
 * Example pairs at four scales. Ticks are at most 0.3 bp of the price and minimum orders are worth
 * a few USDC, so every pair supports the same 10 bps ladders; the ETH/USDC rules are the demo
 * pools' (cli/demo-market.ts). The reference prices are mutually consistent: ETH/BTC is
 * 2,000 / 60,000 on its tick.
 */
export const EXAMPLE_PAIR_RULES: readonly PairRulesJson[] = Object.freeze([
  {
    base: 'BTC',
    quote: 'USDC',
    tickSize: '0.01',
    lotSize: '0.00001',
    minSize: '0.0001',
    referencePrice: '60000',
  },
  {
    base: 'ETH',
    quote: 'USDC',
    tickSize: '0.01',
    lotSize: '0.0001',
    minSize: '0.001',
    referencePrice: '2000',
  },
  { base: 'SOL', quote: 'USDC', tickSize: '0.001', lotSize: '0.001', minSize: '0.01', referencePrice: '150' },
  {
    base: 'ETH',
    quote: 'BTC',
    tickSize: '0.000001',
    lotSize: '0.0001',
    minSize: '0.001',
    referencePrice: '0.033333',
  },
]);

export interface PairRegistry {
  readonly assets: AssetRegistry;
  readonly pairs: readonly Pair[];
  /** Throws naming the unknown pair and the known ones. */
  get(symbol: string, field?: string): Pair;
  has(symbol: string): boolean;
}

export function pairRegistry(pairs: readonly unknown[], assets: AssetRegistry): PairRegistry {
  const parsed = pairs.map((p, i) => parsePair(p, assets, `pairs[${i}]`));
  const bySymbol = new Map<string, Pair>();
  parsed.forEach((p, i) => {
    if (bySymbol.has(p.symbol)) {
      throw new DomainValidationError(`pairs[${i}]`, `pairs[${i}] "${p.symbol}" is listed twice`);
    }
    bySymbol.set(p.symbol, p);
  });
  return {
    assets,
    pairs: parsed,
    has: (symbol) => bySymbol.has(symbol),
    get(symbol, field = 'pair') {
      const pair = bySymbol.get(symbol);
      if (pair === undefined) {
        throw new DomainValidationError(
          field,
          `${field} "${symbol}" is not a known pair; known pairs: ${[...bySymbol.keys()].join(', ')}`,
        );
      }
      return pair;
    },
  };
}

export function examplePairRegistry(): PairRegistry {
  return pairRegistry(EXAMPLE_PAIR_RULES, assetRegistry(EXAMPLE_ASSETS));
}

/**
 * A comma-separated list such as the future `--pairs BTC/USDC,ETH/BTC` option: known pairs, each
 * once, at least one. Blanks around the commas are allowed.
 */
export function parsePairList(value: unknown, registry: PairRegistry, field = 'pairs'): Pair[] {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new DomainValidationError(
      field,
      `${field} must be a comma-separated list of pairs such as "BTC/USDC,ETH/USDC"; known pairs: ${registry.pairs.map((p) => p.symbol).join(', ')}`,
    );
  }
  const seen = new Set<string>();
  return value.split(',').map((raw, i) => {
    const symbol = raw.trim();
    const { base, quote } = parsePairSymbol(symbol, `${field}[${i}]`);
    const pair = registry.get(pairSymbol(base, quote), `${field}[${i}]`);
    if (seen.has(pair.symbol)) {
      throw new DomainValidationError(`${field}[${i}]`, `${field}[${i}] "${pair.symbol}" is listed twice`);
    }
    seen.add(pair.symbol);
    return pair;
  });
}
