import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Big } from '../../../domain/money';
import {
  computePortfolio,
  type AssetAmount,
  type PoolPosition,
  type PortfolioView,
} from '../../../domain/portfolio';
import {
  INITIAL_PORTFOLIO_RISK_STATE,
  evaluatePortfolioRisk,
  parsePortfolioLimits,
  type PortfolioLimitsInput,
  type PortfolioRiskState,
} from '../../../domain/portfolio-risk';
import { expectFieldError } from './helpers';

const b = (s: string | number) => new Big(s);

/** A view from per-pool exposure values (quantity = value: only values matter to the limits). */
function viewOf(
  pools: { id: string; pair: string; exposure: Record<string, number> }[],
  totalPnl = 0,
): PortfolioView {
  const net = new Map<string, AssetAmount>();
  const poolViews = pools.map((p) => {
    const exposure = new Map<string, AssetAmount>();
    for (const [asset, v] of Object.entries(p.exposure)) {
      exposure.set(asset, { quantity: b(v), value: b(v) });
      const prev = net.get(asset)?.value ?? b(0);
      net.set(asset, { quantity: prev.plus(v), value: prev.plus(v) });
    }
    return { poolId: p.id, pair: p.pair, exposure, currentValue: b(0), holdValue: b(0), pnl: b(0) };
  });
  return {
    numeraire: 'USDC',
    exposure: net,
    holdings: new Map(),
    pools: poolViews,
    deskExposure: new Map(),
    currentValue: b(totalPnl),
    holdValue: b(0),
    totalPnl: b(totalPnl),
    valuationPaths: new Map(),
  };
}

const limits = (over: PortfolioLimitsInput = {}) =>
  parsePortfolioLimits({ maxNetExposure: { ETH: '10000' }, minActionSeconds: 0, ...over });

/** Runs evaluations in sequence, one second apart, returning each. */
function run(views: PortfolioView[], l = limits(), state: PortfolioRiskState = INITIAL_PORTFOLIO_RISK_STATE) {
  return views.map((v, i) => {
    const e = evaluatePortfolioRisk(v, l, state, 1_000_000 + i * 1000);
    state = e.state;
    return e;
  });
}

// Ten pools over four pairs, at ETH 2,000 USDC, BTC 60,000 USDC, ETH/BTC 1/30, SOL 150.
function tenPools(ethShift: string): PoolPosition[] {
  const pool = (poolId: string, pair: string, base: string, price: string, extraBase = '0'): PoolPosition => {
    const quote = b(base).times(price);
    return {
      poolId,
      pair,
      reserveBase: b(base).plus(extraBase),
      reserveQuote: quote.minus(b(extraBase).times(price)),
      initialBase: b(base),
      initialQuote: quote,
      target: { kind: 'share', share: b('0.5') },
    };
  };
  return [
    pool('eth-usdc-1', 'ETH/USDC', '50', '2000', ethShift), // long ETH when the shift is positive
    pool('eth-usdc-2', 'ETH/USDC', '50', '2000', ethShift),
    pool('eth-usdc-3', 'ETH/USDC', '50', '2000', '-1'), // short 1 ETH: reduces a long
    pool('eth-btc-1', 'ETH/BTC', '60', '0.033333', ethShift),
    pool('eth-btc-2', 'ETH/BTC', '60', '0.033333'),
    pool('btc-usdc-1', 'BTC/USDC', '2', '60000', '0.1'),
    pool('btc-usdc-2', 'BTC/USDC', '2', '60000'),
    pool('sol-usdc-1', 'SOL/USDC', '500', '150', '20'),
    pool('sol-usdc-2', 'SOL/USDC', '500', '150'),
    pool('sol-usdc-3', 'SOL/USDC', '500', '150', '-20'),
  ];
}
const prices = [
  { pair: 'ETH/USDC', price: b('2000') },
  { pair: 'BTC/USDC', price: b('60000') },
  { pair: 'ETH/BTC', price: b('0.033333') },
  { pair: 'SOL/USDC', price: b('150') },
];
const desk = (ethShift: string) => computePortfolio({ numeraire: 'USDC', prices, pools: tenPools(ethShift) });

