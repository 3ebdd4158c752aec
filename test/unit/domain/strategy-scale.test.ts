import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Big,
  formatDecimal,
  mergePoolConfig,
  parsePoolConfig,
  sessionTimeRemainingSeconds,
  strategyFor,
  type PoolConfigInput,
  type QuoteInput,
  type QuoteLadder,
  type StrategyConfig,
} from '../../../domain';
import { ladder, quoteInput } from './quote-fixtures';

/*
 * Issue 11 defects 1, 2, 4 (the floor) and 5: model parameters that do not depend on the price
 * scale, every quoted width capped at maxSpreadBps, a minimum spread that follows the live policy,
 * and a finite horizon that counts down.
 */

const strategyOf = (strategy: PoolConfigInput['strategy']): StrategyConfig =>
  parsePoolConfig({ strategy }).strategy;

const DEFAULT_STRATEGIES: Array<[string, StrategyConfig]> = [
  ['rule_based', strategyOf({ kind: 'rule_based' })],
  ['avellaneda_stoikov (infinite)', strategyOf({ kind: 'avellaneda_stoikov' })],
  ['avellaneda_stoikov (finite)', strategyOf({ kind: 'avellaneda_stoikov', horizon: { type: 'finite' } })],
  ['glft', strategyOf({ kind: 'glft' })],
];

/** A tick a millionth of the mid (a power of ten), so rounding is the same fraction at every price. */
function tickFor(mid: Big): Big {
  const exponent = Math.floor(Math.log10(Number(mid.toPrecision(15)))) - 6;
  return new Big(10).pow(exponent);
}

const bps = (x: Big, mid: Big) => Number(x.div(mid).times(10_000).toPrecision(15));

/** 10 base units and the quote side sized for a value share `share`: q is the same at every mid. */
function poolAt(mid: Big, share = 0.5, patch: Partial<QuoteInput> = {}): QuoteInput {
  const base = new Big(10);
  const quote = base
    .times(mid)
    .times(1 - share)
    .div(share);
  const tick = tickFor(mid);
  return quoteInput({
    mid,
    reserveBase: base,
    reserveQuote: quote,
    tickSize: tick,
    lotSize: new Big('0.001'),
    ladder: ladder({ levels: 1, inventorySizeShape: 0 }),
    minSpreadBps: new Big(10),
    maxSpreadBps: new Big(500),
    // 10:21:40 UTC: 200 s left in a 300 s session.
    nowMs: Date.UTC(2026, 0, 5, 10, 21, 40),
    ...patch,
  });
}

function touchBps(q: QuoteLadder, mid: Big): { bid: number; ask: number; width: number } {
  const bid = q.bids[0]!.price;
  const ask = q.asks[0]!.price;
  return { bid: bps(mid.minus(bid), mid), ask: bps(ask.minus(mid), mid), width: bps(ask.minus(bid), mid) };
}

describe('default model parameters do not depend on the price scale (defect 1)', () => {
  const midArb = fc
    .record({ digits: fc.integer({ min: 1000, max: 9999 }), exponent: fc.integer({ min: -5, max: 1 }) })
    .map(({ digits, exponent }) => new Big(digits).times(new Big(10).pow(exponent)));

  it.each(DEFAULT_STRATEGIES)(
    '%s quotes the same bps from mid 0.01 to 100,000, flat or long',
    (_name, cfg) => {
      const strategy = strategyFor(cfg);
      const reference = new Big(2000);
      for (const share of [0.5, 0.6]) {
        const ref = touchBps(strategy.compute(poolAt(reference, share)), reference);
        fc.assert(
          fc.property(midArb, (mid) => {
            const got = touchBps(strategy.compute(poolAt(mid, share)), mid);
            // Each side rounds outward by less than one tick: 1e-6 of the mid is 0.01 bps.
            const tol = 0.02 + 0.02;
            expect(Math.abs(got.bid - ref.bid), `bid at mid ${formatDecimal(mid)}`).toBeLessThanOrEqual(tol);
            expect(Math.abs(got.ask - ref.ask), `ask at mid ${formatDecimal(mid)}`).toBeLessThanOrEqual(tol);
          }),
          { numRuns: 60 },
        );
      }
    },
  );

  it.each([['0.03'], ['1'], ['150'], ['2000'], ['60000']])(
    'at mid %s every default strategy quotes tens of bps, both sides on their side of the mid',
    (m) => {
      const mid = new Big(m);
      for (const [name, cfg] of DEFAULT_STRATEGIES) {
        const q = strategyFor(cfg).compute(poolAt(mid, 0.6));
        expect(q.bids, name).toHaveLength(1);
        expect(q.asks, name).toHaveLength(1);
        const t = touchBps(q, mid);
        expect(t.width, name).toBeGreaterThanOrEqual(10);
        expect(t.width, name).toBeLessThan(100);
        expect(t.bid, name).toBeGreaterThan(0);
        expect(t.ask, name).toBeGreaterThan(0);
      }
    },
  );
});

