import { Big } from '../domain/money';
import { parsePoolConfig, type PoolConfig } from '../domain/config';
import { planHedge } from '../domain/hedge';
import { inventoryShare, tvl } from '../domain/pool';
import { cycleRisk, cycleSpreadBps } from '../domain/quote-cycle';
import { evaluateSpread, type ImbalanceLevel } from '../domain/spread-policy';
import type { QuoteLadder } from '../domain/strategies/types';
import { estimateVolatility, type PricePoint, type VolatilityRegime } from '../domain/volatility';
import { fastEngineUnsupported, simulatePathFast } from './fast-engine';
import { generatePath, knownRelativeVolatility } from './paths';
import { createQuoter, decimal, type SimState } from './quoter';
import { pathRng } from './rng';
import type { BacktestSpec, PathSeries, PathSummary, Rng } from './types';

/*
 * One simulated path. Each step of dt seconds:
 *  1. the pool is marked at the step's mid (equity, drawdown);
 *  2. the live risk check decides (stop, pause, flatten, widen) on the live P&L and inventory;
 *  3. for rule_based pools the spread policy moves the spread as the saga would;
 *  4. the live strategy computes the ladder, which reaches the book `latencyMs` later (a halt
 *     cancels the book with the same delay);
 *  5. takers trade against the resting levels during the step: each level fills whole with
 *     probability 1 - exp(-lambda tau) (or the paper's lambda tau), lambda = A exp(-k distance),
 *     distance from the step's mid; informed takers who know the mid `lookaheadSeconds` ahead
 *     trade only when that mid crosses the quote.
 * The path's mids come from a stream of their own, so two strategies run with the same seed see
 * the same market.
 */

interface Level {
  price: number;
  size: number;
}
interface Book {
  bids: Level[];
  asks: Level[];
}
const EMPTY_BOOK: Book = { bids: [], asks: [] };

interface Fill {
  markIndex: number;
  price: number;
  /** Positive when the pool bought. */
  signedSize: number;
}

export interface PathResult {
  summary: PathSummary;
  series?: PathSeries;
}

export interface PathOptions {
  /** Keep a sampled series of the path (for charts), about this many points. */
  seriesPoints?: number;
  /** Generates the mids instead of backtest/paths.ts (same signature; in-thread runs only). */
  generatePath?: typeof generatePath;
}

/** The live configuration the spec names, parsed with every default filled (once per spec). */
const configCache = new WeakMap<BacktestSpec, PoolConfig>();
export function specConfig(spec: BacktestSpec): PoolConfig {
  let cfg = configCache.get(spec);
  if (!cfg) {
    cfg = parsePoolConfig(spec.config);
    configCache.set(spec, cfg);
  }
  return cfg;
}

/** A risk limit's name as a stop reason (maxLoss -> max_loss). */
export const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function toBook(ladder: QuoteLadder): Book {
  return {
    bids: ladder.bids.map((l) => ({ price: Number(l.price), size: Number(l.size) })),
    asks: ladder.asks.map((l) => ({ price: Number(l.price), size: Number(l.size) })),
  };
}

function largestNotional(book: Book): number {
  let max = 0;
  for (const l of [...book.bids, ...book.asks]) max = Math.max(max, l.price * l.size);
  return max;
}

/**
 * One path through the fast engine (backtest/fast-engine.ts, plain numbers, the same summary) or,
 * with `engine: 'exact'` or a view it does not cover, through the decimal engine below.
 */
export function simulatePath(spec: BacktestSpec, pathIndex: number, options: PathOptions = {}): PathResult {
  if (spec.engine !== 'exact' && !fastEngineUnsupported(spec))
    return simulatePathFast(spec, pathIndex, options);
  return simulatePathExact(spec, pathIndex, options);
}

