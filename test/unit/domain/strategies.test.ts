import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Big,
  avellanedaStoikov,
  glftCoefficients,
  glftDepths,
  strategyFor,
  parsePoolConfig,
  serializeLadder,
  parseLadder,
  formatDecimal,
  isOnGrid,
  decimalPlaces,
  type QuoteInput,
  type QuoteLadder,
} from '../../../domain';
import { expectFieldError } from './helpers';
import { STRATEGY_KINDS, ladder, quoteInput, strategyConfig } from './quote-fixtures';

const prices = (levels: Array<{ price: Big }>) => levels.map((l) => formatDecimal(l.price));
const sizes = (levels: Array<{ size: Big }>) => levels.map((l) => formatDecimal(l.size));

describe('Avellaneda-Stoikov', () => {
  // s = 100, q = 2, gamma = 0.1, sigma = 2, T - t = 10, k = 1.5:
  //   gamma sigma^2 (T - t) = 0.1 x 4 x 10 = 4
  //   r = 100 - 2 x 4 = 92
  //   spread = 4 + (2 / 0.1) ln(1 + 0.1/1.5) = 4 + 20 ln(16/15) = 4 + 20 x 0.0645385211375712 = 5.290770422751424
  it('matches the hand-computed reservation price and spread', () => {
    const r = avellanedaStoikov({ s: 100, q: 2, gamma: 0.1, sigma: 2, tau: 10, k: 1.5 });
    expect(r.reservationPrice).toBeCloseTo(92, 12);
    expect(r.spread).toBeCloseTo(5.290770422751424, 12);
  });

  // Same numbers through the whole strategy: mid 100, vol 0.02 per 1 s horizon -> sigma = 0.02 x 100 / sqrt(1) = 2.
  // Reserves 10 base + 600 quote: tvl 1600, target 0.5 -> 8 base; q = (10 - 8) / baseOrderSize 1 = 2.
  // bid = 92 - 2.645385211375712 = 89.354614788624288 -> 89.35 (down); ask = 94.645385211375712 -> 94.65 (up).
  const asInput = (patch: Partial<QuoteInput> = {}) =>
    quoteInput({
      mid: new Big(100),
      reserveBase: new Big(10),
      reserveQuote: new Big(600),
      volatility: 0.02,
      volatilityHorizonSeconds: 1,
      guardMid: false,
      ladder: ladder({ levels: 1, minSpreadFloorBps: '0', inventorySizeShape: 0 }),
      timeRemainingSeconds: 10,
      ...patch,
    });

  // The hand-computed figures are in price units (the paper's): k per quote unit, gamma per quote unit.
  const priceUnits = { parameterUnits: 'price', gamma: 0.1, k: 1.5 } as const;

  it('finite horizon reproduces the published quotes (crossing mid when the guard is off)', () => {
    const cfg = parsePoolConfig({
      strategy: {
        kind: 'avellaneda_stoikov',
        ...priceUnits,
        horizon: { type: 'finite', horizonSeconds: 100 },
      },
    }).strategy;
    const q = strategyFor(cfg).compute(asInput());
    expect(formatDecimal(q.reservationPrice)).toBe('92');
    expect(Number(q.halfSpread.toFixed())).toBeCloseTo(5.290770422751424 / 2, 12);
    expect(prices(q.bids)).toEqual(['89.35']);
    expect(prices(q.asks)).toEqual(['94.65']);
    expect(q.model).toMatchObject({ q: 2, tau: 10 });
    // At the end of the session only the liquidity term is left: r = s.
    const end = strategyFor(cfg).compute(asInput({ timeRemainingSeconds: 0 }));
    expect(formatDecimal(end.reservationPrice)).toBe('100');
    expect(Number(end.halfSpread.toFixed())).toBeCloseTo(0.645385211375712, 12);
  });

  it('infinite horizon uses the rolling window as T - t', () => {
    const cfg = parsePoolConfig({
      strategy: {
        kind: 'avellaneda_stoikov',
        ...priceUnits,
        horizon: { type: 'infinite', rollingWindowSeconds: 10 },
      },
    }).strategy;
    const q = strategyFor(cfg).compute(asInput({ timeRemainingSeconds: undefined }));
    expect(formatDecimal(q.reservationPrice)).toBe('92');
    expect(prices(q.bids)).toEqual(['89.35']);
  });

  it('with the guard on, the same quotes are kept off the mid', () => {
    const cfg = parsePoolConfig({
      strategy: {
        kind: 'avellaneda_stoikov',
        ...priceUnits,
        horizon: { type: 'infinite', rollingWindowSeconds: 10 },
      },
    }).strategy;
    const q = strategyFor(cfg).compute(asInput({ guardMid: true }));
    expect(prices(q.asks)).toEqual(['100.01']);
    expect(q.adjustments).toContain('ask_raised_by_mid');
  });
});

