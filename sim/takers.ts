import { Big, formatDecimal, roundQtyToLot } from '../domain/money';
import type { Side } from '../domain/orders';

/*
 * A population of simulated takers trading against one pool's quotes.
 *
 * On each side, takers arrive as a Poisson process whose intensity falls exponentially with the
 * distance of the best quote from the reference price: lambda = A * exp(-k * d), the order-arrival
 * model Avellaneda-Stoikov and GLFT assume. Units are the strategies' own, so a strategy configured
 * with the takers' (A, k) models the market it actually faces, at any price level:
 *   - A (`arrivalRate`): arrivals per second on each side when the quote sits at the reference;
 *   - k (`decayPerBps`): per basis point of the reference price, d in bps of the reference (the
 *     strategies' k is per bps of mid; the reference is the mid the strategies quote around).
 * `flowIntensity` states this pairing in code. Buyers lift the best ask, sellers hit the best bid.
 * A share of the arrivals is informed: it knows the next reference price and trades only when that
 * price clears the quote (buys the ask only if the next reference is above it, sells to the bid
 * only if the next reference is below it), so it never pays to trade on a move that does not pay.
 * Every order is IOC at the best quote, sized on the pool's lot grid. All randomness comes from the
 * injected uniform generator, so the same seed and the same market views give the same orders.
 */

/** A uniform draw in [0, 1). */
export type Rng = () => number;

export interface TakerFlowParams {
  /** A: arrivals per second on each side when the best quote sits at the reference price. */
  arrivalRate: number;
  /**
   * k: decay of the intensity per basis point of the reference price between the best quote and the
   * reference: the unit of the strategies' k (per bps of mid), not per quote unit.
   */
  decayPerBps: number;
  /** Probability that an arrival is informed, in [0, 1]. */
  informedShare: number;
  /** Mean order size in base units (sizes are exponential around it, clamped to [minSize, maxSize]). */
  meanSize: string;
  maxSize: string;
}

export interface MarketRules {
  lotSize: string;
  minSize: string;
}

/** What the takers see at one step. Prices are decimal strings; a missing quote means nobody trades that side. */
export interface MarketView {
  reference: string;
  bestBid: string | null;
  bestAsk: string | null;
  /** The reference price after the next move, known only to informed takers; null when unknown. */
  nextReference: string | null;
}

export interface TakerOrder {
  poolId: string;
  owner: string;
  clientOrderId: string;
  side: Side;
  type: 'ioc';
  price: string;
  quantity: string;
}

export interface PlannedOrder extends TakerOrder {
  informed: boolean;
}

/** The part of the order book's answer the takers look at. */
export interface TakerSubmitResult {
  fills: ReadonlyArray<{ price: string; quantity: string }>;
}

export type SubmitFn = (order: TakerOrder) => Promise<TakerSubmitResult>;

export interface TakerStats {
  orders: number;
  informedOrders: number;
  /** Orders that traded at least partly. */
  filledOrders: number;
  fills: number;
  /** Base and quote the takers bought and sold (the pool is on the other side). */
  boughtBase: string;
  boughtQuote: string;
  soldBase: string;
  soldQuote: string;
  errors: number;
  lastError: string | null;
}

export const NOISE_OWNER = 'taker-noise';
export const INFORMED_OWNER = 'taker-informed';

export function validateFlowParams(p: TakerFlowParams): void {
  const bad = (field: string, why: string) => {
    throw new RangeError(`taker ${field} ${why}`);
  };
  if (!(Number.isFinite(p.arrivalRate) && p.arrivalRate >= 0))
    bad('arrivalRate', `must be a number >= 0, got ${p.arrivalRate}`);
  if (!(Number.isFinite(p.decayPerBps) && p.decayPerBps >= 0))
    bad('decayPerBps', `must be a number >= 0, got ${p.decayPerBps}`);
  if (!(Number.isFinite(p.informedShare) && p.informedShare >= 0 && p.informedShare <= 1)) {
    bad('informedShare', `must be in [0, 1], got ${p.informedShare}`);
  }
  if (!(new Big(p.meanSize).gt(0) && new Big(p.maxSize).gte(p.meanSize)))
    bad('meanSize', `must be > 0 and <= maxSize (${p.maxSize}), got ${p.meanSize}`);
}

/**
 * The takers' flow as the intensity the A-S and GLFT strategies take: A per second per side at zero
 * distance, k per basis point of mid. Configure a strategy with these to quote for this flow.
 */
export function flowIntensity(p: Pick<TakerFlowParams, 'arrivalRate' | 'decayPerBps'>): {
  A: number;
  k: number;
  kPer: 'bps';
} {
  return { A: p.arrivalRate, k: p.decayPerBps, kPer: 'bps' };
}

/** lambda = A * exp(-k * d), d in bps; a quote better than the reference (d < 0) attracts no more than A. */
export function arrivalIntensity(distanceBps: number, arrivalRate: number, decayPerBps: number): number {
  return arrivalRate * Math.exp(-decayPerBps * Math.max(0, distanceBps));
}

/** How far the best quote a taker on `side` would trade against lies from the reference, in bps. */
export function quoteDistanceBps(side: Side, reference: string, best: string): number {
  const ref = new Big(reference);
  const gap = side === 'buy' ? new Big(best).minus(ref) : ref.minus(best);
  return Number(gap.div(ref).times(10_000).toPrecision(12));
}

