import {
  Big,
  ONE_BASIS_POINT,
  ceilToStep,
  formatDecimal,
  modelNumberToBig,
  parseDecimal,
  ratioToBig,
} from '../../money';
import { DomainValidationError } from '../../errors';
import { modelCoreFor } from '../cores';
import { newModelOutput, newModelState, writeModelState } from '../model-core';
import { decimalPriceModel, runPipeline } from '../pipeline';
import { ADJ, adjustmentBits } from './adjustments';
import { ExactDecisions } from './exact';
import { DecimalGrid, EXACT_INTEGER, MAX_GRID_INDEX, U } from './grid';
import { capTouch, guardLevel, stepLevel, type Guards } from './ticks';
import type {
  FastLadder,
  FastMarket,
  FastQuoteInput,
  FastQuoter,
  FastQuoterConfig,
  FastQuoterStats,
} from './types';
import { validateFastInput } from './validate';

/*
 * Error bounds. Every float below is within a few roundings (u = 2^-53 each) of the exact decimal
 * value the decimal pipeline computes; the model's depths additionally differ from their decimal
 * form by the 15-significant-digit conversion (at most 5e-15 relative) and the cut to 20 decimals.
 * A floor or ceil is taken in floats only when the value is farther from an integer than these
 * bounds (with a margin of several times); otherwise that one value is computed in decimals with
 * the pipeline's own helpers.
 */
const REL = 4e-15; // >= 7 roundings of the sum of magnitudes
const MODEL_REL = 2e-14; // >= 15-digit conversion + roundings of a model depth
const TIDY_ABS = 1e-20; // >= the cut of a depth to 20 decimals (5e-21)
/** Share deviations below this are too close to zero to take their sign from floats. */
const DEVIATION_ABS = 1e-14;
/** Absolute error bound of the share deviation in floats (about 7 roundings of a share <= 1). */
const DEVIATION_ERR = 2e-15;

/**
 * A quoter for one pool configuration and market: plain numbers in, a ladder in whole ticks and
 * lots out, equal to what `strategyFor(config.strategy).compute` returns for the same values as
 * decimals (`toDecimalQuoteInput`). It calls the same model core (`modelCoreFor`) and re-expresses
 * only the ladder building and post-processing in integer ticks and lots.
 */