describe('evaluatePortfolioRisk: per-asset exposure', () => {
  it('ten pools over four pairs: an ETH breach pauses exactly the pools long ETH, and resumes them when it clears', () => {
    const l = limits({ maxNetExposure: { ETH: '10000', BTC: '50000', SOL: '50000' } });
    // +3 ETH in three pools (of which one ETH/BTC) and -1 ETH in another: net +8 ETH, 16,000 USDC.
    const [calm, breach, inBand, clear] = run([desk('0'), desk('3'), desk('2'), desk('1.5')], l);
    expect(calm!.decisions.every((d) => d.action === 'continue')).toBe(true);

    expect(breach!.breached).toEqual([
      expect.objectContaining({
        key: 'exposure:ETH:long',
        threshold: '10000',
        action: 'pause',
        pools: ['eth-btc-1', 'eth-usdc-1', 'eth-usdc-2'],
      }),
    ]);
    expect(breach!.changes.map((c) => `${c.poolId}:${c.from}->${c.to}`)).toEqual([
      'eth-btc-1:continue->pause',
      'eth-usdc-1:continue->pause',
      'eth-usdc-2:continue->pause',
    ]);

    // 2 ETH more in each of three pools, 1 less in another: net 5 ETH, 10,000 USDC, above the
    // 9,000 resume level (the 10,000 limit less its 10% band): still held.
    expect(inBand!.changes).toEqual([]);
    expect(inBand!.cleared).toEqual([]);
    // 1.5 x 3 - 1 = 3.5 ETH, 7,000: at or below 9,000, cleared; all three resume together.
    expect(clear!.cleared).toEqual([
      expect.objectContaining({ key: 'exposure:ETH:long', pools: ['eth-btc-1', 'eth-usdc-1', 'eth-usdc-2'] }),
    ]);
    expect(clear!.changes.map((c) => `${c.poolId}:${c.from}->${c.to}`)).toEqual([
      'eth-btc-1:pause->continue',
      'eth-usdc-1:pause->continue',
      'eth-usdc-2:pause->continue',
    ]);
    expect(clear!.state.breaches).toEqual([]);
    expect(clear!.state.poolActions).toEqual({});
  });

  it('a short breach holds the pools short the asset, and skew says which side each pool should favour', () => {
    const view = viewOf([
      { id: 'eth-usdc', pair: 'ETH/USDC', exposure: { ETH: -6000, USDC: 6000 } },
      { id: 'eth-btc', pair: 'ETH/BTC', exposure: { ETH: -6000, BTC: 6000 } },
      { id: 'btc-usdc', pair: 'BTC/USDC', exposure: { BTC: 20000, USDC: -20000 } },
      { id: 'long-eth', pair: 'ETH/USDC', exposure: { ETH: 1000, USDC: -1000 } },
    ]);
    const [e] = run(
      [view],
      limits({ maxNetExposure: { ETH: '10000', BTC: '20000' }, exposureAction: 'skew' }),
    );
    expect(e!.decisions).toEqual([
      {
        poolId: 'btc-usdc',
        action: 'skew',
        reasons: ['exposure:BTC:long'],
        skews: [{ asset: 'BTC', favour: 'sell_base' }],
      },
      {
        poolId: 'eth-btc',
        action: 'skew',
        reasons: ['exposure:BTC:long', 'exposure:ETH:short'],
        // Short ETH, its base: buy base. Long BTC, its quote: shedding quote is buying base too.
        skews: [
          { asset: 'BTC', favour: 'buy_base' },
          { asset: 'ETH', favour: 'buy_base' },
        ],
      },
      {
        poolId: 'eth-usdc',
        action: 'skew',
        reasons: ['exposure:ETH:short'],
        skews: [{ asset: 'ETH', favour: 'buy_base' }],
      },
      { poolId: 'long-eth', action: 'continue', reasons: [] },
    ]);
    // What the supervisor acts on: each change to 'skew' carries the side to favour.
    expect(e!.changes.map((c) => [c.poolId, c.to, c.favour])).toEqual([
      ['btc-usdc', 'skew', 'sell_base'],
      ['eth-btc', 'skew', 'buy_base'],
      ['eth-usdc', 'skew', 'buy_base'],
    ]);
  });

  it('a pool that starts adding while the breach lasts joins it; none leaves before it clears', () => {
    const a = { id: 'a', pair: 'ETH/USDC', exposure: { ETH: 12000 } };
    const later = (v: number) => ({ id: 'b', pair: 'ETH/USDC', exposure: { ETH: v } });
    const [, second, third] = run([
      viewOf([a, later(-500)]),
      viewOf([a, later(500)]),
      viewOf([{ ...a, exposure: { ETH: 9500 } }, later(-400)]),
    ]);
    expect(second!.changes).toEqual([
      { poolId: 'b', from: 'continue', to: 'pause', reasons: ['exposure:ETH:long'] },
    ]);
    // Net 9,100 is above the 9,000 resume level: b stays held although it is short again.
    expect(third!.changes).toEqual([]);
  });

  it('minActionSeconds keeps a breach for its minimum time even if the value drops at once', () => {
    const l = limits({ minActionSeconds: 60 });
    const hi = viewOf([{ id: 'a', pair: 'ETH/USDC', exposure: { ETH: 12000 } }]);
    const lo = viewOf([{ id: 'a', pair: 'ETH/USDC', exposure: { ETH: 100 } }]);
    const first = evaluatePortfolioRisk(hi, l, INITIAL_PORTFOLIO_RISK_STATE, 0);
    expect(evaluatePortfolioRisk(lo, l, first.state, 59_999).changes).toEqual([]);
    expect(evaluatePortfolioRisk(lo, l, first.state, 60_000).changes).toEqual([
      { poolId: 'a', from: 'pause', to: 'continue', reasons: [] },
    ]);
  });

  it('removing a limit clears its breach and releases its pools', () => {
    const v = viewOf([{ id: 'a', pair: 'ETH/USDC', exposure: { ETH: 12000 } }]);
    const first = evaluatePortfolioRisk(v, limits(), INITIAL_PORTFOLIO_RISK_STATE, 0);
    const second = evaluatePortfolioRisk(v, limits({ maxNetExposure: {} }), first.state, 1000);
    expect(second.cleared).toEqual([
      { key: 'exposure:ETH:long', value: null, threshold: null, pools: ['a'] },
    ]);
    expect(second.changes).toEqual([{ poolId: 'a', from: 'pause', to: 'continue', reasons: [] }]);
  });
});