describe('GLFT', () => {
  // gamma = k = 0.5, A = 2: c1 = (1/0.5) ln 2 = 1.3862943611198906;
  // c2 = sqrt(0.5 / (2 x 2 x 0.5) x 2^(1 + 1)) = sqrt(0.25 x 4) = 1.
  it('coefficients, hand-computed (gamma = k)', () => {
    const { c1, c2 } = glftCoefficients(0.5, 0.5, 2);
    expect(c1).toBeCloseTo(1.3862943611198906, 14);
    expect(c2).toBeCloseTo(1, 14);
  });

  // gamma 0.1, k 1.5, A 1: c1 = 10 ln(16/15) = 0.645385211375712;
  // (16/15)^16 = 2.8084039655764466, c2 = sqrt(0.1/3 x 2.8084039655764466) = sqrt(0.0936134655) = 0.305963176737357.
  it('coefficients, hand-computed (defaults)', () => {
    const { c1, c2 } = glftCoefficients(0.1, 1.5, 1);
    expect(c1).toBeCloseTo(0.645385211375712, 14);
    expect(c2).toBeCloseTo(0.305963176737357, 14);
  });

  // c1 = 2 ln 2, c2 = 1, q = 1, sigma = 0.5: bid = c1 + (3/2)(0.5) = c1 + 0.75; ask = c1 - (1/2)(0.5) = c1 - 0.25.
  it('depths, hand-computed', () => {
    const d = glftDepths(2 * Math.LN2, 1, 1, 0.5);
    expect(d.bidDepth).toBeCloseTo(2 * Math.LN2 + 0.75, 14);
    expect(d.askDepth).toBeCloseTo(2 * Math.LN2 - 0.25, 14);
  });

  it('full strategy: flat inventory quotes mid -/+ (c1 + c2 sigma / 2); a fitted intensity replaces A and k', () => {
    // sigma = 0.5 x 100 / sqrt(100) = 5; c1 = 1.386294361119891, c2 = 1 -> depth 3.886294361119891.
    const cfg = parsePoolConfig({
      strategy: { kind: 'glft', parameterUnits: 'price', gamma: 0.5, k: 0.5, A: 2 },
    }).strategy;
    const input = quoteInput({
      mid: new Big(100),
      reserveBase: new Big(1),
      reserveQuote: new Big(100),
      volatility: 0.5,
      volatilityHorizonSeconds: 100,
      ladder: ladder({ levels: 1, minSpreadFloorBps: '0' }),
    });
    const q = strategyFor(cfg).compute(input);
    expect(prices(q.bids)).toEqual(['96.11']);
    expect(prices(q.asks)).toEqual(['103.89']);
    // A fitted k is per bp of mid: 1.5 per bp at mid 100 is 1.5 x 10^4 / 100 = 150 per quote unit.
    const fitted = strategyFor(cfg).compute({ ...input, intensity: { A: 1, k: 1.5 } });
    expect(fitted.model).toMatchObject({ A: 1, k: 150 });
    expect(prices(fitted.bids)).not.toEqual(['96.11']);
  });

  it('refuses non-positive parameters naming them', () => {
    expectFieldError(() => glftCoefficients(0, 1, 1), 'gamma');
    expectFieldError(() => glftCoefficients(1, 1, -1), 'A');
  });
});