/** The decimal engine: every live decision through the decimal code, the fast engine's reference. */
export function simulatePathExact(
  spec: BacktestSpec,
  pathIndex: number,
  options: PathOptions = {},
): PathResult {
  const cfg = specConfig(spec);
  const { dtSeconds: dt, steps } = spec;
  const view = spec.view ?? {};
  const s0 = Number(spec.pool.s0);
  const mids = (options.generatePath ?? generatePath)(
    spec.price,
    pathRng(spec.seed, pathIndex, 'price'),
    steps,
    dt,
    s0,
  );
  const flowRng: Rng = pathRng(spec.seed, pathIndex, 'flow');
  const pool = {
    tickSize: new Big(spec.pool.tickSize),
    lotSize: new Big(spec.pool.lotSize),
    minSize: new Big(spec.pool.minSize),
  };
  const quoter = createQuoter(cfg, pool, view);
  const unlimited = view.inventory === 'units' || view.inventory === 'ignore';
  const latency = spec.latencyMs / 1000;
  const fixedTimeRemaining =
    typeof view.timeRemaining === 'object' ? view.timeRemaining.fixedSeconds : undefined;
  const volWindow: PricePoint[] = [];
  const poisson = spec.flow.poisson;
  const linearFills = poisson?.fillProbability === 'linear';
  const informed = spec.flow.informed;
  if (spec.flow.replay) {
    throw new Error('flow.replay (taker trades from a CSV file) is not supported by this engine yet');
  }
  const markoutSteps = Math.max(0, Math.round(spec.markoutSeconds / dt));

  const initialBase = Number(spec.pool.initialBase);
  let base = initialBase;
  let quote = Number(spec.pool.initialQuote);
  const equity0 = quote + base * s0;
  let spreadBps = new Big(cfg.spreadPolicy.defaultSpreadBps);
  let regime: VolatilityRegime = 'normal';
  let imbalance: ImbalanceLevel = 'none';

  let active: Book = EMPTY_BOOK;
  const pending: Array<{ at: number; book: Book }> = [];
  let lastBook: Book = EMPTY_BOOK;
  let stopped = false;
  let pausedUntil = -Infinity;
  let lastHedgeAt = -Infinity;
  const stops = new Set<string>();
  const fills: Fill[] = [];
  let fees = 0;
  let volume = 0;
  let peak = equity0;
  let maxDrawdown = 0;
  let spreadSum = 0;
  let spreadBpsSum = 0;
  let spreadCount = 0;
  let haltedSteps = 0;
  let hedges = 0;

  const every = options.seriesPoints ? Math.max(1, Math.floor(steps / options.seriesPoints)) : 0;
  const series: PathSeries | undefined = every
    ? { t: [], mid: [], bid: [], ask: [], equity: [], inventory: [] }
    : undefined;

  const post = (at: number, book: Book) => {
    // A later decision never reaches the book before an earlier one (one order gateway).
    pending.push({ at, book });
  };

  /** Moves the balances; `feeBps` is earned when positive, paid when negative. */
  const settle = (price: number, signedSize: number, feeBps: number) => {
    base += signedSize;
    quote -= price * signedSize;
    const fee = (Math.abs(price * signedSize) * feeBps) / 10_000;
    quote += fee;
    fees += fee;
  };
  const trade = (price: number, signedSize: number, i: number, feeBps: number) => {
    settle(price, signedSize, feeBps);
    volume += Math.abs(signedSize);
    fills.push({ markIndex: Math.min(steps, i + markoutSteps), price, signedSize });
  };

  const canBuy = (l: Level) => unlimited || quote >= l.price * l.size;
  const canSell = (l: Level) => unlimited || base >= l.size;

  const fillSegment = (book: Book, mid: number, tau: number, i: number) => {
    if (tau <= 0 || !poisson) return;
    const scale = poisson.kPer === 'bps' ? 10_000 / mid : 1;
    const chance = (distance: number) => {
      const lambda = poisson.A * Math.exp(-poisson.k * distance * scale);
      return linearFills ? Math.min(1, lambda * tau) : 1 - Math.exp(-lambda * tau);
    };
    for (const l of book.bids) {
      if (l.size <= 0) continue;
      if (flowRng() < chance(mid - l.price) && canBuy(l)) {
        trade(l.price, l.size, i, spec.makerFeeBps);
        l.size = 0;
      }
    }
    for (const l of book.asks) {
      if (l.size <= 0) continue;
      if (flowRng() < chance(l.price - mid) && canSell(l)) {
        trade(l.price, -l.size, i, spec.makerFeeBps);
        l.size = 0;
      }
    }
  };

  const informedTrade = (book: Book, i: number, tau: number) => {
    if (!informed || tau <= 0) return;
    if (flowRng() >= 1 - Math.exp(-informed.ratePerSecond * tau)) return;
    const ahead = mids[Math.min(steps, i + Math.max(1, Math.round(informed.lookaheadSeconds / dt)))]!;
    const ask = book.asks.find((l) => l.size > 0);
    const bid = book.bids.find((l) => l.size > 0);
    if (ask && ahead > ask.price && canSell(ask)) {
      trade(ask.price, -ask.size, i, spec.makerFeeBps);
      ask.size = 0;
    } else if (bid && ahead < bid.price && canBuy(bid)) {
      trade(bid.price, bid.size, i, spec.makerFeeBps);
      bid.size = 0;
    }
  };

  for (let i = 0; i < steps; i++) {
    const t = i * dt;
    const midBig = decimal(mids[i]!);
    const mid = Number(midBig);
    const equity = quote + base * mid;
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, peak - equity);

    let volatility: number;
    if (view.volatility === 'known') {
      volatility = knownRelativeVolatility(spec.price, mid, cfg.volatility.horizonSeconds);
    } else {
      volWindow.push({ ts: Math.round(t * 1000), price: midBig });
      if (volWindow.length > cfg.volatility.window + 1) volWindow.shift();
      volatility = estimateVolatility(volWindow, cfg.volatility);
    }

    const state: SimState = {
      mid: midBig,
      base,
      quote,
      initialBase,
      spreadBps,
      volatility,
      nowMs: Math.round(t * 1000),
      timeRemainingSeconds: fixedTimeRemaining,
    };
    let market = quoter.market(state);
    let ladder: QuoteLadder | null = null;
    if (!stopped && t >= pausedUntil) {
      const share = inventoryShare(market.reserveBase, market.reserveQuote, market.mid);
      const risk = cycleRisk(
        {
          inventoryShare: share,
          targetShare: cfg.spreadPolicy.targetInventoryShare,
          pnl: new Big(equity - equity0),
          volatility,
          largestOrderNotional: new Big(largestNotional(lastBook)),
          priceAgeSeconds: 0,
        },
        cfg,
      );
      if (risk.action === 'stop') {
        stopped = true;
        for (const r of risk.reasons) if (r.limit === 'maxLoss') stops.add(snake(r.limit));
        if (stops.size === 0) for (const r of risk.reasons) stops.add(snake(r.limit));
      } else if (risk.action === 'pause') {
        pausedUntil = t + (risk.cooldownSeconds ?? cfg.risk.cooldownSeconds);
      } else {
        if (risk.action === 'flatten' && t >= lastHedgeAt + cfg.risk.hedgeCooldownSeconds) {
          const plan = planHedge({
            reserveBase: market.reserveBase,
            reserveQuote: market.reserveQuote,
            referencePrice: market.mid,
            targetShare: new Big(cfg.spreadPolicy.targetInventoryShare),
            lotSize: pool.lotSize,
            minSize: pool.minSize,
          });
          if (plan.kind === 'trade') {
            const size = Number(plan.baseAmount);
            settle(mid, plan.side === 'buy' ? size : -size, -spec.hedgeFeeBps);
            hedges++;
            lastHedgeAt = t;
            market = quoter.market({ ...state, base, quote });
          }
        }
        if (cfg.strategy.kind === 'rule_based') {
          const ev = evaluateSpread(
            {
              currentSpreadBps: spreadBps,
              inventoryShare: share,
              volatility,
              tvl: tvl(market.reserveBase, market.reserveQuote, market.mid),
              previousVolatilityRegime: regime,
              previousImbalanceLevel: imbalance,
            },
            cfg.spreadPolicy,
          );
          regime = ev.volatilityRegime;
          imbalance = ev.imbalance.level;
          if (ev.shouldAdjust) spreadBps = ev.targetSpreadBps;
        }
        ladder = quoter.quote({ ...market, spreadBps: cycleSpreadBps(spreadBps, risk) });
      }
    }
    if (ladder) {
      lastBook = toBook(ladder);
      post(t + latency, lastBook);
      const bid = lastBook.bids[0];
      const ask = lastBook.asks[0];
      if (bid && ask) {
        spreadSum += ask.price - bid.price;
        spreadBpsSum += ((ask.price - bid.price) / mid) * 10_000;
        spreadCount++;
      }
    } else {
      haltedSteps++;
      if (lastBook !== EMPTY_BOOK) post(t + latency, EMPTY_BOOK);
      lastBook = EMPTY_BOOK;
    }

    // The step's market: the book in force over [t, t + dt), switching when a decision lands.
    const end = t + dt;
    let from = t;
    while (pending.length > 0 && pending[0]!.at <= from) active = cloneBook(pending.shift()!.book);
    while (from < end) {
      const next = pending.length > 0 && pending[0]!.at < end ? pending[0]!.at : end;
      fillSegment(active, mid, next - from, i);
      informedTrade(active, i, next - from);
      if (next < end) active = cloneBook(pending.shift()!.book);
      from = next;
    }

    if (series && i % every === 0) {
      series.t.push(t);
      series.mid.push(mid);
      series.bid.push(lastBook.bids[0]?.price ?? null);
      series.ask.push(lastBook.asks[0]?.price ?? null);
      series.equity.push(equity - equity0);
      series.inventory.push(base - initialBase);
    }
  }

  let adverseSelection = 0;
  for (const f of fills) adverseSelection += (mids[f.markIndex]! - f.price) * f.signedSize;
  return finishPath(
    {
      pathIndex,
      mids,
      steps,
      equity0,
      quote,
      base,
      initialBase,
      peak,
      maxDrawdown,
      fees,
      fills: fills.length,
      volume,
      adverseSelection,
      stops,
      spreadSum,
      spreadBpsSum,
      spreadCount,
      haltedSteps,
      hedges,
    },
    series,
  );
}

