import { Big } from '../domain/money';
import { planHedge } from '../domain/hedge';
import type { FastLadder, FastQuoteInput, FastQuoter } from '../domain/strategies/fast';
import { ewmaVolatilities4, volatilityOfReturns } from '../domain/volatility';
import { finishPath, snake, specConfig, type PathOptions, type PathResult } from './engine';
import { FastRisk, FastSpreadPolicy, type SpreadState, type StepValues } from './fast-decisions';
import { Round12 } from './fast-numbers';
import { generatePath, knownRelativeVolatility } from './paths';
import { createFastStepQuoter } from './quoter';
import { pathGenerator, pathRng } from './rng';
import type { BacktestSpec, PathSeries } from './types';

/*
 * The engine of backtest/engine.ts in plain numbers: the same market, steps, draws and decisions,
 * with the ladder from the fast quoter (domain/strategies/fast, whole ticks and lots, equal to the
 * decimal pipeline), the risk verdict and spread policy taken in floats only far from their
 * thresholds (fast-decisions.ts), the volatility estimator's window kept as log returns and
 * reduced by the estimator's own function, and books in preallocated typed arrays. Every double
 * the decimal engine derives from a decimal (prices, sizes, the 12-digit mid and balances) is
 * derived here as the same correctly rounded double, so a path's summary is the same number for
 * number (test/unit/backtest/fast-engine.test.ts). The decimal engine stays the reference
 * (`engine: 'exact'`) and runs the views this one does not cover (the paper's inventory in units).
 */

/** Why the fast engine cannot run a spec (the decimal engine then does), or undefined. */
export function fastEngineUnsupported(spec: BacktestSpec): string | undefined {
  const inventory = spec.view?.inventory ?? 'pool';
  if (inventory !== 'pool') return `view.inventory '${inventory}' (synthetic reserves beyond 15 digits)`;
  if (spec.flow.replay) return 'flow.replay';
  // quoteLadder applies the band after the strategy; the fast quoter does not (yet).
  const ladder = specConfig(spec).ladder;
  if (ladder.priceCeiling !== undefined || ladder.priceFloor !== undefined) {
    return 'ladder.priceCeiling / priceFloor (the price band)';
  }
  return undefined;
}

const quoters = new WeakMap<BacktestSpec, FastQuoter>();

/** Book slots: prices and sizes as doubles (the decimal engine's Number(price), Number(size)). */
class Book {
  bidCount = 0;
  askCount = 0;
  at = 0;
  readonly bidPx: Float64Array;
  readonly bidSz: Float64Array;
  readonly askPx: Float64Array;
  readonly askSz: Float64Array;
  constructor(levels: number) {
    this.bidPx = new Float64Array(levels);
    this.bidSz = new Float64Array(levels);
    this.askPx = new Float64Array(levels);
    this.askSz = new Float64Array(levels);
  }
  clear(): void {
    this.bidCount = 0;
    this.askCount = 0;
  }
}