describe('absolute (price-unit) parameters remain available', () => {
  it('reproduces the Avellaneda-Stoikov (2008) quotes in price units', () => {
    // s 100, sigma 2 per unit time, k 1.5 per price unit, gamma 0.1, T - t = 1, q = 2:
    //   r = 100 - 2 x 0.1 x 4 x 1 = 99.2
    //   spread = 0.4 + 20 ln(16/15) = 0.4 + 1.290770422751424 = 1.690770422751424
    const cfg = strategyOf({
      kind: 'avellaneda_stoikov',
      parameterUnits: 'price',
      gamma: 0.1,
      k: 1.5,
      horizon: { type: 'finite', horizonSeconds: 1 },
    });
    const q = strategyFor(cfg).compute(
      quoteInput({
        mid: new Big(100),
        reserveBase: new Big(10),
        reserveQuote: new Big(600),
        volatility: 0.02,
        volatilityHorizonSeconds: 1,
        guardMid: false,
        timeRemainingSeconds: 1,
        ladder: ladder({ levels: 1, minSpreadFloorBps: '0', inventorySizeShape: 0 }),
      }),
    );
    expect(formatDecimal(q.reservationPrice)).toBe('99.2');
    expect(Number(q.halfSpread.times(2).toFixed())).toBeCloseTo(1.690770422751424, 12);
  });

  it("runs the paper's simulation setting: unit count q from targetBase, T - t from the simulated clock", () => {
    // T = 1 (a 1 s session from t = 0), absolute sigma 2 given as volatility 2 / s per 1 s, q = 3 units.
    // At t = 0.25: r = s - 3 x 0.1 x 4 x 0.75 = s - 0.9; spread = 0.3 + 20 ln(16/15).
    const cfg = strategyOf({
      kind: 'avellaneda_stoikov',
      parameterUnits: 'price',
      gamma: 0.1,
      k: 1.5,
      horizon: { type: 'finite', horizonSeconds: 1 },
    });
    const s = new Big('101.37');
    const q = strategyFor(cfg).compute(
      quoteInput({
        mid: s,
        reserveBase: new Big(3),
        reserveQuote: new Big(1000),
        targetBase: new Big(0),
        volatility: 2 / 101.37,
        volatilityHorizonSeconds: 1,
        nowMs: 250,
        guardMid: false,
        ladder: ladder({ levels: 1, inventorySizeShape: 0 }),
      }),
    );
    expect(q.model).toMatchObject({ q: 3, tau: 0.75 });
    expect(Number(s.minus(q.reservationPrice).toFixed())).toBeCloseTo(0.9, 12);
    expect(Number(q.halfSpread.times(2).toFixed())).toBeCloseTo(0.3 + 20 * Math.log(16 / 15), 12);
  });
});