describe('evaluatePortfolioRisk: names that are also Object members', () => {
  it('an asset called "constructor" and a pool called "toString" are ordinary names', () => {
    const view = viewOf([
      { id: 'toString', pair: 'constructor/USDC', exposure: { constructor: 50_000 } },
      { id: 'constructor', pair: 'ETH/USDC', exposure: { ETH: 500 } },
    ]);
    const [e] = run([view]);
    expect(e!.changes).toEqual([]);
    expect(e!.decisions.map((d) => d.action)).toEqual(['continue', 'continue']);
    const [limited] = run([view], limits({ maxNetExposure: { constructor: '1000' } }));
    expect(limited!.changes).toEqual([
      { poolId: 'toString', from: 'continue', to: 'pause', reasons: ['exposure:constructor:long'] },
    ]);
  });
});

describe('evaluatePortfolioRisk: loss and drawdown', () => {
  const pools = [
    { id: 'a', pair: 'ETH/USDC', exposure: {} },
    { id: 'b', pair: 'SOL/USDC', exposure: {} },
  ];

  it('a total loss past the limit stops every pool, and the supervisor never resumes a stopped pool', () => {
    const l = limits({ maxTotalLoss: '5000' });
    const [ok, lost, recovered] = run([viewOf(pools, -4000), viewOf(pools, -5001), viewOf(pools, 1000)], l);
    expect(ok!.changes).toEqual([]);
    expect(lost!.changes.map((c) => c.to)).toEqual(['stop', 'stop']);
    expect(recovered!.cleared.map((c) => c.key)).toEqual(['loss']);
    expect(recovered!.changes).toEqual([]);
    expect(recovered!.decisions.map((d) => d.action)).toEqual(['stop', 'stop']);
  });

  it('drawdown is measured from the highest P&L seen and pauses every pool', () => {
    const l = limits({ maxDrawdown: '3000' });
    const [, , dd, back] = run(
      [viewOf(pools, 1000), viewOf(pools, 8000), viewOf(pools, 4900), viewOf(pools, 5800)],
      l,
    );
    expect(dd!.drawdown).toBe('3100');
    expect(dd!.state.peakPnl).toBe('8000');
    expect(dd!.breached).toEqual([
      { key: 'drawdown', value: '3100', threshold: '3000', action: 'pause', pools: ['a', 'b'] },
    ]);
    // 2,200 below the peak is under 2,700 (3,000 less the 10% band): resume.
    expect(back!.changes.map((c) => c.to)).toEqual(['continue', 'continue']);
  });
});

