import { parseAssetSymbol } from './assets';
import { DomainValidationError } from './errors';
import { Big, ceilToStep, floorToStep, formatDecimal } from './money';
import type { PortfolioView } from './portfolio';
import type { PriceGraph } from './price-graph';
import { parsePoolId } from './text';

/*
 * Netted hedging: pools ask for hedges per asset (buy or sell so much), the desk sends the venue only
 * what is left of them all together, per asset, beyond a tolerance. Two pools with opposite
 * exposure to ETH cancel out and nothing is traded; ten pools each long a little ETH become one
 * order. The numeraire is the desk's cash and is never hedged.
 *
 * Pure: the caller (a supervisor workflow, later) gathers the requests, runs this under a desk-wide
 * lock, sends each hedge once with an id of its own, and waits out a cool-down before the next
 * round (domain/hedge.ts hedgeCooldownUntil).
 */

export interface HedgeRequest {
  poolId: string;
  asset: string;
  /** Signed: positive buys the asset, negative sells it. */
  quantity: Big;
}

export interface AssetHedgeRules {
  /** |net| at or below it is left alone. In units of the asset; default 0. */
  tolerance?: Big;
  /** Order quantities are whole lots of it (the hedge instrument's lot); default: no grid. */
  lotSize?: Big;
  /** No order below it; default: none. */
  minSize?: Big;
}

export interface NettingRules {
  numeraire: string;
  /** Per asset; assets not listed take `defaults`. */
  assets?: Readonly<Record<string, AssetHedgeRules>>;
  defaults?: AssetHedgeRules;
  /**
   * 'zero' (default): past the tolerance, hedge the whole net (to within a lot).
   * 'band_edge': hedge only the part beyond the tolerance, back to its edge: less volume, and the
   * net stays just inside the band, where the next move may push it out again.
   */
  hedgeTo?: 'zero' | 'band_edge';
}

export interface NettedHedge {
  asset: string;
  side: 'buy' | 'sell';
  /** Positive; a whole number of lots. */
  quantity: Big;
  /** What the requests added up to, signed, before the tolerance and the lot. */
  net: Big;
  /** Sum of |request|: what per-pool hedging would have asked the venue for. */
  gross: Big;
  /** The pools whose requests this order settles, sorted. */
  pools: string[];
}

export interface NettingPlan {
  hedges: NettedHedge[];
  /** Per asset (sorted), the net position change still wanted after the hedges: within tolerance or under a lot. */
  residual: Map<string, Big>;
  /** Per asset, sum of |request| and sum of |hedge|: the two volumes side by side. */
  requestedVolume: Map<string, Big>;
  nettedVolume: Map<string, Big>;
}

const ZERO = new Big(0);

function rulesFor(
  rules: NettingRules,
  asset: string,
): Required<Pick<AssetHedgeRules, 'tolerance'>> & AssetHedgeRules {
  // Own entries only: "constructor" is a valid asset symbol and must not read Object.prototype's.
  const own =
    rules.assets !== undefined && Object.hasOwn(rules.assets, asset) ? rules.assets[asset] : undefined;
  const r = { ...rules.defaults, ...own };
  const field = `rules.assets.${asset}`;
  for (const key of ['tolerance', 'lotSize', 'minSize'] as const) {
    const v = r[key];
    if (v !== undefined && (!(v instanceof Big) || v.lt(0) || (key === 'lotSize' && v.eq(0)))) {
      throw new DomainValidationError(
        `${field}.${key}`,
        `${field}.${key} must be a ${key === 'lotSize' ? 'positive' : 'non-negative'} decimal, got "${v instanceof Big ? formatDecimal(v) : String(v)}"`,
      );
    }
  }
  return { ...r, tolerance: r.tolerance ?? ZERO };
}

