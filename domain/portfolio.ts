import { parseAssetSymbol } from './assets';
import { DomainValidationError } from './errors';
import { Big, divideAt, formatDecimal } from './money';
import { parsePairSymbol } from './pairs';
import { parsePoolId } from './text';
import {
  RATE_DECIMALS,
  buildPriceGraph,
  describeConversion,
  type PriceGraph,
  type PriceQuote,
} from './price-graph';

/*
 * The desk's view across pools: how much of each asset it holds beyond what it means to hold (its
 * exposure), valued in one numeraire, and its P&L against holding what it started with.
 *
 * A pool's exposure is its holdings minus its target:
 * - target { kind: 'share' } (the pools' own policy, spreadPolicy.targetInventoryShare): at the
 *   pool's current price, `share` of its value in base and the rest in quote. A 50/50 ETH/USDC pool
 *   holding 60% of its value in ETH is long the 10% excess and short as much in USDC.
 * - target { kind: 'holdings' }: fixed quantities, e.g. what the pool started with.
 * Hedges done at a venue on a pool's behalf and held outside its reserves count in that pool's
 * exposure; desk hedges (netted across pools) count in the desk's. A hedge that was booked into the
 * pool's reserves (today's per-pool hedging, db/hedging.ts) is already in the reserves: do not list
 * it again.
 *
 * All arithmetic is in Big. Values are exact, except where a price has to be inverted (see
 * price-graph.ts RATE_DECIMALS) and for the share target's split, rounded at 36 places.
 */

export interface HedgeFill {
  /** The pair traded at the venue, BASE/QUOTE. */
  pair: string;
  /** Side of the pair's base. */
  side: 'buy' | 'sell';
  baseAmount: Big;
  /** Quote that changed hands net of fees: paid on a buy, received on a sell. */
  netQuoteAmount: Big;
}

export type InventoryTarget = { kind: 'share'; share: Big } | { kind: 'holdings'; base: Big; quote: Big };

export interface PoolPosition {
  poolId: string;
  pair: string;
  reserveBase: Big;
  reserveQuote: Big;
  /** The buy-and-hold benchmark of P&L: starting holdings plus liquidity added, minus removed. */
  initialBase: Big;
  initialQuote: Big;
  target: InventoryTarget;
  hedges?: readonly HedgeFill[];
}

export interface PortfolioInput {
  numeraire: string;
  prices: readonly PriceQuote[];
  pools: readonly PoolPosition[];
  /** Hedges done for the desk as a whole (netted), not attributed to any pool. */
  deskHedges?: readonly HedgeFill[];
}

export interface AssetAmount {
  quantity: Big;
  /** In the numeraire. */
  value: Big;
}

export interface PoolView {
  poolId: string;
  pair: string;
  /** Signed exposure per asset (sorted by symbol), hedges included; zero entries are kept. */
  exposure: Map<string, AssetAmount>;
  /** Reserves plus hedges, valued. */
  currentValue: Big;
  /** The benchmark holdings, valued today. */
  holdValue: Big;
  pnl: Big;
}

export interface PortfolioView {
  numeraire: string;
  /** Net exposure per asset across pools and desk hedges, sorted by symbol. */
  exposure: Map<string, AssetAmount>;
  /** What the desk holds per asset: reserves plus every hedge. */
  holdings: Map<string, AssetAmount>;
  pools: PoolView[];
  /** The desk hedges' own exposure (their whole position: they have no target). */
  deskExposure: Map<string, AssetAmount>;
  currentValue: Big;
  holdValue: Big;
  totalPnl: Big;
  /** How each asset was valued, e.g. ETH: "ETH/BTC x BTC/USDC". */
  valuationPaths: Map<string, string>;
}

const ZERO = new Big(0);

function requireNonNegative(v: Big, field: string): void {
  if (!(v instanceof Big) || v.lt(0)) {
    throw new DomainValidationError(
      field,
      `${field} must be a non-negative decimal, got "${v instanceof Big ? formatDecimal(v) : String(v)}"`,
    );
  }
}