describe('every quoted width is capped at maxSpreadBps (defects 1 and 2)', () => {
  const kinds: Array<[string, StrategyConfig]> = [
    ...DEFAULT_STRATEGIES,
    ['avellaneda_stoikov in price units', strategyOf({ kind: 'avellaneda_stoikov', gamma: 0.1, k: 1.5 })],
    ['glft in price units', strategyOf({ kind: 'glft', gamma: 0.1, k: 1.5, A: 1 })],
  ];
  const arb = fc.record({
    strategy: fc.constantFrom(...kinds),
    digits: fc.integer({ min: 1000, max: 9999 }),
    exponent: fc.integer({ min: -5, max: 1 }),
    share: fc.integer({ min: 5, max: 95 }),
    volatility: fc.double({ min: 0, max: 0.5, noNaN: true }),
    maxSpreadBps: fc.integer({ min: 20, max: 1000 }),
    spreadBps: fc.integer({ min: 10, max: 1000 }),
    levels: fc.integer({ min: 1, max: 4 }),
  });

  it('best ask - best bid <= maxSpreadBps of mid, whatever the strategy, price, inventory or volatility', () => {
    let capped = 0;
    fc.assert(
      fc.property(arb, (m) => {
        const mid = new Big(m.digits).times(new Big(10).pow(m.exponent));
        const spread = Math.min(m.spreadBps, m.maxSpreadBps);
        const input = poolAt(mid, m.share / 100, {
          volatility: m.volatility,
          spreadBps: new Big(spread),
          maxSpreadBps: new Big(m.maxSpreadBps),
          ladder: ladder({ levels: m.levels, inventorySizeShape: 0 }),
        });
        const q = strategyFor(m.strategy[1]).compute(input);
        const bid = q.bids[0];
        const ask = q.asks[0];
        if (!bid || !ask) return;
        expect(bps(ask.price.minus(bid.price), mid)).toBeLessThanOrEqual(m.maxSpreadBps);
        if (q.adjustments.includes('spread_capped_max')) capped++;
      }),
      { numRuns: 400 },
    );
    expect(capped).toBeGreaterThan(20);
  }, 60_000);

  it('rule-based volatility widening no longer goes past the cap, and says so', () => {
    // 500 bps x (1 + 1 x 0.3) = 650 bps before the cap.
    const mid = new Big(2000);
    const q = strategyFor(strategyOf({ kind: 'rule_based' })).compute(
      poolAt(mid, 0.5, { spreadBps: new Big(500), volatility: 0.3 }),
    );
    expect(touchBps(q, mid).width).toBeCloseTo(500, 6);
    expect(q.adjustments).toContain('spread_capped_max');
  });

  it('a model that wants a width within the cap is not touched', () => {
    const q = strategyFor(strategyOf({ kind: 'rule_based' })).compute(poolAt(new Big(2000)));
    expect(q.adjustments).not.toContain('spread_capped_max');
  });
});

describe('the minimum spread floor follows the live policy (defect 4)', () => {
  // A-S with its defaults quotes about 40 bps at 5% volatility per hour: under a raised minimum.
  const live = (config: ReturnType<typeof parsePoolConfig>) =>
    strategyFor(config.strategy).compute(
      poolAt(new Big(2000), 0.5, {
        ladder: config.ladder,
        minSpreadBps: new Big(config.spreadPolicy.minSpreadBps),
        maxSpreadBps: new Big(config.spreadPolicy.maxSpreadBps),
      }),
    );

  it('raising minSpreadBps after creation widens the quotes', () => {
    const created = parsePoolConfig({ strategy: { kind: 'avellaneda_stoikov' } });
    const raised = mergePoolConfig(created, { spreadPolicy: { minSpreadBps: '80', defaultSpreadBps: '80' } });
    const before = touchBps(live(created), new Big(2000)).width;
    expect(before).toBeLessThan(80);
    expect(touchBps(live(raised), new Big(2000)).width).toBeGreaterThanOrEqual(80);
  });

  it('a stored config carrying the floor copied by the previous release follows minSpreadBps too', () => {
    const stored = {
      spreadPolicy: { minSpreadBps: '10' },
      strategy: { kind: 'avellaneda_stoikov' },
      ladder: { minSpreadFloorBps: '10' },
    };
    const raised = mergePoolConfig(parsePoolConfig(stored), {
      spreadPolicy: { minSpreadBps: '80', defaultSpreadBps: '80' },
    });
    expect(touchBps(live(parsePoolConfig(stored)), new Big(2000)).width).toBeLessThan(80);
    expect(touchBps(live(raised), new Big(2000)).width).toBeGreaterThanOrEqual(80);
  });

  it('an explicit floor different from minSpreadBps stays what it was set to', () => {
    const c = parsePoolConfig({
      strategy: { kind: 'avellaneda_stoikov' },
      ladder: { minSpreadFloorBps: '120' },
    });
    expect(c.ladder.minSpreadFloorBps).toBe('120');
    expect(touchBps(live(c), new Big(2000)).width).toBeGreaterThanOrEqual(120);
  });
});