describe('rule-based quoting', () => {
  it('flat inventory: symmetric around mid, spacing and decay as configured', () => {
    // spread 30 bps x (1 + 1 x 0.05) = 31.5 bps of 2000 = 6.3 -> half 3.15. Spacing 10 bps = 2.
    const q = strategyFor(strategyConfig('rule_based')).compute(quoteInput());
    expect(formatDecimal(q.reservationPrice)).toBe('2000');
    expect(prices(q.bids)).toEqual(['1996.85', '1994.85', '1992.85']);
    expect(prices(q.asks)).toEqual(['2003.15', '2005.15', '2007.15']);
    expect(sizes(q.bids)).toEqual(['1', '0.7', '0.49']);
  });

  it('long base: reservation moves down by skew x deviation x spread and the bid side shrinks', () => {
    // 15 base: share 0.6, deviation 0.1 -> shift 0.1 x 6.3 = 0.63; bid factor 1 - 0.1/0.5 = 0.8.
    const q = strategyFor(strategyConfig('rule_based')).compute(quoteInput({ reserveBase: new Big(15) }));
    expect(formatDecimal(q.reservationPrice)).toBe('1999.37');
    expect(prices(q.bids)).toEqual(['1996.22', '1994.22', '1992.22']);
    expect(prices(q.asks)).toEqual(['2002.52', '2004.52', '2006.52']);
    expect(sizes(q.bids)).toEqual(['0.8', '0.56', '0.392']);
    expect(sizes(q.asks)).toEqual(['1', '0.7', '0.49']);
  });

  it('0.1 + 0.2 stays exactly 0.3 through the pipeline', () => {
    const mid = new Big('0.1').plus(new Big('0.2'));
    const q = strategyFor(strategyConfig('rule_based')).compute(
      quoteInput({
        mid,
        reserveBase: new Big(100),
        reserveQuote: new Big(30),
        tickSize: new Big('0.1'),
        lotSize: new Big('0.01'),
      }),
    );
    const s = serializeLadder(q);
    expect(s.reservationPrice).toBe('0.3');
    expect(s.bids.map((l) => l.price)).toEqual(['0.2', '0.1']);
    expect(s.asks.map((l) => l.price)).toEqual(['0.4', '0.5', '0.6']);
  });

  it('caps sizes by maxOrderNotional', () => {
    const q = strategyFor(strategyConfig('rule_based')).compute(
      quoteInput({ maxOrderNotional: new Big(1000) }),
    );
    // 1000 / 1996.85 = 0.50078... -> 0.5 (lot 0.001, rounded down).
    expect(formatDecimal(q.bids[0]!.size)).toBe('0.5');
    for (const l of [...q.bids, ...q.asks]) expect(l.price.times(l.size).lte(1000)).toBe(true);
  });

  it('never crosses the other side of the book and keeps the spread floor', () => {
    const q = strategyFor(strategyConfig('rule_based')).compute(
      quoteInput({
        bestBid: new Big('2003.5'),
        bestAsk: new Big('1997'),
        ladder: ladder({ minSpreadFloorBps: '50' }),
      }),
    );
    expect(q.bids[0]!.price.lt('1997')).toBe(true);
    expect(q.asks[0]!.price.gt('2003.5')).toBe(true);
    expect(q.asks[0]!.price.minus(q.bids[0]!.price).gte(10)).toBe(true);
  });
});

describe('ladder serialisation', () => {
  it('round-trips through JSON as decimal strings', () => {
    const q = strategyFor(strategyConfig('glft')).compute(quoteInput({ reserveBase: new Big(12) }));
    const json = JSON.parse(JSON.stringify(serializeLadder(q)));
    expect(typeof json.bids[0].price).toBe('string');
    const back = parseLadder(json);
    expect(serializeLadder(back)).toEqual(serializeLadder(q));
  });

  it('refuses malformed ladders naming the field', () => {
    const good = serializeLadder(strategyFor(strategyConfig('rule_based')).compute(quoteInput()));
    expectFieldError(
      () => parseLadder({ ...good, bids: [{ price: 1996.85, size: '1' }] }),
      'bids[0].price',
      'decimal string',
    );
    expectFieldError(
      () => parseLadder({ ...good, asks: [{ price: '2003', size: '0' }] }),
      'asks[0].size',
      'zero',
    );
    expectFieldError(() => parseLadder({ ...good, strategy: 'magic' }), 'strategy');
    expectFieldError(() => parseLadder('ladder'), 'ladder', 'object');
    expectFieldError(() => parseLadder({ ...good, reservationPrice: '1e3' }), 'reservationPrice');
  });
});