/** The order for one asset's net, or null when the net stays: within tolerance, under a lot or the minimum. */
export function planAssetHedge(
  net: Big,
  r: AssetHedgeRules,
  hedgeTo: 'zero' | 'band_edge' = 'zero',
): Big | null {
  const tolerance = r.tolerance ?? ZERO;
  const size = net.abs();
  if (size.lte(tolerance)) return null;
  let q: Big;
  if (hedgeTo === 'band_edge') {
    const beyond = size.minus(tolerance);
    // Up to a whole lot, to land inside the band, but never past zero.
    q = r.lotSize === undefined ? beyond : ceilToStep(beyond, r.lotSize);
    const whole = r.lotSize === undefined ? size : floorToStep(size, r.lotSize);
    if (q.gt(whole)) q = whole;
  } else {
    q = r.lotSize === undefined ? size : floorToStep(size, r.lotSize);
  }
  if (q.eq(0) || (r.minSize !== undefined && q.lt(r.minSize))) return null;
  return net.gt(0) ? q : q.times(-1);
}

export function netHedges(requests: readonly HedgeRequest[], rules: NettingRules): NettingPlan {
  const numeraire = parseAssetSymbol(rules.numeraire, 'rules.numeraire');
  const byAsset = new Map<string, { net: Big; gross: Big; pools: Set<string> }>();
  requests.forEach((r, i) => {
    parsePoolId(r.poolId, `requests[${i}].poolId`);
    const asset = parseAssetSymbol(r.asset, `requests[${i}].asset`);
    if (!(r.quantity instanceof Big)) {
      throw new DomainValidationError(
        `requests[${i}].quantity`,
        `requests[${i}].quantity must be a Big decimal, got ${String(r.quantity)}`,
      );
    }
    if (asset === numeraire || r.quantity.eq(0)) return;
    const entry = byAsset.get(asset) ?? { net: ZERO, gross: ZERO, pools: new Set<string>() };
    entry.net = entry.net.plus(r.quantity);
    entry.gross = entry.gross.plus(r.quantity.abs());
    entry.pools.add(r.poolId);
    byAsset.set(asset, entry);
  });

  const hedges: NettedHedge[] = [];
  const residual = new Map<string, Big>();
  const requestedVolume = new Map<string, Big>();
  const nettedVolume = new Map<string, Big>();
  for (const asset of [...byAsset.keys()].sort()) {
    const { net, gross, pools } = byAsset.get(asset)!;
    const q = planAssetHedge(net, rulesFor(rules, asset), rules.hedgeTo);
    requestedVolume.set(asset, gross);
    nettedVolume.set(asset, q === null ? ZERO : q.abs());
    residual.set(asset, q === null ? net : net.minus(q));
    if (q !== null) {
      hedges.push({
        asset,
        side: q.gt(0) ? 'buy' : 'sell',
        quantity: q.abs(),
        net,
        gross,
        pools: [...pools].sort(),
      });
    }
  }
  return { hedges, residual, requestedVolume, nettedVolume };
}

/**
 * Each pool hedged on its own under the same rules: what the desk would send without netting. For
 * the comparison figure; the sum of these volumes is what netting saves against.
 */
export function perPoolHedges(requests: readonly HedgeRequest[], rules: NettingRules): NettingPlan[] {
  const byPool = new Map<string, HedgeRequest[]>();
  for (const r of requests) byPool.set(r.poolId, [...(byPool.get(r.poolId) ?? []), r]);
  return [...byPool.keys()].sort().map((poolId) => netHedges(byPool.get(poolId)!, rules));
}

/**
 * The hedges each pool would ask for to bring its own exposure to zero: the opposite of its
 * exposure, per asset other than the numeraire.
 */
export function hedgeRequestsFromView(view: PortfolioView): HedgeRequest[] {
  return view.pools.flatMap((p) =>
    [...p.exposure.entries()]
      .filter(([asset, a]) => asset !== view.numeraire && !a.quantity.eq(0))
      .map(([asset, a]) => ({ poolId: p.poolId, asset, quantity: a.quantity.times(-1) })),
  );
}

/** Hedge volumes of plans, valued in the numeraire: the figure to show beside each other. */
export function hedgeVolumeValue(plans: readonly NettingPlan[], graph: PriceGraph, numeraire: string): Big {
  let total = ZERO;
  for (const plan of plans) {
    for (const h of plan.hedges) total = total.plus(graph.convert(h.quantity, h.asset, numeraire));
  }
  return total;
}