export function createFastQuoter(config: FastQuoterConfig, market: FastMarket): FastQuoter {
  const core = modelCoreFor(config.strategy);
  const decimalModel = decimalPriceModel(core);
  const { ladder } = config;
  validateLadderShape(ladder.levels, ladder.sizeDecay);

  const tick = new DecimalGrid(market.tickSize, 'tickSize');
  const lot = new DecimalGrid(market.lotSize, 'lotSize');
  const minSize = parseDecimal(market.minSize, 'minSize');
  const maxNotional =
    market.maxOrderNotional === undefined
      ? undefined
      : parseDecimal(market.maxOrderNotional, 'maxOrderNotional', { allowZero: false });
  const spacingBps = parseDecimal(ladder.levelSpacingBps, 'ladder.levelSpacingBps', { allowZero: false });
  const baseSize = parseDecimal(ladder.baseOrderSize, 'ladder.baseOrderSize', { allowZero: false });
  const decay = ratioToBig(ladder.sizeDecay, 'ladder.sizeDecay');
  // The floor is the ladder's when it sets one, else the caller's live minSpreadBps (per call).
  const ladderFloorBps =
    ladder.minSpreadFloorBps === undefined
      ? undefined
      : parseDecimal(ladder.minSpreadFloorBps, 'ladder.minSpreadFloorBps').toNumber();
  const shape = ladder.inventorySizeShape;
  ratioToBig(shape, 'ladder.inventorySizeShape');
  const levels = ladder.levels;
  const baseOrderSize = baseSize.toNumber();

  // Per level: exact size, whole lots at full size, and size in lots as a double.
  const levelSize: Big[] = [];
  const fullLots = new Float64Array(levels);
  const levelLots = new Float64Array(levels);
  for (let i = 0; i < levels; i++) {
    levelSize.push(baseSize.times(decay.pow(i)));
    const lots = levelSize[i]!.div(lot.big);
    if (lots.gte(MAX_GRID_INDEX)) {
      throw new DomainValidationError(
        'ladder.baseOrderSize',
        `ladder.baseOrderSize is more than 2^50 lots of ${market.lotSize}; use a larger lot for fast quoting`,
      );
    }
    fullLots[i] = lots.round(0, Big.roundDown).toNumber();
    levelLots[i] = lots.toNumber();
  }
  // Kept levels need lots >= 1 and lots x lot >= minSize.
  const minLots = Math.max(1, ceilToStep(minSize, lot.big).div(lot.big).toNumber());
  const spacingTicksPerMid = spacingBps.times(ONE_BASIS_POINT).div(tick.big).toNumber();
  const notionalTickLots =
    maxNotional === undefined ? Infinity : maxNotional.div(tick.big.times(lot.big)).toNumber();

  const out: FastLadder = {
    bidCount: 0,
    askCount: 0,
    bidTicks: new Float64Array(levels),
    bidLots: new Float64Array(levels),
    askTicks: new Float64Array(levels),
    askLots: new Float64Array(levels),
    adjustments: 0,
    reservationPrice: 0,
    bidDepth: 0,
    askDepth: 0,
    q: 0,
    inventoryShare: 0,
    model: {},
    exactness: 0,
  };
  const stats: FastQuoterStats = {
    quotes: 0,
    exactDecisions: 0,
    decimalFallbacks: 0,
    exactValues: { prices: 0, sizes: 0, spreadFloor: 0, spreadCap: 0, notional: 0 },
  };
  // Raw level prices (ticks) and sizes (lots) before dropping.
  const bidT = new Float64Array(levels);
  const askT = new Float64Array(levels);
  const bidL = new Float64Array(levels);
  const askL = new Float64Array(levels);

  const exact = new ExactDecisions({
    config,
    market,
    tick,
    lot,
    spacingBps,
    levelSize,
    maxNotional,
    counts: stats.exactValues,
  });
  const guards: Guards = { capAsk: Infinity, capMid: Infinity, floorBid: -Infinity, floorMid: -Infinity };
  // Per-call state: the model's state and output are refilled by every call (no garbage per quote).
  let input!: FastQuoteInput;
  const st = newModelState();
  const model = newModelOutput();

  /**
   * Sizes in lots of one side: FULL (factor exactly 1), ZERO (factor exactly 0), EXACT (every
   * level decided in decimals) or FLOAT (factor within factorErr of the decimal factor).
   */
  function sideLots(lots: Float64Array, side: 'bid' | 'ask', mode: number, factor = 1, factorErr = 0): void {
    for (let i = 0; i < levels; i++) {
      if (mode === FULL) {
        lots[i] = fullLots[i]!;
      } else if (mode === ZERO) {
        lots[i] = 0;
      } else if (mode === EXACT) {
        lots[i] = exact.lots(i, side);
      } else {
        const v = levelLots[i]! * factor;
        const t = Math.floor(v);
        const eps = levelLots[i]! * (factorErr + 4 * U) + 4 * U * v;
        lots[i] = v - t < eps || t + 1 - v < eps ? exact.lots(i, side) : t;
      }
    }
  }

  function sizes(): void {
    if (shape === 0) {
      sideLots(bidL, 'bid', FULL);
      sideLots(askL, 'ask', FULL);
      return;
    }
    const dev = st.shareDeviation;
    if (
      Math.abs(dev) <= DEVIATION_ABS ||
      !normalMagnitudes(input.reserveBase * input.mid, input.reserveQuote)
    ) {
      // The sign (or zero) is decided in decimals; any factor other than 1 then too.
      const factors = exact.factors();
      sideLots(bidL, 'bid', factors.bid.eq(1) ? FULL : EXACT);
      sideLots(askL, 'ask', factors.ask.eq(1) ? FULL : EXACT);
      return;
    }
    const target = input.targetInventoryShare;
    const room = dev > 0 ? 1 - target : target;
    const ratio = Math.abs(dev) / room;
    const factor = 1 - shape * ratio;
    const ratioErr = (2 * DEVIATION_ERR + REL * ratio) / room;
    const factorErr = 2 * shape * ratioErr + REL * (1 + shape * ratio);
    // max(0, 1 - shape x ratio): the clamp at zero is a boundary of its own.
    const mode = factor < -factorErr ? ZERO : factor <= factorErr ? EXACT : FLOAT;
    sideLots(bidL, 'bid', dev > 0 ? mode : FULL, factor, factorErr);
    sideLots(askL, 'ask', dev > 0 ? FULL : mode, factor, factorErr);
  }

  /** Step 3 of finalizeQuotes: best bid and ask at least minSpreadFloorBps of mid apart. */
  function spreadFloor(floorBps: number): void {
    const b = bidT[0]!;
    const a = askT[0]!;
    const w = a - b;
    const center = (a + b) / 2;
    if (floorBps === 0) {
      if (w > 0) return;
      bidT[0] = Math.floor(center);
      askT[0] = Math.ceil(center);
    } else {
      const minW = (input.mid * floorBps * 1e-4) / tick.f;
      const wEps = REL * minW;
      if (w > 0 && w - minW > wEps) return;
      if (w > 0 && minW - w <= wEps) {
        exactSpreadFloor(b, a);
        return;
      }
      const lo = center - minW / 2;
      const hi = center + minW / 2;
      const eps = REL * (Math.abs(center) + minW);
      const nb = Math.floor(lo);
      const na = Math.ceil(hi);
      if (lo - nb < eps || nb + 1 - lo < eps || na - hi < eps || hi - (na - 1) < eps) {
        exactSpreadFloor(b, a);
        return;
      }
      bidT[0] = nb;
      askT[0] = na;
    }
    if (askT[0]! <= bidT[0]!) askT[0] = bidT[0]! + 1;
    out.adjustments |= ADJ.spread_floor;
  }

  function exactSpreadFloor(b: number, a: number): void {
    const touch = exact.spreadFloor(b, a);
    if (touch === undefined) return;
    [bidT[0], askT[0]] = touch;
    out.adjustments |= ADJ.spread_floor;
  }

  /**
   * Step 3b of finalizeQuotes: a touch wider than maxSpreadBps (a guard pushed one side out) is
   * brought to the widest grid width within the cap, never past the guards.
   */
  function spreadCap(maxBps: number): void {
    const b = bidT[0]!;
    const a = askT[0]!;
    const w = a - b;
    const capT = (input.mid * maxBps * 1e-4) / tick.f;
    const capEps = REL * capT;
    let gw: number;
    if (Math.abs(w - capT) > capEps) {
      if (w < capT) return;
      gw = Math.floor(capT);
      if (capT - gw < capEps || gw + 1 - capT < capEps) gw = exact.capGridWidth();
    } else {
      if (!exact.widerThanCap(w)) return;
      gw = exact.capGridWidth();
    }
    out.adjustments |= capTouch(bidT, askT, gw, guards);
  }

  /**
   * Steps 4 and 5 of finalizeQuotes for one side, level by level: the level strictly away from the
   * one before (outward -1 for bids, +1 for asks), then notional cap, lot floor (done), min size and
   * price > 0. Step 4 reads the stepped price of the level before, dropped or not, as it does alone.
   */
  function finish(
    prices: Float64Array,
    lots: Float64Array,
    outTicks: Float64Array,
    outLots: Float64Array,
    outward: number,
    stepped: number,
    nonPositive: number,
    capped: number,
    belowMin: number,
  ): number {
    let n = 0;
    for (let i = 0; i < levels; i++) {
      if (i > 0 && stepLevel(prices, i, outward)) out.adjustments |= stepped;
      const p = prices[i]!;
      if (p <= 0) {
        out.adjustments |= nonPositive;
        continue;
      }
      let s = lots[i]!;
      if (maxNotional !== undefined && s > 0) {
        const over = overNotional(p, s);
        if (over) {
          s = cappedLots(p);
          out.adjustments |= capped;
        }
      }
      if (s <= 0 || s < minLots) {
        out.adjustments |= belowMin;
        continue;
      }
      outTicks[n] = p;
      outLots[n] = s;
      n++;
    }
    return n;
  }

  /** price x size > maxOrderNotional, i.e. ticks x lots > maxOrderNotional / (tick x lot). */
  function overNotional(p: number, s: number): boolean {
    const prod = p * s;
    if (Math.abs(prod - notionalTickLots) > REL * notionalTickLots) return prod > notionalTickLots;
    return exact.overNotional(p, s);
  }

  /** floor(maxOrderNotional / (price x lot)) lots. */
  function cappedLots(p: number): number {
    const v = notionalTickLots / p;
    const t = Math.floor(v);
    const eps = REL * v;
    if (v - t > eps && t + 1 - v > eps) return t;
    return exact.notionalLots(p);
  }

  function decimalFallback(): FastLadder {
    stats.decimalFallbacks++;
    const q = runPipeline(config.strategy.kind, decimalModel, exact.input());
    for (const l of [...q.bids, ...q.asks]) {
      if (l.price.abs().div(tick.big).gte(EXACT_INTEGER)) {
        throw new DomainValidationError(
          'mid',
          `a quote of ${formatDecimal(l.price)} is 2^53 or more ticks of ${market.tickSize}, beyond what whole ticks in doubles hold; quote this market with the decimal pipeline (strategyFor)`,
        );
      }
    }
    out.bidCount = q.bids.length;
    out.askCount = q.asks.length;
    q.bids.forEach((l, j) => {
      out.bidTicks[j] = tick.slowIndex(l.price);
      out.bidLots[j] = lot.slowIndex(l.size);
    });
    q.asks.forEach((l, j) => {
      out.askTicks[j] = tick.slowIndex(l.price);
      out.askLots[j] = lot.slowIndex(l.size);
    });
    out.adjustments = adjustmentBits(q.adjustments);
    out.reservationPrice = q.reservationPrice.toNumber();
    out.bidDepth = q.bidDepth.toNumber();
    out.askDepth = q.askDepth.toNumber();
    out.exactness = 2;
    return out;
  }

  function quote(next: FastQuoteInput): FastLadder {
    stats.quotes++;
    validateFastInput(next);
    input = next;
    writeModelState(st, next, baseOrderSize);
    core(st, model);
    exact.reset(next, model);
    // The same refusals as the decimal conversion (a model that produced NaN or Infinity).
    const half = model.halfSpread;
    if (!Number.isFinite(model.reservationOffset))
      modelNumberToBig(model.reservationOffset, 'reservationOffset');
    if (half !== undefined) {
      if (!Number.isFinite(half)) modelNumberToBig(half, 'halfSpread');
    } else {
      if (!Number.isFinite(model.bidDepth)) modelNumberToBig(model.bidDepth, 'bidDepth');
      if (!Number.isFinite(model.askDepth)) modelNumberToBig(model.askDepth, 'askDepth');
    }
    out.adjustments = 0;
    out.exactness = 0;
    out.q = st.q;
    out.inventoryShare = st.share;
    out.model = model.model;

    const x = next.mid;
    const midT = x / tick.f;
    // One model distance unit in ticks: a basis point of mid, or one quote unit.
    const unitT = model.units === 'mid_relative' ? (x * 1e-4) / tick.f : 1 / tick.f;
    let bdT = model.bidDepth * unitT;
    let adT = model.askDepth * unitT;
    // Error bounds of the depths against their decimal form, from the magnitudes of the converted terms.
    const terms = half === undefined ? 0 : Math.abs(model.reservationOffset) + Math.abs(half);
    let bErr =
      MODEL_REL * unitT * (half === undefined ? Math.abs(model.bidDepth) : terms) + TIDY_ABS / tick.f;
    let aErr =
      MODEL_REL * unitT * (half === undefined ? Math.abs(model.askDepth) : terms) + TIDY_ABS / tick.f;
    const spT = x * spacingTicksPerMid;
    const reach = Math.abs(midT) + Math.max(Math.abs(bdT), Math.abs(adT)) + spT * levels;
    // Beyond 2^50 ticks, integers in doubles are no longer exact through the steps below.
    if (!(reach < MAX_GRID_INDEX)) return decimalFallback();

    // 0. The model's level-0 width capped at maxSpreadBps around its centre (capModelWidth).
    let pricesExact = false;
    if (next.maxSpreadBps !== undefined) {
      const capT = (x * next.maxSpreadBps * 1e-4) / tick.f;
      const excess = bdT + adT - capT;
      const err = bErr + aErr + REL * (Math.abs(bdT) + Math.abs(adT) + capT);
      if (excess > err) {
        bdT -= excess / 2;
        adT -= excess / 2;
        bErr = aErr = err + REL * Math.abs(excess);
        out.adjustments |= ADJ.spread_capped_max;
      } else if (excess >= -err) {
        pricesExact = true;
        if (exact.quote().capped) out.adjustments |= ADJ.spread_capped_max;
      }
    }

    out.reservationPrice = x - model.reservationOffset * unitT * tick.f;
    out.bidDepth = bdT * tick.f;
    out.askDepth = adT * tick.f;

    // 1. Raw ladder rounded to the tick: bids down, asks up; 2. in the same pass, bids strictly
    // below the best ask (and mid), asks strictly above the best bid (and mid).
    const guardMid = config.ladder.guardMid;
    guards.capAsk = next.bestAsk === undefined ? Infinity : tick.ceilOf(next.bestAsk) - 1;
    guards.floorBid = next.bestBid === undefined ? -Infinity : tick.floorOf(next.bestBid) + 1;
    guards.capMid = guardMid ? tick.ceilOf(x) - 1 : Infinity;
    guards.floorMid = guardMid ? tick.floorOf(x) + 1 : -Infinity;
    let guardBits = 0;
    for (let i = 0; i < levels; i++) {
      if (pricesExact) {
        bidT[i] = exact.bidTicks(i);
        askT[i] = exact.askTicks(i);
      } else {
        const off = spT * i;
        const b = midT - bdT - off;
        const bEps = REL * (midT + Math.abs(bdT) + off) + bErr;
        const bt = Math.floor(b);
        bidT[i] = b - bt < bEps || bt + 1 - b < bEps ? exact.bidTicks(i) : bt;
        const a = midT + adT + off;
        const aEps = REL * (midT + Math.abs(adT) + off) + aErr;
        const at = Math.ceil(a);
        askT[i] = at - a < aEps || a - (at - 1) < aEps ? exact.askTicks(i) : at;
      }
      guardBits |= guardLevel(bidT, askT, i, guards);
    }
    out.adjustments |= guardBits;

    // 3. Spread floor and cap; 4. levels strictly ordered away from the touch.
    spreadFloor(ladderFloorBps ?? next.minSpreadBps ?? 0);
    if (next.maxSpreadBps !== undefined) spreadCap(next.maxSpreadBps);

    // 5. Sizes (step 4 runs in finish's pass over each side).
    sizes();
    out.bidCount = finish(
      bidT,
      bidL,
      out.bidTicks,
      out.bidLots,
      -1,
      ADJ.bid_level_stepped,
      ADJ.bid_dropped_non_positive_price,
      ADJ.bid_size_capped_by_notional,
      ADJ.bid_dropped_below_min_size,
    );
    out.askCount = finish(
      askT,
      askL,
      out.askTicks,
      out.askLots,
      1,
      ADJ.ask_level_stepped,
      ADJ.ask_dropped_non_positive_price,
      ADJ.ask_size_capped_by_notional,
      ADJ.ask_dropped_below_min_size,
    );
    if (exact.used) {
      stats.exactDecisions++;
      out.exactness = 1;
    }
    return out;
  }

  return Object.assign(quote, {
    stats,
    price: (ticks: number) => tick.toNumber(ticks),
    size: (lots: number) => lot.toNumber(lots),
  });
}

/**
 * The share's error bound holds while the base value and quote reserve are normal doubles: a
 * subnormal (below about 1e-308) has lost relative precision, and a sum near the top overflows.
 */
function normalMagnitudes(value: number, quote: number): boolean {
  return normalMagnitude(value) && normalMagnitude(quote);
}

// Module level, not a closure per call: this runs on every quote.
function normalMagnitude(v: number): boolean {
  return v === 0 || (v > 1e-280 && v < 1e300);
}

const FULL = 0;
const ZERO = 1;
const EXACT = 2;
const FLOAT = 3;

function validateLadderShape(levels: number, sizeDecay: number): void {
  if (!Number.isInteger(levels) || levels < 1 || levels > 10) {
    throw new DomainValidationError(
      'ladder.levels',
      `ladder.levels must be an integer from 1 to 10, got ${levels}`,
    );
  }
  if (!(sizeDecay > 0 && sizeDecay <= 1)) {
    throw new DomainValidationError(
      'ladder.sizeDecay',
      `ladder.sizeDecay must be in (0, 1], got ${sizeDecay}`,
    );
  }
}