describe('quote input validation', () => {
  const s = strategyFor(strategyConfig('rule_based'));
  it.each([
    [{ mid: new Big(0) }, 'mid'],
    [{ tickSize: new Big(0) }, 'tickSize'],
    [{ lotSize: new Big('-0.1') }, 'lotSize'],
    [{ reserveBase: new Big(-1) }, 'reserveBase'],
    [{ targetInventoryShare: 1 }, 'targetInventoryShare'],
    [{ volatility: Number.NaN }, 'volatility'],
    [{ volatilityHorizonSeconds: 0 }, 'volatilityHorizonSeconds'],
    [{ bestBid: new Big(0) }, 'bestBid'],
    [{ timeRemainingSeconds: -1 }, 'timeRemainingSeconds'],
    [{ intensity: { A: 0, k: 1 } }, 'intensity.A'],
    [{ ladder: ladder({ baseOrderSize: 'one' }) }, 'ladder.baseOrderSize'],
  ] as Array<[Partial<QuoteInput>, string]>)('%o -> %s', (patch, field) => {
    expectFieldError(() => s.compute(quoteInput(patch)), field);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over all strategies.

const TICKS = ['0.01', '0.1', '0.5', '1', '0.0001', '0.05'];

const marketArb = fc
  .record({
    kind: fc.constantFrom(...STRATEGY_KINDS),
    tick: fc.constantFrom(...TICKS),
    midTicks: fc.integer({ min: 10, max: 5_000_000 }),
    baseValueShare: fc.integer({ min: 0, max: 1000 }),
    tvlTicks: fc.integer({ min: 1, max: 1_000_000 }),
    volatility: fc.double({ min: 0, max: 0.5, noNaN: true }),
    spreadBps: fc.integer({ min: 10, max: 500 }),
    levels: fc.integer({ min: 1, max: 5 }),
    guardMid: fc.boolean(),
    floorBps: fc.integer({ min: 0, max: 100 }),
    capBps: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    bestBidOffset: fc.option(fc.integer({ min: -50, max: 200 }), { nil: undefined }),
    bestAskOffset: fc.option(fc.integer({ min: -50, max: 200 }), { nil: undefined }),
  })
  .map((m) => {
    const tick = new Big(m.tick);
    const mid = tick.times(m.midTicks);
    const total = mid.times(m.tvlTicks).div(100);
    const reserveBase = total.times(m.baseValueShare).div(1000).div(mid).round(6, Big.roundDown);
    const reserveQuote = total
      .times(1000 - m.baseValueShare)
      .div(1000)
      .round(6, Big.roundDown);
    const input = quoteInput({
      mid,
      reserveBase,
      reserveQuote,
      volatility: m.volatility,
      spreadBps: new Big(m.spreadBps),
      tickSize: tick,
      lotSize: new Big('0.001'),
      guardMid: m.guardMid,
      bestBid: m.bestBidOffset === undefined ? undefined : mid.minus(tick.times(m.bestBidOffset)),
      bestAsk: m.bestAskOffset === undefined ? undefined : mid.plus(tick.times(m.bestAskOffset)),
      ladder: ladder({ levels: m.levels, minSpreadFloorBps: String(m.floorBps), baseOrderSize: '2' }),
      // The policy's cap, never below the floor (the configuration refuses a floor above it).
      maxSpreadBps: m.capBps === undefined ? undefined : new Big(Math.max(m.capBps, m.floorBps, 1)),
    });
    if (input.bestBid?.lte(0)) delete input.bestBid;
    if (input.bestAsk?.lte(0)) delete input.bestAsk;
    return { kind: m.kind, input, floorBps: m.floorBps };
  });

function checkInvariants(q: QuoteLadder, input: QuoteInput, floorBps: number): void {
  const { tickSize, lotSize, mid } = input;
  for (const l of [...q.bids, ...q.asks]) {
    expect(
      isOnGrid(l.price, tickSize),
      `price ${formatDecimal(l.price)} on tick ${formatDecimal(tickSize)}`,
    ).toBe(true);
    expect(isOnGrid(l.size, lotSize)).toBe(true);
    expect(l.price.gt(0)).toBe(true);
    expect(l.size.gte(input.minSize) && l.size.gt(0)).toBe(true);
    expect(decimalPlaces(l.price)).toBeLessThanOrEqual(decimalPlaces(tickSize));
  }
  for (let i = 1; i < q.bids.length; i++) expect(q.bids[i]!.price.lt(q.bids[i - 1]!.price)).toBe(true);
  for (let i = 1; i < q.asks.length; i++) expect(q.asks[i]!.price.gt(q.asks[i - 1]!.price)).toBe(true);
  for (const b of q.bids) {
    if (input.bestAsk) expect(b.price.lt(input.bestAsk)).toBe(true);
    if (input.guardMid) expect(b.price.lt(mid)).toBe(true);
  }
  for (const a of q.asks) {
    if (input.bestBid) expect(a.price.gt(input.bestBid)).toBe(true);
    if (input.guardMid) expect(a.price.gt(mid)).toBe(true);
  }
  const bid = q.bids[0];
  const ask = q.asks[0];
  if (bid && ask) {
    expect(bid.price.lt(ask.price)).toBe(true);
    const width = ask.price.minus(bid.price);
    // The cap wins over the floor when the tick grid cannot hold both.
    if (!q.adjustments.includes('spread_capped_max')) {
      expect(width.gte(mid.times(floorBps).div(10_000))).toBe(true);
    }
    // Only another party's crossed book (or a cap under one tick) can keep the cap out of reach.
    if (input.maxSpreadBps !== undefined && !q.adjustments.includes('spread_cap_unreachable')) {
      expect(width.lte(mid.times(input.maxSpreadBps).div(10_000))).toBe(true);
    }
  }
}

describe('quote pipeline properties', () => {
  it('bid < ask, on tick and lot grids, never crossing the book or (guarded) the mid, spread floor and cap kept', () => {
    let twoSided = 0;
    let capped = 0;
    fc.assert(
      fc.property(marketArb, ({ kind, input, floorBps }) => {
        const q = strategyFor(strategyConfig(kind)).compute(input);
        checkInvariants(q, input, floorBps);
        if (q.bids.length > 0 && q.asks.length > 0) twoSided++;
        if (q.adjustments.includes('spread_capped_max')) capped++;
      }),
      { numRuns: 300 },
    );
    // Guard against a vacuous pass where everything was dropped.
    expect(twoSided).toBeGreaterThan(150);
    // Not vacuous: the cap acted on a good share of the cases.
    expect(capped).toBeGreaterThan(20);
  }, 60_000); // 300 runs of every strategy: the 5 s default is too short on a loaded 2-core machine

  it('a long inventory moves both quotes down and a short one up, versus flat', () => {
    // Mid 1000-5000 on a 0.01 tick, 5 base units at balance (q up to 4.5 order sizes): a 5%
    // deviation moves every model's prices (GLFT's default skew is 1.4 bps per order size) by more
    // than a tick.
    const arb = fc.record({
      kind: fc.constantFrom(...STRATEGY_KINDS),
      midTicks: fc.integer({ min: 100_000, max: 500_000 }),
      deviation: fc.integer({ min: 5, max: 45 }),
      volatility: fc.double({ min: 0.01, max: 0.1, noNaN: true }),
    });
    fc.assert(
      fc.property(arb, ({ kind, midTicks, deviation, volatility }) => {
        const tick = new Big('0.01');
        const mid = tick.times(midTicks);
        const total = mid.times(10);
        const at = (share: number) =>
          quoteInput({
            mid,
            reserveBase: total.times(share).div(100).div(mid),
            reserveQuote: total.times(100 - share).div(100),
            volatility,
            tickSize: tick,
            guardMid: false,
            ladder: ladder({ levels: 1, minSpreadFloorBps: '0', inventorySizeShape: 0 }),
          });
        const strategy = strategyFor(strategyConfig(kind));
        const flat = strategy.compute(at(50));
        const long = strategy.compute(at(50 + deviation));
        const short = strategy.compute(at(50 - deviation));
        expect(long.reservationPrice.lt(flat.reservationPrice)).toBe(true);
        expect(short.reservationPrice.gt(flat.reservationPrice)).toBe(true);
        expect(long.bids[0]!.price.lte(flat.bids[0]!.price)).toBe(true);
        expect(long.asks[0]!.price.lte(flat.asks[0]!.price)).toBe(true);
        expect(
          long.bids[0]!.price.lt(flat.bids[0]!.price) || long.asks[0]!.price.lt(flat.asks[0]!.price),
        ).toBe(true);
        expect(short.bids[0]!.price.gte(flat.bids[0]!.price)).toBe(true);
        expect(short.asks[0]!.price.gte(flat.asks[0]!.price)).toBe(true);
        expect(
          short.bids[0]!.price.gt(flat.bids[0]!.price) || short.asks[0]!.price.gt(flat.asks[0]!.price),
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('the inventory size shape shrinks only the side that would grow inventory', () => {
    for (const kind of STRATEGY_KINDS) {
      const q = strategyFor(strategyConfig(kind)).compute(
        quoteInput({ reserveBase: new Big(15), ladder: ladder({ inventorySizeShape: 1 }) }),
      );
      expect(formatDecimal(q.bids[0]!.size)).toBe('0.8');
      expect(formatDecimal(q.asks[0]!.size)).toBe('1');
    }
  });

  it('decimal ticks: sums of tick multiples never leave the grid (0.1 + 0.2 style)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.constantFrom(...STRATEGY_KINDS),
        (a, b, kind) => {
          const tick = new Big('0.1');
          const mid = tick.times(a).plus(tick.times(b));
          const q = strategyFor(strategyConfig(kind)).compute(
            quoteInput({
              mid,
              reserveBase: new Big(10),
              reserveQuote: mid.times(10),
              tickSize: tick,
              ladder: ladder({ minSpreadFloorBps: '0' }),
            }),
          );
          for (const level of [...serializeLadder(q).bids, ...serializeLadder(q).asks]) {
            expect(level.price).toMatch(/^\d+(\.\d)?$/);
          }
        },
      ),
    );
  });
});
