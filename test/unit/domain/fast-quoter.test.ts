import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Big,
  DomainValidationError,
  adjustmentNames,
  adjustmentBits,
  QUOTE_ADJUSTMENTS,
  createFastQuoter,
  formatDecimal,
  parsePoolConfig,
  strategyFor,
  toDecimalQuoteInput,
  type FastMarket,
  type FastQuoteInput,
  type FastQuoterConfig,
  type FastLadder,
  type QuoteLadder,
} from '../../../domain';
import { expectFieldError } from './helpers';
import { ladder } from './quote-fixtures';

/*
 * Differential tests: the fast quoter (doubles in, whole ticks and lots out) against the decimal
 * pipeline on the decimal values the doubles stand for. Equal means: the same levels on each
 * side, each price = ticks x tickSize and size = lots x lotSize exactly, and the same set of
 * adjustments; q and the model's intermediates are the same doubles.
 */

interface Case {
  config: FastQuoterConfig;
  market: FastMarket;
  input: FastQuoteInput;
}

type Outcome = { ladder: QuoteLadder } | { error: DomainValidationError };

function decimalOutcome(c: Case): Outcome {
  try {
    return {
      ladder: strategyFor(c.config.strategy).compute(toDecimalQuoteInput(c.config, c.market, c.input)),
    };
  } catch (error) {
    if (error instanceof DomainValidationError) return { error };
    throw error;
  }
}

const levelsOf = (ticks: Float64Array, lots: Float64Array, n: number, c: Case) =>
  Array.from({ length: n }, (_, j) => ({
    price: formatDecimal(new Big(ticks[j]!).times(c.market.tickSize)),
    size: formatDecimal(new Big(lots[j]!).times(c.market.lotSize)),
  }));

function fastView(f: FastLadder, c: Case) {
  return {
    bids: levelsOf(f.bidTicks, f.bidLots, f.bidCount, c),
    asks: levelsOf(f.askTicks, f.askLots, f.askCount, c),
    adjustments: adjustmentNames(f.adjustments).sort(),
  };
}

function decimalView(q: QuoteLadder) {
  const levels = (ls: QuoteLadder['bids']) =>
    ls.map((l) => ({ price: formatDecimal(l.price), size: formatDecimal(l.size) }));
  return { bids: levels(q.bids), asks: levels(q.asks), adjustments: [...q.adjustments].sort() };
}

const ADJ_CAPPED = adjustmentBits(['spread_capped_max']);

/** Adjustments met across all cases of this file, to check the generators reach every one. */
const seen = new Set<string>();

/** Runs one case through both paths and asserts they agree; returns the fast ladder's exactness. */
function expectSame(c: Case, quoter = createFastQuoter(c.config, c.market)): number {
  const decimal = decimalOutcome(c);
  if ('error' in decimal) {
    expectFieldError(() => quoter(c.input), decimal.error.field);
    return -1;
  }
  const f = quoter(c.input);
  const d = decimal.ladder;
  for (const a of d.adjustments) seen.add(a);
  expect(fastView(f, c), JSON.stringify(c)).toEqual(decimalView(d));
  // Prices and sizes as doubles: the same as Number() of the decimal ones.
  for (let j = 0; j < f.bidCount; j++) {
    expect(quoter.price(f.bidTicks[j]!)).toBe(d.bids[j]!.price.toNumber());
    expect(quoter.size(f.bidLots[j]!)).toBe(d.bids[j]!.size.toNumber());
  }
  for (let j = 0; j < f.askCount; j++) expect(quoter.price(f.askTicks[j]!)).toBe(d.asks[j]!.price.toNumber());
  const { q, inventoryShare, ...model } = d.model;
  expect(f.q).toBe(q);
  expect(f.model).toEqual(model);
  // The reported share is a double; subnormal reserves (below ~1e-308) have too few bits to be close.
  if (c.input.reserveBase * c.input.mid + c.input.reserveQuote > 1e-280)
    expect(f.inventoryShare).toBeCloseTo(inventoryShare!, 12);
  const offset = Math.abs(c.input.mid - f.reservationPrice);
  const scale = Math.max(1, Math.abs(c.input.mid), Math.abs(f.reservationPrice), offset);
  expect(Math.abs(f.reservationPrice - d.reservationPrice.toNumber())).toBeLessThanOrEqual(1e-13 * scale);
  // Depths are reported doubles; after a cap they are a difference of the (maybe huge) model widths.
  if (!d.adjustments.includes('spread_capped_max')) {
    const close = (x: number, y: Big) => Math.abs(x - y.toNumber()) <= 1e-13 * (scale + Math.abs(x));
    expect(close(f.bidDepth, d.bidDepth) && close(f.askDepth, d.askDepth)).toBe(true);
  }
  return f.exactness;
}