function checkHedge(h: HedgeFill, field: string): { base: string; quote: string } {
  const assets = parsePairSymbol(h.pair, `${field}.pair`);
  if (h.side !== 'buy' && h.side !== 'sell') {
    throw new DomainValidationError(
      `${field}.side`,
      `${field}.side must be 'buy' or 'sell', got ${JSON.stringify(h.side)}`,
    );
  }
  requireNonNegative(h.baseAmount, `${field}.baseAmount`);
  requireNonNegative(h.netQuoteAmount, `${field}.netQuoteAmount`);
  return assets;
}

function addTo(map: Map<string, Big>, asset: string, q: Big): void {
  map.set(asset, (map.get(asset) ?? ZERO).plus(q));
}

/** A hedge's change to holdings: a buy adds base and pays quote. */
function hedgeDeltas(h: HedgeFill, field: string): Map<string, Big> {
  const { base, quote } = checkHedge(h, field);
  const sign = h.side === 'buy' ? 1 : -1;
  const out = new Map<string, Big>();
  addTo(out, base, h.baseAmount.times(sign));
  addTo(out, quote, h.netQuoteAmount.times(-sign));
  return out;
}

export function computePortfolio(input: PortfolioInput): PortfolioView {
  const numeraire = parseAssetSymbol(input.numeraire, 'numeraire');
  const graph = buildPriceGraph(input.prices);
  const valuationPaths = new Map<string, string>();
  const value = (asset: string, q: Big): Big => {
    if (!valuationPaths.has(asset))
      valuationPaths.set(asset, describeConversion(graph.conversion(asset, numeraire)));
    return graph.convert(q, asset, numeraire);
  };
  const valued = (m: Map<string, Big>) =>
    new Map(
      [...m.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([asset, quantity]) => [asset, { quantity, value: value(asset, quantity) }] as const),
    );

  const netExposure = new Map<string, Big>();
  const holdings = new Map<string, Big>();
  const seenIds = new Set<string>();
  const pools: PoolView[] = input.pools.map((p, i) => {
    const field = `pools[${i}]`;
    parsePoolId(p.poolId, `${field}.poolId`);
    if (seenIds.has(p.poolId)) {
      throw new DomainValidationError(`${field}.poolId`, `${field}.poolId "${p.poolId}" is listed twice`);
    }
    seenIds.add(p.poolId);
    const view = poolView(p, field, graph, value);
    for (const [asset, a] of view.pool.exposure) addTo(netExposure, asset, a.quantity);
    addTo(holdings, view.base, p.reserveBase);
    addTo(holdings, view.quote, p.reserveQuote);
    (p.hedges ?? []).forEach((h, j) => {
      for (const [asset, q] of hedgeDeltas(h, `${field}.hedges[${j}]`)) addTo(holdings, asset, q);
    });
    return view.pool;
  });

  const deskDeltas = new Map<string, Big>();
  (input.deskHedges ?? []).forEach((h, j) => {
    for (const [asset, q] of hedgeDeltas(h, `deskHedges[${j}]`)) {
      addTo(deskDeltas, asset, q);
      addTo(netExposure, asset, q);
      addTo(holdings, asset, q);
    }
  });
  const deskExposure = valued(deskDeltas);
  const deskValue = sumValues(deskExposure);

  const currentValue = pools.reduce((s, p) => s.plus(p.currentValue), deskValue);
  const holdValue = pools.reduce((s, p) => s.plus(p.holdValue), ZERO);
  return {
    numeraire,
    exposure: valued(netExposure),
    holdings: valued(holdings),
    pools,
    deskExposure,
    currentValue,
    holdValue,
    // A desk hedge starts at zero value: all of its value today is P&L.
    totalPnl: currentValue.minus(holdValue),
    valuationPaths: new Map([...valuationPaths.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

function sumValues(m: Map<string, AssetAmount>): Big {
  let s = ZERO;
  for (const a of m.values()) s = s.plus(a.value);
  return s;
}

function poolView(
  p: PoolPosition,
  field: string,
  graph: PriceGraph,
  value: (asset: string, q: Big) => Big,
): { pool: PoolView; base: string; quote: string } {
  const { base, quote } = parsePairSymbol(p.pair, `${field}.pair`);
  requireNonNegative(p.reserveBase, `${field}.reserveBase`);
  requireNonNegative(p.reserveQuote, `${field}.reserveQuote`);
  requireNonNegative(p.initialBase, `${field}.initialBase`);
  requireNonNegative(p.initialQuote, `${field}.initialQuote`);

  let targetBase: Big;
  let targetQuote: Big;
  if (p.target.kind === 'share') {
    const share = p.target.share;
    if (!(share instanceof Big) || share.lte(0) || share.gte(1)) {
      throw new DomainValidationError(
        `${field}.target.share`,
        `${field}.target.share must lie strictly between 0 and 1, got ${String(share)}`,
      );
    }
    // Split the pool's value at its own pair's price (direct or through cross rates). The quote
    // side's excess is exact; the base side's is it divided by the price, so a pool exactly at its
    // target has exactly zero exposure (no rounding dust that would count it as adding to a breach).
    const mid = graph.conversion(base, quote).rate;
    const quoteExcess = share
      .times(p.reserveQuote)
      .minus(new Big(1).minus(share).times(p.reserveBase).times(mid));
    targetQuote = p.reserveQuote.minus(quoteExcess);
    targetBase = p.reserveBase.plus(divideAt(quoteExcess, mid, RATE_DECIMALS, Big.roundHalfEven));
  } else if (p.target.kind === 'holdings') {
    requireNonNegative(p.target.base, `${field}.target.base`);
    requireNonNegative(p.target.quote, `${field}.target.quote`);
    targetBase = p.target.base;
    targetQuote = p.target.quote;
  } else {
    throw new DomainValidationError(
      `${field}.target.kind`,
      `${field}.target.kind must be 'share' or 'holdings'`,
    );
  }

  const exposure = new Map<string, Big>([
    [base, p.reserveBase.minus(targetBase)],
    [quote, p.reserveQuote.minus(targetQuote)],
  ]);
  let hedgeValue = ZERO;
  (p.hedges ?? []).forEach((h, j) => {
    for (const [asset, q] of hedgeDeltas(h, `${field}.hedges[${j}]`)) {
      addTo(exposure, asset, q);
      hedgeValue = hedgeValue.plus(value(asset, q));
    }
  });
  const currentValue = value(base, p.reserveBase).plus(value(quote, p.reserveQuote)).plus(hedgeValue);
  const holdValue = value(base, p.initialBase).plus(value(quote, p.initialQuote));
  const sorted = [...exposure.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    base,
    quote,
    pool: {
      poolId: p.poolId,
      pair: `${base}/${quote}`,
      exposure: new Map(sorted.map(([asset, q]) => [asset, { quantity: q, value: value(asset, q) }])),
      currentValue,
      holdValue,
      pnl: currentValue.minus(holdValue),
    },
  };
}

/*
 * Plain JSON with decimal strings: what a query, an event or the dashboard carries. Values are
 * rounded half-even to `decimals` places only here, for display; the view itself keeps them whole.
 */
export interface AssetAmountJson {
  asset: string;
  quantity: string;
  value: string;
}

export interface PortfolioViewJson {
  numeraire: string;
  exposure: AssetAmountJson[];
  holdings: AssetAmountJson[];
  pools: {
    poolId: string;
    pair: string;
    exposure: AssetAmountJson[];
    currentValue: string;
    holdValue: string;
    pnl: string;
  }[];
  deskExposure: AssetAmountJson[];
  currentValue: string;
  holdValue: string;
  totalPnl: string;
  valuationPaths: Record<string, string>;
}

export function portfolioViewToJson(view: PortfolioView, decimals = 18): PortfolioViewJson {
  const f = (b: Big) => formatDecimal(b.round(decimals, Big.roundHalfEven));
  const list = (m: Map<string, AssetAmount>) =>
    [...m.entries()].map(([asset, a]) => ({ asset, quantity: f(a.quantity), value: f(a.value) }));
  return {
    numeraire: view.numeraire,
    exposure: list(view.exposure),
    holdings: list(view.holdings),
    pools: view.pools.map((p) => ({
      poolId: p.poolId,
      pair: p.pair,
      exposure: list(p.exposure),
      currentValue: f(p.currentValue),
      holdValue: f(p.holdValue),
      pnl: f(p.pnl),
    })),
    deskExposure: list(view.deskExposure),
    currentValue: f(view.currentValue),
    holdValue: f(view.holdValue),
    totalPnl: f(view.totalPnl),
    valuationPaths: Object.fromEntries(view.valuationPaths),
  };
}