/** What a path has accumulated when its last step is done (both engines keep the same totals). */
export interface PathTotals {
  pathIndex: number;
  mids: Float64Array;
  steps: number;
  equity0: number;
  quote: number;
  base: number;
  initialBase: number;
  peak: number;
  maxDrawdown: number;
  fees: number;
  fills: number;
  volume: number;
  adverseSelection: number;
  stops: Set<string>;
  spreadSum: number;
  spreadBpsSum: number;
  spreadCount: number;
  haltedSteps: number;
  hedges: number;
}

/** Marks the pool at the final mid and builds the path's summary. */
export function finishPath(t: PathTotals, series: PathSeries | undefined): PathResult {
  const finalEquity = t.quote + t.base * t.mids[t.steps]!;
  const peak = Math.max(t.peak, finalEquity);
  return {
    summary: {
      path: t.pathIndex,
      pnl: finalEquity - t.equity0,
      fees: t.fees,
      finalInventory: t.base - t.initialBase,
      maxDrawdown: Math.max(t.maxDrawdown, peak - finalEquity),
      fills: t.fills,
      volume: t.volume,
      adverseSelection: t.adverseSelection,
      stops: [...t.stops],
      meanSpread: t.spreadCount ? t.spreadSum / t.spreadCount : 0,
      meanSpreadBps: t.spreadCount ? t.spreadBpsSum / t.spreadCount : 0,
      haltedSteps: t.haltedSteps,
      hedges: t.hedges,
      holdPnl: t.initialBase * (t.mids[t.steps]! - t.mids[0]!),
    },
    series,
  };
}

/** Fills consume levels; the posted ladder itself stays as decided (charts, notional check). */
function cloneBook(book: Book): Book {
  return {
    bids: book.bids.map((l) => ({ ...l })),
    asks: book.asks.map((l) => ({ ...l })),
  };
}