// ---------------------------------------------------------------------------------------------
// Generators.

const decimalString = (mantissa: number, exponent: number) =>
  formatDecimal(new Big(mantissa).times(new Big(10).pow(exponent)));

const strategyArb = fc.oneof(
  fc.record({
    kind: fc.constant('rule_based' as const),
    skewFactor: fc.constantFrom(0, 0.5, 1, 2.5),
    volatilitySpreadFactor: fc.constantFrom(0, 1, 3),
  }),
  fc.record({
    kind: fc.constant('avellaneda_stoikov' as const),
    parameterUnits: fc.constantFrom('mid_relative' as const, 'price' as const),
    gamma: fc.double({ min: 0.001, max: 5, noNaN: true }),
    k: fc.double({ min: 0.01, max: 50, noNaN: true }),
    horizon: fc.oneof(
      fc.record({
        type: fc.constant('finite' as const),
        horizonSeconds: fc.integer({ min: 1, max: 86_400 }),
      }),
      fc.record({
        type: fc.constant('infinite' as const),
        rollingWindowSeconds: fc.integer({ min: 1, max: 3600 }),
      }),
    ),
  }),
  fc.record({
    kind: fc.constant('glft' as const),
    parameterUnits: fc.constantFrom('mid_relative' as const, 'price' as const),
    gamma: fc.double({ min: 0.001, max: 5, noNaN: true }),
    k: fc.double({ min: 0.01, max: 50, noNaN: true }),
    A: fc.double({ min: 0.01, max: 100, noNaN: true }),
  }),
);

const bpsArb = (max: number) =>
  fc.oneof(
    fc.integer({ min: 0, max }).map(String),
    fc.integer({ min: 0, max: max * 10_000 }).map((n) => decimalString(n, -4)),
  );