/** Poisson draw: Knuth's product method for small means, a rounded normal approximation above 30. */
export function poissonSample(mean: number, rng: Rng): number {
  if (!(mean > 0)) return 0;
  if (mean > 30) {
    const u1 = 1 - rng();
    const u2 = rng();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let n = 0;
  let p = rng();
  while (p > limit) {
    n++;
    p *= rng();
  }
  return n;
}

/** Exponential around the mean, rounded down to the lot grid, clamped to [minSize, maxSize]. */
export function drawSize(
  rng: Rng,
  params: Pick<TakerFlowParams, 'meanSize' | 'maxSize'>,
  rules: MarketRules,
): Big {
  const raw = -Math.log(1 - rng()) * Number(params.meanSize);
  let size = roundQtyToLot(new Big(raw.toFixed(12)), new Big(rules.lotSize));
  if (size.lt(rules.minSize)) size = new Big(rules.minSize);
  if (size.gt(params.maxSize)) size = roundQtyToLot(new Big(params.maxSize), new Big(rules.lotSize));
  return size;
}

/**
 * The side an informed taker who knows the next reference trades on: buy when it will be above the
 * best ask, sell when below the best bid, none when it stays inside the quotes (or is unknown).
 */
export function crossingSide(view: MarketView): Side | null {
  if (view.nextReference === null) return null;
  const next = new Big(view.nextReference);
  if (view.bestAsk !== null && next.gt(view.bestAsk)) return 'buy';
  if (view.bestBid !== null && next.lt(view.bestBid)) return 'sell';
  return null;
}

export interface TakerPopulationOptions {
  poolId: string;
  rng: Rng;
  params: TakerFlowParams;
  rules: MarketRules;
  /** Client order ids are `${idPrefix}-${n}`: give each run its own prefix so ids never repeat. */
  idPrefix: string;
  submit: SubmitFn;
}

export class TakerPopulation {
  private readonly opts: TakerPopulationOptions;
  private seq = 0;
  private readonly s = {
    orders: 0,
    informedOrders: 0,
    filledOrders: 0,
    fills: 0,
    boughtBase: new Big(0),
    boughtQuote: new Big(0),
    soldBase: new Big(0),
    soldQuote: new Big(0),
    errors: 0,
    lastError: null as string | null,
  };

  constructor(opts: TakerPopulationOptions) {
    validateFlowParams(opts.params);
    this.opts = opts;
  }

  /** The intensity each side faces in this view (0 where there is no quote). */
  intensities(view: MarketView): { buy: number; sell: number } {
    const { arrivalRate, decayPerBps } = this.opts.params;
    const at = (side: Side, best: string | null) =>
      best === null
        ? 0
        : arrivalIntensity(quoteDistanceBps(side, view.reference, best), arrivalRate, decayPerBps);
    return { buy: at('buy', view.bestAsk), sell: at('sell', view.bestBid) };
  }

  /** Draws the orders of one step of dtSeconds; consumes the generator, touches nothing else. */
  plan(view: MarketView, dtSeconds: number): PlannedOrder[] {
    const { rng, params, rules, poolId, idPrefix } = this.opts;
    const lambda = this.intensities(view);
    const orders: PlannedOrder[] = [];
    for (const arrivalSide of ['buy', 'sell'] as const) {
      const n = poissonSample(lambda[arrivalSide] * dtSeconds, rng);
      for (let i = 0; i < n; i++) {
        const informed = rng() < params.informedShare;
        const size = drawSize(rng, params, rules);
        if (informed) {
          if (view.nextReference === null) {
            // Nobody can know the next price of this feed: the arrival trades as noise.
            this.push(orders, view, arrivalSide, size, false, poolId, idPrefix);
            continue;
          }
          const side = crossingSide(view);
          if (side === null) continue; // the move does not clear the quote: no edge, no trade
          this.push(orders, view, side, size, true, poolId, idPrefix);
          continue;
        }
        this.push(orders, view, arrivalSide, size, false, poolId, idPrefix);
      }
    }
    return orders;
  }

  private push(
    orders: PlannedOrder[],
    view: MarketView,
    side: Side,
    size: Big,
    informed: boolean,
    poolId: string,
    idPrefix: string,
  ) {
    const price = side === 'buy' ? view.bestAsk : view.bestBid;
    if (price === null) return;
    orders.push({
      poolId,
      owner: informed ? INFORMED_OWNER : NOISE_OWNER,
      clientOrderId: `${idPrefix}-${++this.seq}`,
      side,
      type: 'ioc',
      price,
      quantity: formatDecimal(size),
      informed,
    });
  }

  /** Plans one step and submits its orders one after another; a failed order is counted, not thrown. */
  async step(view: MarketView, dtSeconds: number): Promise<PlannedOrder[]> {
    const planned = this.plan(view, dtSeconds);
    for (const { informed, ...order } of planned) {
      this.s.orders++;
      if (informed) this.s.informedOrders++;
      try {
        const result = await this.opts.submit(order);
        if (result.fills.length) this.s.filledOrders++;
        for (const f of result.fills) {
          this.s.fills++;
          const quote = new Big(f.price).times(f.quantity);
          if (order.side === 'buy') {
            this.s.boughtBase = this.s.boughtBase.plus(f.quantity);
            this.s.boughtQuote = this.s.boughtQuote.plus(quote);
          } else {
            this.s.soldBase = this.s.soldBase.plus(f.quantity);
            this.s.soldQuote = this.s.soldQuote.plus(quote);
          }
        }
      } catch (err) {
        this.s.errors++;
        this.s.lastError = err instanceof Error ? err.message : String(err);
      }
    }
    return planned;
  }

  stats(): TakerStats {
    return {
      ...this.s,
      boughtBase: formatDecimal(this.s.boughtBase),
      boughtQuote: formatDecimal(this.s.boughtQuote),
      soldBase: formatDecimal(this.s.soldBase),
      soldQuote: formatDecimal(this.s.soldQuote),
    };
  }
}