export function simulatePathFast(
  spec: BacktestSpec,
  pathIndex: number,
  options: PathOptions = {},
): PathResult {
  const unsupported = fastEngineUnsupported(spec);
  if (unsupported) throw new Error(`the fast engine does not run ${unsupported}; use engine 'exact'`);
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
  // The flow stream as its generator: its monomorphic next() inlines, so draws stay unboxed.
  const flow = pathGenerator(spec.seed, pathIndex, 'flow');
  // One quoter per spec, shared by its paths (a quote depends on its input only).
  let quoter = quoters.get(spec);
  if (!quoter) {
    quoter = createFastStepQuoter(cfg, spec.pool);
    quoters.set(spec, quoter);
  }
  // Read once: properties set on a function object are slow to look up on every level.
  const priceOf = quoter.price;
  const sizeOf = quoter.size;
  const lotSize = new Big(spec.pool.lotSize);
  const minSize = new Big(spec.pool.minSize);
  const latency = spec.latencyMs / 1000;
  const fixedTimeRemaining =
    typeof view.timeRemaining === 'object' ? view.timeRemaining.fixedSeconds : undefined;
  const poisson = spec.flow.poisson;
  const linearFills = poisson?.fillProbability === 'linear';
  const informed = spec.flow.informed;
  const markoutSteps = Math.max(0, Math.round(spec.markoutSeconds / dt));
  const levels = cfg.ladder.levels;
  const risk = new FastRisk(cfg);
  const policy = cfg.strategy.kind === 'rule_based' ? new FastSpreadPolicy(cfg) : undefined;
  const minSpreadBps = Number(cfg.spreadPolicy.minSpreadBps);
  const maxSpreadBps = Number(cfg.spreadPolicy.maxSpreadBps);

  // The volatility window as log returns of the 12-digit mids, compacted when the buffer fills.
  const volCfg = cfg.volatility;
  const window = volCfg.window;
  const estimated = view.volatility !== 'known';
  const cap = Math.max(4 * window, 1024);
  const returns = new Float64Array(cap);
  const stamps = new Float64Array(cap + 1);
  let retFrom = 0;
  let retTo = 0;
  let prevMid = 0;

  const initialBase = Number(spec.pool.initialBase);
  let base = initialBase;
  let quote = Number(spec.pool.initialQuote);
  const equity0 = quote + base * s0;
  const spread: SpreadState = {
    spreadBps: Number(cfg.spreadPolicy.defaultSpreadBps),
    regime: 'normal',
    imbalance: 'none',
  };

  // Books: the last decision, the one in force, and decisions on their way (a ring).
  const last = new Book(levels);
  let lastIsNone = true; // the decimal engine's EMPTY_BOOK: nothing decided yet, or halted
  let active = new Book(levels);
  const ringSize = Math.ceil(latency / dt) + 3;
  const ring = Array.from({ length: ringSize }, () => new Book(levels));
  let head = 0;
  let pendingCount = 0;

  let stopped = false;
  let pausedUntil = -Infinity;
  let lastHedgeAt = -Infinity;
  const stops = new Set<string>();
  let fillCap = 1024;
  let fillMark: Float64Array = new Float64Array(fillCap);
  let fillPrice: Float64Array = new Float64Array(fillCap);
  let fillSize: Float64Array = new Float64Array(fillCap);
  let fillCount = 0;
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

  const input: FastQuoteInput = {
    mid: 0,
    reserveBase: 0,
    reserveQuote: 0,
    targetInventoryShare: cfg.spreadPolicy.targetInventoryShare,
    spreadBps: 0,
    volatility: 0,
    volatilityHorizonSeconds: cfg.volatility.horizonSeconds,
    timeRemainingSeconds: fixedTimeRemaining,
    nowMs: 0,
    minSpreadBps,
    maxSpreadBps,
  };
  const values: StepValues = {
    mid: 0,
    shareBase: 0,
    shareQuote: 0,
    base: 0,
    quote: 0,
    pnl: 0,
    volatility: 0,
    largestNotional: 0,
  };

  /** An empty book (halted) to land at `at`; a quoted book is posted by toLastAndPost. */
  function postEmpty(at: number): void {
    if (pendingCount === ringSize)
      throw new Error('fast engine: more decisions in flight than the latency allows');
    const slot = ring[(head + pendingCount) % ringSize]!;
    slot.clear();
    slot.at = at;
    pendingCount++;
  }
  /** The landed decision becomes the book in force; its slot takes the old book's arrays. */
  function takePending(): void {
    const landed = ring[head]!;
    ring[head] = active;
    active = landed;
    head = (head + 1) % ringSize;
    pendingCount--;
  }

  function settle(price: number, signedSize: number, feeBps: number): void {
    base += signedSize;
    quote -= price * signedSize;
    const fee = (Math.abs(price * signedSize) * feeBps) / 10_000;
    quote += fee;
    fees += fee;
  }
  function trade(price: number, signedSize: number, i: number, feeBps: number): void {
    settle(price, signedSize, feeBps);
    volume += Math.abs(signedSize);
    if (fillCount === fillCap) {
      fillCap *= 2;
      fillMark = grow(fillMark, fillCap);
      fillPrice = grow(fillPrice, fillCap);
      fillSize = grow(fillSize, fillCap);
    }
    fillMark[fillCount] = Math.min(steps, i + markoutSteps);
    fillPrice[fillCount] = price;
    fillSize[fillCount] = signedSize;
    fillCount++;
  }

  // The fill model's constants, read once (the decimal engine's chance() in the same expressions).
  const intensityA = poisson?.A ?? 0;
  const intensityK = poisson?.k ?? 0;
  const perBps = poisson?.kPer === 'bps';
  const makerFeeBps = spec.makerFeeBps;

  /*
   * The segment being filled: mid and tau. Doubles handed to a call that is not inlined are boxed
   * (a heap allocation each), so the step passes them through this array instead.
   */
  const seg = new Float64Array(2);

  /**
   * For each live level, bids then asks: a draw u < chance(distance) as the decimal engine decides
   * it, chance = 1 - exp(-lambda tau) (or min(1, lambda tau)), lambda = A exp(-k distance scale).
   * Most draws miss, and are told without exponentials where a bound proves it: chance < lambda
   * tau, and in floats 1 - Math.exp(-y) exceeds y by at most a relative 2^-52 plus 2.3e-16 (exp
   * within an ulp, the subtraction exact above 1/2); with a non-positive exponent Math.exp is at
   * most 1, so lambda tau <= A tau (1 + 2^-52). `cut` is A tau with those margins (1e-15 each,
   * several times over).
   */
  function fillSegment(i: number): void {
    const mid = seg[0]!;
    const tau = seg[1]!;
    if (tau <= 0 || !poisson) return;
    const scale = perBps ? 10_000 / mid : 1;
    const cut = intensityA * tau * (1 + 1e-15) + 1e-15;
    const nb = active.bidCount;
    const n = nb + active.askCount;
    for (let k = 0; k < n; k++) {
      const isBid = k < nb;
      const j = isBid ? k : k - nb;
      const sizes = isBid ? active.bidSz : active.askSz;
      const size = sizes[j]!;
      if (size <= 0) continue;
      const price = isBid ? active.bidPx[j]! : active.askPx[j]!;
      const u = flow.next();
      const exponent = -intensityK * (isBid ? mid - price : price - mid) * scale;
      if (exponent <= 0) {
        if (u > cut) continue;
        // Tighter, for the draws below A tau: e^x <= 1 / (1 - x) for x <= 0, so lambda tau <=
        // A tau / (1 - x); the factor 1 + 1e-14 covers the roundings of both sides many times over.
        if (u > ((intensityA * tau) / (1 - exponent)) * (1 + 1e-14) + 1e-15) continue;
      }
      const lambda = intensityA * Math.exp(exponent);
      if (linearFills) {
        if (!(u < Math.min(1, lambda * tau))) continue;
      } else {
        const y = lambda * tau;
        if (u > y * (1 + 1e-15) + 1e-15) continue;
        if (!(u < 1 - Math.exp(-y))) continue;
      }
      if (isBid ? quote >= price * size : base >= size) {
        trade(price, isBid ? size : -size, i, makerFeeBps);
        sizes[j] = 0;
      }
    }
  }

  function firstLive(sizes: Float64Array, count: number): number {
    for (let j = 0; j < count; j++) if (sizes[j]! > 0) return j;
    return -1;
  }

  function informedTrade(i: number): void {
    const tau = seg[1]!;
    if (!informed || tau <= 0) return;
    if (flow.next() >= 1 - Math.exp(-informed.ratePerSecond * tau)) return;
    const ahead = mids[Math.min(steps, i + Math.max(1, Math.round(informed.lookaheadSeconds / dt)))]!;
    const a = firstLive(active.askSz, active.askCount);
    const b = firstLive(active.bidSz, active.bidCount);
    if (a >= 0 && ahead > active.askPx[a]! && base >= active.askSz[a]!) {
      trade(active.askPx[a]!, -active.askSz[a]!, i, spec.makerFeeBps);
      active.askSz[a] = 0;
    } else if (b >= 0 && ahead < active.bidPx[b]! && quote >= active.bidPx[b]! * active.bidSz[b]!) {
      trade(active.bidPx[b]!, active.bidSz[b]!, i, spec.makerFeeBps);
      active.bidSz[b] = 0;
    }
  }

  // The ticks and lots whose doubles `last` holds: a level that did not move keeps its double.
  const heldBidTicks = new Float64Array(levels).fill(NaN);
  const heldBidLots = new Float64Array(levels).fill(NaN);
  const heldAskTicks = new Float64Array(levels).fill(NaN);
  const heldAskLots = new Float64Array(levels).fill(NaN);

  /** The largest notional of `last`'s levels: it changes only when toLast writes `last`. */
  let lastNotional = 0;

  /**
   * The quoter's ladder into `last` and, in the same pass, into the next ring slot to land at `at`
   * (a copy of `last`: fills zero the sizes of the book in force, never `last`'s); the largest
   * notional on the way.
   */
  function toLastAndPost(ladder: FastLadder, at: number): void {
    if (pendingCount === ringSize)
      throw new Error('fast engine: more decisions in flight than the latency allows');
    const slot = ring[(head + pendingCount) % ringSize]!;
    slot.at = at;
    pendingCount++;
    let max = 0;
    last.bidCount = slot.bidCount = ladder.bidCount;
    last.askCount = slot.askCount = ladder.askCount;
    for (let j = 0; j < ladder.bidCount; j++) {
      const ticks = ladder.bidTicks[j]!;
      const lots = ladder.bidLots[j]!;
      if (ticks !== heldBidTicks[j]) {
        last.bidPx[j] = priceOf(ticks);
        heldBidTicks[j] = ticks;
      }
      if (lots !== heldBidLots[j]) {
        last.bidSz[j] = sizeOf(lots);
        heldBidLots[j] = lots;
      }
      const px = (slot.bidPx[j] = last.bidPx[j]!);
      const sz = (slot.bidSz[j] = last.bidSz[j]!);
      max = Math.max(max, px * sz);
    }
    for (let j = 0; j < ladder.askCount; j++) {
      const ticks = ladder.askTicks[j]!;
      const lots = ladder.askLots[j]!;
      if (ticks !== heldAskTicks[j]) {
        last.askPx[j] = priceOf(ticks);
        heldAskTicks[j] = ticks;
      }
      if (lots !== heldAskLots[j]) {
        last.askSz[j] = sizeOf(lots);
        heldAskLots[j] = lots;
      }
      const px = (slot.askPx[j] = last.askPx[j]!);
      const sz = (slot.askSz[j] = last.askSz[j]!);
      max = Math.max(max, px * sz);
    }
    lastNotional = max;
  }

  // The 12-digit rounding per series, each with its own exponent hint.
  const midRounding = new Round12();

  /*
   * The mid and volatility of the next BLOCK steps, computed ahead: both depend on the price path
   * only, which is known from the start. Four steps' volatility windows are then reduced together
   * (ewmaVolatilities4), the same doubles as one at a time.
   */
  const blockMid = new Float64Array(BLOCK);
  const blockVol = new Float64Array(BLOCK);
  const blockFrom = new Int32Array(BLOCK);
  const blockTo = new Int32Array(BLOCK);
  const blockSpan = new Float64Array(BLOCK);
  let blockStart = 0;
  let blockEnd = 0;

  function fillBlock(start: number, end: number): void {
    if (estimated && retTo + BLOCK > cap) {
      // Room for the block's returns: keep the window's returns and their stamps at the front.
      const drop = retFrom;
      stamps.copyWithin(0, retFrom, retTo + 1);
      returns.copyWithin(0, retFrom, retTo);
      retFrom = 0;
      retTo -= drop;
    }
    for (let s = start; s < end; s++) {
      const mid = midRounding.round(mids[s]!);
      const j = s - start;
      blockMid[j] = mid;
      if (!estimated) {
        blockVol[j] = knownRelativeVolatility(spec.price, mid, volCfg.horizonSeconds);
        continue;
      }
      if (s > 0) {
        returns[retTo] = Math.log(mid / prevMid);
        retTo++;
        if (retTo - retFrom > window) retFrom++;
      }
      stamps[retTo] = Math.round(s * dt * 1000);
      prevMid = mid;
      blockFrom[j] = retFrom;
      blockTo[j] = retTo;
      blockSpan[j] = (stamps[retTo]! - stamps[retFrom]!) / 1000;
    }
    if (!estimated) return;
    const count = end - start;
    // Four full windows (each then one return after the last): reduced together.
    if (
      count === BLOCK &&
      volCfg.method === 'ewma' &&
      window >= 2 &&
      blockTo[0]! - blockFrom[0]! === window &&
      blockTo[BLOCK - 1]! - blockFrom[BLOCK - 1]! === window
    ) {
      ewmaVolatilities4(returns, blockFrom[0]!, blockTo[0]!, blockSpan, volCfg, blockVol);
      return;
    }
    for (let j = 0; j < count; j++) {
      const from = blockFrom[j]!;
      const to = blockTo[j]!;
      blockVol[j] = to - from < 2 ? 0 : volatilityOfReturns(returns, from, to, blockSpan[j]!, volCfg);
    }
  }

  const baseRounding = new Round12();
  const quoteRounding = new Round12();
  let heldBase = NaN;
  let heldQuote = NaN;
  let rBase = 0;
  let rQuote = 0;
  for (let i = 0; i < steps; i++) {
    const t = i * dt;
    if (i === blockEnd) {
      blockStart = i;
      blockEnd = Math.min(steps, i + BLOCK);
      fillBlock(blockStart, blockEnd);
    }
    const mid = blockMid[i - blockStart]!;
    const volatility = blockVol[i - blockStart]!;
    const equity = quote + base * mid;
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, peak - equity);
    const nowMs = Math.round(t * 1000);

    // Balances move only on fills: most steps reuse the previous step's rounding.
    if (base !== heldBase) {
      heldBase = base;
      rBase = baseRounding.round(base);
    }
    if (quote !== heldQuote) {
      heldQuote = quote;
      rQuote = quoteRounding.round(quote);
    }
    values.mid = mid;
    values.shareBase = rBase;
    values.shareQuote = rQuote;
    values.base = rBase;
    values.quote = rQuote;
    values.pnl = equity - equity0;
    values.volatility = volatility;
    values.largestNotional = lastIsNone ? 0 : lastNotional;
    let quoted = false;
    if (!stopped && t >= pausedUntil) {
      const verdict = risk.evaluate(values);
      if (verdict.action === 'stop') {
        stopped = true;
        for (const r of verdict.reasons) if (r.limit === 'maxLoss') stops.add(snake(r.limit));
        if (stops.size === 0) for (const r of verdict.reasons) stops.add(snake(r.limit));
      } else if (verdict.action === 'pause') {
        pausedUntil = t + (verdict.cooldownSeconds ?? cfg.risk.cooldownSeconds);
      } else {
        if (verdict.action === 'flatten' && t >= lastHedgeAt + cfg.risk.hedgeCooldownSeconds) {
          const plan = planHedge({
            reserveBase: new Big(rBase),
            reserveQuote: new Big(rQuote),
            referencePrice: new Big(mid),
            targetShare: new Big(cfg.spreadPolicy.targetInventoryShare),
            lotSize,
            minSize,
          });
          if (plan.kind === 'trade') {
            const size = Number(plan.baseAmount);
            settle(mid, plan.side === 'buy' ? size : -size, -spec.hedgeFeeBps);
            hedges++;
            lastHedgeAt = t;
            values.base = baseRounding.round(base);
            values.quote = quoteRounding.round(quote);
          }
        }
        if (policy) {
          const ev = policy.evaluate(values, spread);
          spread.regime = ev.volatilityRegime;
          spread.imbalance = ev.imbalance.level;
          if (ev.shouldAdjust) spread.spreadBps = ev.targetSpreadBps.toNumber();
        }
        input.mid = mid;
        input.reserveBase = values.base;
        input.reserveQuote = values.quote;
        input.spreadBps =
          verdict.action === 'widen'
            ? new Big(spread.spreadBps).times(1.5).round(4).toNumber()
            : spread.spreadBps;
        input.volatility = volatility;
        input.nowMs = nowMs;
        toLastAndPost(quoter(input), t + latency);
        lastIsNone = false;
        quoted = true;
      }
    }
    if (quoted) {
      if (last.bidCount > 0 && last.askCount > 0) {
        const w = last.askPx[0]! - last.bidPx[0]!;
        spreadSum += w;
        spreadBpsSum += (w / mid) * 10_000;
        spreadCount++;
      }
    } else {
      haltedSteps++;
      if (!lastIsNone) postEmpty(t + latency);
      lastIsNone = true;
    }

    // The step's market: the book in force over [t, t + dt), switching when a decision lands.
    const end = t + dt;
    let from = t;
    while (pendingCount > 0 && ring[head]!.at <= from) takePending();
    while (from < end) {
      const next = pendingCount > 0 && ring[head]!.at < end ? ring[head]!.at : end;
      seg[0] = mid;
      seg[1] = next - from;
      fillSegment(i);
      informedTrade(i);
      if (next < end) takePending();
      from = next;
    }

    if (series && i % every === 0) {
      series.t.push(t);
      series.mid.push(mid);
      series.bid.push(!lastIsNone && last.bidCount > 0 ? last.bidPx[0]! : null);
      series.ask.push(!lastIsNone && last.askCount > 0 ? last.askPx[0]! : null);
      series.equity.push(equity - equity0);
      series.inventory.push(base - initialBase);
    }
  }

  let adverseSelection = 0;
  for (let f = 0; f < fillCount; f++)
    adverseSelection += (mids[fillMark[f]!]! - fillPrice[f]!) * fillSize[f]!;
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
      fills: fillCount,
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

/** Steps whose mid and volatility are computed ahead together (four volatility windows at once). */
const BLOCK = 4;

function grow(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}