/**
 * A market at a random price scale (mid 0.001 .. 100000) with a tick of 1e-6 .. 1e-2 of mid and
 * a lot that makes an order some lots; mids on the tick, between ticks, or any double.
 */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    strategy: strategyArb,
    midExp: fc.integer({ min: -3, max: 5 }),
    midMantissa: fc.double({ min: 1, max: 10, noNaN: true }),
    tickRel: fc.integer({ min: 2, max: 6 }),
    tick: fc.constantFrom(1, 1, 2, 5, 25),
    midKind: fc.constantFrom('double', 'onTick', 'halfTick'),
    lotExp: fc.integer({ min: -8, max: 1 }),
    orderLots: fc.oneof(
      fc.integer({ min: 1, max: 10_000 }),
      fc.double({ min: 0.1, max: 10_000, noNaN: true }),
    ),
    minLots: fc.constantFrom(0, 0, 1, 3, 50),
    notionalOrders: fc.option(
      fc.oneof(fc.double({ min: 0.01, max: 5, noNaN: true }), fc.constantFrom(0.5, 1, 2)),
      {
        nil: undefined,
      },
    ),
    baseShare: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.5, 0.6, 1)),
    tvlOrders: fc.double({ min: 0, max: 200, noNaN: true }),
    target: fc.oneof(fc.constant(0.5), fc.double({ min: 0.05, max: 0.95, noNaN: true })),
    spreadBps: bpsArb(500),
    volatility: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.5, noNaN: true })),
    horizon: fc.constantFrom(1, 60, 3600, 86_400),
    bestBidTicks: fc.option(
      fc.oneof(fc.integer({ min: -20, max: 500 }), fc.double({ min: -20, max: 500, noNaN: true })),
      {
        nil: undefined,
      },
    ),
    bestAskTicks: fc.option(
      fc.oneof(fc.integer({ min: -20, max: 500 }), fc.double({ min: -20, max: 500, noNaN: true })),
      {
        nil: undefined,
      },
    ),
    timeRemaining: fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: undefined }),
    intensity: fc.option(
      fc.record({
        A: fc.double({ min: 0.01, max: 100, noNaN: true }),
        k: fc.double({ min: 0.01, max: 50, noNaN: true }),
      }),
      { nil: undefined },
    ),
    levels: fc.integer({ min: 1, max: 10 }),
    spacingBps: bpsArb(200).filter((s) => new Big(s).gt(0)),
    sizeDecay: fc.oneof(fc.constantFrom(1, 0.7, 0.5), fc.double({ min: 0.01, max: 1, noNaN: true })),
    shape: fc.oneof(fc.constantFrom(0, 1, 2), fc.double({ min: 0, max: 10, noNaN: true })),
    guardMid: fc.boolean(),
    floorBps: fc.option(bpsArb(300), { nil: undefined }),
    minSpreadBps: fc.option(bpsArb(100), { nil: undefined }),
    maxSpreadBps: fc.option(
      bpsArb(2000).filter((b) => new Big(b).gt(0)),
      { nil: undefined },
    ),
    targetBaseOrders: fc.option(
      fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })),
      {
        nil: undefined,
      },
    ),
    nowMs: fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { nil: undefined }),
  })
  .map((g): Case => {
    const mid0 = g.midMantissa * 10 ** g.midExp;
    const tick = new Big(g.tick).times(new Big(10).pow(Math.floor(Math.log10(mid0)) - g.tickRel));
    const tickF = tick.toNumber();
    let mid: number;
    if (g.midKind === 'double') mid = mid0;
    else {
      const n = Math.max(1, Math.round(mid0 / tickF));
      mid = (g.midKind === 'onTick' ? tick.times(n) : tick.times(n).plus(tick.div(2))).toNumber();
    }
    const lot = new Big(10).pow(g.lotExp);
    const orderSize = new Big(formatDecimal(lot.times(g.orderLots.toPrecision(6))));
    const orderValue = orderSize.toNumber() * mid;
    const tvl = g.tvlOrders * orderValue;
    const bookPrice = (ticks: number | undefined) => {
      if (ticks === undefined) return undefined;
      const p = Number.isInteger(ticks)
        ? tick.times(Math.round(mid / tickF) + ticks).toNumber()
        : mid + ticks * tickF;
      return p > 0 ? p : undefined;
    };
    const bestBidTicks = g.bestBidTicks === undefined ? undefined : -g.bestBidTicks;
    const config: FastQuoterConfig = {
      strategy: parsePoolConfig({ strategy: g.strategy }).strategy,
      ladder: ladder({
        levels: g.levels,
        levelSpacingBps: g.spacingBps,
        baseOrderSize: formatDecimal(orderSize.gt(0) ? orderSize : lot),
        sizeDecay: g.sizeDecay,
        inventorySizeShape: g.shape,
        guardMid: g.guardMid,
        ...(g.floorBps === undefined ? {} : { minSpreadFloorBps: g.floorBps }),
      }),
    };
    const market: FastMarket = {
      tickSize: formatDecimal(tick),
      lotSize: formatDecimal(lot),
      minSize: formatDecimal(lot.times(g.minLots)),
    };
    if (g.notionalOrders !== undefined) {
      market.maxOrderNotional = new Big(orderValue * g.notionalOrders).toPrecision(6, Big.roundUp);
      market.maxOrderNotional = formatDecimal(new Big(market.maxOrderNotional));
      if (new Big(market.maxOrderNotional).lte(0)) delete market.maxOrderNotional;
    }
    const input: FastQuoteInput = {
      mid,
      reserveBase: (tvl * g.baseShare) / mid,
      reserveQuote: tvl * (1 - g.baseShare),
      targetInventoryShare: g.target,
      spreadBps: Number(g.spreadBps),
      volatility: g.volatility,
      volatilityHorizonSeconds: g.horizon,
      bestBid: bookPrice(bestBidTicks),
      bestAsk: bookPrice(g.bestAskTicks),
      timeRemainingSeconds: g.timeRemaining,
      intensity: g.intensity,
      nowMs: g.nowMs,
      minSpreadBps: g.minSpreadBps === undefined ? undefined : Number(g.minSpreadBps),
      maxSpreadBps: g.maxSpreadBps === undefined ? undefined : Number(g.maxSpreadBps),
      targetBase: g.targetBaseOrders === undefined ? undefined : g.targetBaseOrders * orderSize.toNumber(),
    };
    return { config, market, input };
  });