describe('evaluatePortfolioRisk: properties', () => {
  const walk = fc.array(fc.integer({ min: -20_000, max: 20_000 }), { minLength: 1, maxLength: 40 });

  it('never flaps: a pool is held only above the limit and released only at or below limit x (1 - band)', () => {
    fc.assert(
      fc.property(walk, fc.integer({ min: 0, max: 50 }), (values, bandPct) => {
        const l = limits({ resumeBand: bandPct / 100 });
        const evaluations = run(
          values.map((v) => viewOf([{ id: 'p', pair: 'ETH/USDC', exposure: { ETH: v } }])),
          l,
        );
        const sideOf = (reasons: string[]) =>
          reasons.includes('exposure:ETH:long') ? 1 : reasons.includes('exposure:ETH:short') ? -1 : 0;
        let held = 0;
        evaluations.forEach((e, i) => {
          const v = values[i]!;
          const now = sideOf(e.decisions[0]!.reasons);
          // Entering a side takes a value beyond the limit on that side.
          if (now !== 0 && now !== held) expect(v * now).toBeGreaterThan(10_000);
          // Leaving a side takes a value back within the band on that side.
          if (held !== 0 && now !== held)
            expect(v * held).toBeLessThanOrEqual(10_000 * (1 - bandPct / 100) + 1e-9);
          expect(e.decisions[0]!.action).toBe(now === 0 ? 'continue' : 'pause');
          held = now;
        });
      }),
    );
  });

  it('a new breach holds exactly the pools whose own exposure has its sign', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -8000, max: 8000 }), { minLength: 1, maxLength: 10 }),
        (exposures) => {
          const view = viewOf(
            exposures.map((v, i) => ({ id: `p${i}`, pair: 'ETH/USDC', exposure: { ETH: v } })),
          );
          const net = exposures.reduce((s, v) => s + v, 0);
          const [e] = run([view]);
          const paused = e!.decisions.filter((d) => d.action === 'pause').map((d) => d.poolId);
          const expected =
            Math.abs(net) > 10_000
              ? exposures.flatMap((v, i) => (Math.sign(v) === Math.sign(net) && v !== 0 ? [`p${i}`] : []))
              : [];
          expect(paused.sort()).toEqual(expected.sort());
        },
      ),
    );
  });

  it('is deterministic and its state survives a JSON round trip (continueAsNew)', () => {
    fc.assert(
      fc.property(walk, (values) => {
        const views = values.map((v) =>
          viewOf(
            [
              { id: 'p', pair: 'ETH/USDC', exposure: { ETH: v } },
              { id: 'q', pair: 'ETH/USDC', exposure: { ETH: -v / 3 } },
            ],
            -v,
          ),
        );
        const l = limits({ maxTotalLoss: '15000', maxDrawdown: '12000' });
        const direct = run(views, l);
        let state: PortfolioRiskState = INITIAL_PORTFOLIO_RISK_STATE;
        views.forEach((v, i) => {
          const e = evaluatePortfolioRisk(
            v,
            l,
            JSON.parse(JSON.stringify(state)) as PortfolioRiskState,
            1_000_000 + i * 1000,
          );
          expect(e).toEqual(direct[i]);
          state = e.state;
        });
      }),
      { numRuns: 50 },
    );
  });
});

describe('parsePortfolioLimits', () => {
  it('fills defaults and refuses what is wrong, naming the field', () => {
    expect(parsePortfolioLimits({})).toEqual({
      numeraire: 'USDC',
      maxNetExposure: {},
      exposureAction: 'pause',
      lossAction: 'stop',
      drawdownAction: 'pause',
      resumeBand: 0.1,
      skewShift: 0.1,
      minActionSeconds: 60,
    });
    expectFieldError(
      () => parsePortfolioLimits({ maxNetExposure: { ETH: '-1' } }),
      'limits.maxNetExposure.ETH',
      'must not be negative',
    );
    expectFieldError(
      () => parsePortfolioLimits({ maxNetExposure: { 'ETH/USDC': '1' } }),
      'limits.maxNetExposure.ETH/USDC',
      'asset symbol',
    );
    expectFieldError(
      () => parsePortfolioLimits({ maxTotalLoss: 5000 }),
      'limits.maxTotalLoss',
      'got number 5000',
    );
    expectFieldError(
      () => parsePortfolioLimits({ lossAction: 'skew' }),
      'limits.lossAction',
      "'pause' or 'stop'",
    );
    expectFieldError(() => parsePortfolioLimits({ resumeBand: 1 }), 'limits.resumeBand', 'less than 1');
    expectFieldError(() => parsePortfolioLimits({ maxLoss: '1' }), 'limits.maxLoss', 'known fields');
    expectFieldError(
      () =>
        evaluatePortfolioRisk(
          viewOf([]),
          parsePortfolioLimits({ numeraire: 'BTC' }),
          INITIAL_PORTFOLIO_RISK_STATE,
          0,
        ),
      'limits.numeraire',
      'valued in USDC',
    );
  });
});