describe('finite-horizon Avellaneda-Stoikov counts down (defect 5)', () => {
  const hour = Date.UTC(2026, 0, 5, 10, 0, 0);

  it('sessions are aligned to UTC multiples of the horizon and roll over', () => {
    expect(sessionTimeRemainingSeconds(3600, hour)).toBe(3600);
    expect(sessionTimeRemainingSeconds(3600, hour + 1)).toBeCloseTo(3599.999, 9);
    expect(sessionTimeRemainingSeconds(3600, hour + 15 * 60_000)).toBe(2700);
    expect(sessionTimeRemainingSeconds(3600, hour + 3_599_000)).toBe(1);
    expect(sessionTimeRemainingSeconds(3600, hour + 3_600_000)).toBe(3600);
    expect(sessionTimeRemainingSeconds(600, hour + 11 * 60_000)).toBe(540);
  });

  it('always lies in (0, horizon] and falls one for one with the clock within a session', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (horizon, now, step) => {
          const t = sessionTimeRemainingSeconds(horizon, now);
          expect(t).toBeGreaterThan(0);
          expect(t).toBeLessThanOrEqual(horizon);
          const later = sessionTimeRemainingSeconds(horizon, now + step);
          if (step < t * 1000) expect(later).toBeCloseTo(t - step / 1000, 6);
          else expect(later).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('the live quote uses the time left: the inventory term shrinks toward the end of the session', () => {
    const cfg = strategyOf({ kind: 'avellaneda_stoikov', horizon: { type: 'finite', horizonSeconds: 3600 } });
    const at = (ms: number) => strategyFor(cfg).compute(poolAt(new Big(2000), 0.6, { nowMs: ms }));
    const early = at(hour + 60_000);
    const late = at(hour + 3_540_000);
    const next = at(hour + 3_600_000 + 60_000);
    expect(early.model.tau).toBe(3540);
    expect(late.model.tau).toBe(60);
    expect(next.model.tau).toBe(3540);
    const skew = (q: QuoteLadder) => new Big(2000).minus(q.reservationPrice);
    expect(skew(late).lt(skew(early))).toBe(true);
    expect(skew(next).eq(skew(early))).toBe(true);
  });

  it('an explicit timeRemainingSeconds (the backtester) wins over the clock', () => {
    const cfg = strategyOf({ kind: 'avellaneda_stoikov', horizon: { type: 'finite', horizonSeconds: 3600 } });
    const q = strategyFor(cfg).compute(poolAt(new Big(2000), 0.6, { timeRemainingSeconds: 10 }));
    expect(q.model.tau).toBe(10);
  });
});

describe('inventory target in base units', () => {
  it('q counts order sizes beyond targetBase instead of the value-share deviation', () => {
    const cfg = strategyOf({ kind: 'avellaneda_stoikov' });
    // 10 base, 60% of value: value-share q = (10 - 8.333...) / 1; with targetBase 4, q = (10 - 4) / 2 = 3.
    const byShare = strategyFor(cfg).compute(poolAt(new Big(2000), 0.6));
    expect(byShare.model.q).toBeCloseTo(10 / 6, 9);
    const byTarget = strategyFor(cfg).compute(
      poolAt(new Big(2000), 0.6, {
        targetBase: new Big(4),
        ladder: ladder({ levels: 1, inventorySizeShape: 0, baseOrderSize: '2' }),
      }),
    );
    expect(byTarget.model.q).toBe(3);
  });
});