describe('fast quoter equals the decimal pipeline', () => {
  it('on random pool states, scales, strategies and ladder shapes', () => {
    const exactness = [0, 0, 0];
    fc.assert(
      fc.property(caseArb, (c) => {
        const e = expectSame(c);
        if (e >= 0) exactness[e]!++;
      }),
      { numRuns: 4000 },
    );
    // Both ways of deciding were exercised (the generator favours round values and boundaries).
    expect(exactness[0]).toBeGreaterThan(500);
    expect(exactness[1]).toBeGreaterThan(500);
  }, 120_000);

  it('a pool drifting through generic states is decided in floats alone at nearly every step', () => {
    const cases = caseArb.filter(
      (c) =>
        c.input.volatility > 0 &&
        Math.abs(c.input.reserveBase * c.input.mid - c.input.reserveQuote) > 1e-9 * c.input.mid,
    );
    let quotes = 0;
    let exact = 0;
    fc.assert(
      fc.property(cases, fc.double({ min: 0.5, max: 2, noNaN: true }), (c, drift) => {
        // A generic double mid (as a simulated path produces), away from round values.
        const input = { ...c.input, mid: c.input.mid * drift * Math.SQRT2 };
        const quoter = createFastQuoter(c.config, c.market);
        expectSame({ ...c, input }, quoter);
        quotes++;
        if (quoter.stats.exactValues.prices > 0) exact++;
      }),
      { numRuns: 1000 },
    );
    // Level prices from a generic mid land within rounding error of a tick about never (the rare
    // exceptions: a model width equal to the cap, or one capped from far beyond the mid's scale).
    expect(exact).toBeLessThan(quotes / 50);
  }, 120_000);

  it('reuses one quoter across calls without leaking state between them', () => {
    fc.assert(
      fc.property(
        caseArb.chain((c) =>
          fc.tuple(
            fc.constant(c),
            fc.array(
              fc.record({
                dm: fc.double({ min: 0.9, max: 1.1, noNaN: true }),
                ds: fc.double({ min: 0, max: 1, noNaN: true }),
              }),
              { minLength: 1, maxLength: 8 },
            ),
          ),
        ),
        ([c, steps]) => {
          const quoter = createFastQuoter(c.config, c.market);
          for (const { dm, ds } of steps) {
            const total = c.input.reserveBase * c.input.mid + c.input.reserveQuote;
            const mid = c.input.mid * dm;
            expectSame(
              {
                ...c,
                input: { ...c.input, mid, reserveBase: (total * ds) / mid, reserveQuote: total * (1 - ds) },
              },
              quoter,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});

describe('fast quoter on boundaries', () => {
  // Rule-based at zero volatility and balanced inventory: every depth is a whole number of ticks
  // from a mid on the tick, so each level sits exactly on a rounding boundary.
  it('depths landing exactly on ticks, mids on the tick, exact target share', () => {
    let exact = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.constantFrom('0.01', '0.1', '1', '0.0001', '0.05', '5'),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10 }),
        fc.boolean(),
        (midTicks, tick, spreadBps, spacingBps, levels, guardMid) => {
          // A mid that is a multiple of 10000 ticks makes any whole-bps distance a whole tick count.
          const mid = new Big(tick).times(midTicks).times(10_000).toNumber();
          const c: Case = {
            config: {
              strategy: parsePoolConfig({ strategy: { kind: 'rule_based' } }).strategy,
              ladder: ladder({
                levels,
                levelSpacingBps: String(spacingBps),
                guardMid,
                minSpreadFloorBps: '0',
              }),
            },
            market: { tickSize: tick, lotSize: '0.001', minSize: '0.001' },
            input: {
              mid,
              reserveBase: 10,
              reserveQuote: 10 * mid,
              targetInventoryShare: 0.5,
              spreadBps,
              volatility: 0,
              volatilityHorizonSeconds: 3600,
            },
          };
          if (expectSame(c) === 1) exact++;
        },
      ),
      { numRuns: 1000 },
    );
    // The boundaries were really met, and decided in decimals.
    expect(exact).toBeGreaterThan(100);
  }, 60_000);

  it('book prices on the tick, best bid/ask at or inside the quotes, spread floor and cap exactly met', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('rule_based', 'avellaneda_stoikov', 'glft'),
        fc.integer({ min: 1000, max: 10_000_000 }),
        fc.integer({ min: -5, max: 50 }),
        fc.integer({ min: -5, max: 50 }),
        fc.integer({ min: 0, max: 200 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        (kind, midTicks, bidOff, askOff, floorBps, guardMid, maxSpreadBps) => {
          const tick = new Big('0.01');
          const mid = tick.times(midTicks);
          const c: Case = {
            config: {
              strategy: parsePoolConfig({ strategy: { kind } }).strategy,
              ladder: ladder({ guardMid, minSpreadFloorBps: String(floorBps) }),
            },
            market: { tickSize: '0.01', lotSize: '0.001', minSize: '0.001' },
            input: {
              mid: mid.toNumber(),
              reserveBase: 10,
              reserveQuote: mid.times(12).toNumber(),
              targetInventoryShare: 0.5,
              spreadBps: 30,
              volatility: 0.02,
              volatilityHorizonSeconds: 3600,
              bestBid: mid.minus(tick.times(bidOff)).toNumber(),
              bestAsk: mid.plus(tick.times(askOff)).toNumber(),
              maxSpreadBps,
            },
          };
          expectSame(c);
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('sizes exactly at min size, at a lot boundary after the inventory factor, and at the notional cap', () => {
    let exact = 0;
    fc.assert(
      fc.property(
        fc.constantFrom('rule_based', 'avellaneda_stoikov', 'glft'),
        fc.integer({ min: 100, max: 1_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(1, 0.5, 0.7, 0.8),
        (kind, midTicks, basePercent, orderLots, shape, minLots, decay) => {
          const mid = new Big('0.01').times(midTicks);
          const orderSize = new Big('0.001').times(orderLots);
          // Notional equal to a whole number of lots at the mid's price: exact when the level sits on mid.
          const notional = mid.times(orderSize).round(2, Big.roundDown);
          const c: Case = {
            config: {
              strategy: parsePoolConfig({ strategy: { kind } }).strategy,
              ladder: ladder({
                baseOrderSize: formatDecimal(orderSize),
                inventorySizeShape: shape,
                sizeDecay: decay,
              }),
            },
            market: {
              tickSize: '0.01',
              lotSize: '0.001',
              minSize: formatDecimal(new Big('0.001').times(minLots)),
              ...(notional.gt(0) ? { maxOrderNotional: formatDecimal(notional) } : {}),
            },
            input: {
              mid: mid.toNumber(),
              // Value shares of whole percents: deviations such as 0.1 give exact size factors like 0.8.
              reserveBase: new Big(100 * basePercent).div(mid).toNumber(),
              reserveQuote: 100 * (100 - basePercent),
              targetInventoryShare: 0.5,
              spreadBps: 30,
              volatility: 0.02,
              volatilityHorizonSeconds: 3600,
            },
          };
          if (expectSame(c) === 1) exact++;
        },
      ),
      { numRuns: 1000 },
    );
    expect(exact).toBeGreaterThan(10);
  }, 60_000);

  it('model quotes beyond the mid: non-positive prices dropped, width caps and guards', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: -50, max: 50 }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
        (midTicks, orders, volatility, guardMid, maxSpreadBps) => {
          const mid = new Big('0.01').times(midTicks).toNumber();
          // Price units at a low mid: the inventory term dwarfs the mid, so quotes cross it or go below 0.
          const strategy = parsePoolConfig({
            strategy: { kind: 'avellaneda_stoikov', parameterUnits: 'price', gamma: 1, k: 1.5 },
          }).strategy;
          expectSame({
            config: { strategy, ladder: ladder({ guardMid, levels: 4 }) },
            market: { tickSize: '0.01', lotSize: '0.001', minSize: '0.001' },
            input: {
              mid,
              reserveBase: Math.max(0, 50 + orders),
              reserveQuote: 50 * mid,
              targetInventoryShare: 0.5,
              targetBase: 50,
              spreadBps: 30,
              volatility,
              volatilityHorizonSeconds: 60,
              maxSpreadBps,
            },
          });
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it('a model width exactly at maxSpreadBps is not capped, one a hair wider is', () => {
    let capped = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.constantFrom('0.01', '0.0001', '1'),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 100 }),
        fc.constantFrom(0, 1e-4),
        (midTicks, tick, spreadBps, basePercent, wider) => {
          // Rule-based at zero volatility quotes exactly spreadBps wide; the cap is the same number.
          const mid = new Big(tick).times(midTicks).toNumber();
          const c: Case = {
            config: {
              strategy: parsePoolConfig({ strategy: { kind: 'rule_based' } }).strategy,
              ladder: ladder({ guardMid: false, minSpreadFloorBps: '0' }),
            },
            market: { tickSize: tick, lotSize: '0.001', minSize: '0.001' },
            input: {
              mid,
              reserveBase: basePercent / mid,
              reserveQuote: 100 - basePercent,
              targetInventoryShare: 0.5,
              spreadBps: spreadBps + wider,
              volatility: 0,
              volatilityHorizonSeconds: 3600,
              maxSpreadBps: spreadBps,
            },
          };
          expectSame(c);
          if (createFastQuoter(c.config, c.market)(c.input).adjustments & ADJ_CAPPED) capped++;
        },
      ),
      { numRuns: 500 },
    );
    expect(capped).toBeGreaterThan(50);
  }, 60_000);

  it('the generators above reach every adjustment the pipeline can report', () => {
    expect(QUOTE_ADJUSTMENTS.filter((a) => !seen.has(a))).toEqual([]);
  });

  it('prices beyond 2^50 ticks are handed to the decimal pipeline and still agree; beyond 2^53 refused', () => {
    const c: Case = {
      config: { strategy: parsePoolConfig({ strategy: { kind: 'glft' } }).strategy, ladder: ladder() },
      market: { tickSize: '0.00000001', lotSize: '0.001', minSize: '0.001' },
      input: {
        mid: 12_345_678.5,
        reserveBase: 1,
        reserveQuote: 10_000_000,
        targetInventoryShare: 0.5,
        spreadBps: 30,
        volatility: 0.02,
        volatilityHorizonSeconds: 3600,
      },
    };
    expect(expectSame(c)).toBe(2);
    expectFieldError(
      () => createFastQuoter(c.config, c.market)({ ...c.input, mid: 123_456_789.5 }),
      'mid',
      '2^53',
    );
  });

  it('refuses the inputs the decimal pipeline refuses, naming the same field', () => {
    const quoter = createFastQuoter(
      { strategy: parsePoolConfig({ strategy: { kind: 'rule_based' } }).strategy, ladder: ladder() },
      { tickSize: '0.01', lotSize: '0.001', minSize: '0.001' },
    );
    const good: FastQuoteInput = {
      mid: 2000,
      reserveBase: 10,
      reserveQuote: 20_000,
      targetInventoryShare: 0.5,
      spreadBps: 30,
      volatility: 0.02,
      volatilityHorizonSeconds: 3600,
    };
    for (const [patch, field] of [
      [{ mid: 0 }, 'mid'],
      [{ mid: Number.NaN }, 'mid'],
      [{ reserveBase: -1 }, 'reserveBase'],
      [{ targetInventoryShare: 1 }, 'targetInventoryShare'],
      [{ volatility: Number.POSITIVE_INFINITY }, 'volatility'],
      [{ volatilityHorizonSeconds: 0 }, 'volatilityHorizonSeconds'],
      [{ bestAsk: -2 }, 'bestAsk'],
      [{ timeRemainingSeconds: -1 }, 'timeRemainingSeconds'],
      [{ intensity: { A: 1, k: 0 } }, 'intensity.k'],
    ] as Array<[Partial<FastQuoteInput>, string]>) {
      expectFieldError(() => quoter({ ...good, ...patch }), field);
    }
    expectFieldError(
      () =>
        createFastQuoter(
          { strategy: parsePoolConfig({}).strategy, ladder: ladder() },
          { tickSize: '0', lotSize: '1', minSize: '0' },
        ),
      'tickSize',
    );
  });
});
