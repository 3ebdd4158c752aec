import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Big,
  avellanedaStoikov,
  glftCoefficients,
  glftDepths,
  parsePoolConfig,
  strategyFor,
  type QuoteInput,
} from '../../../domain';
import { absoluteModelParameters, relativeModelParameters } from '../../../domain/model-scale';
import { baseSizeForQuoteValue, examplePairRegistry, type Pair } from '../../../domain/pairs';

const registry = examplePairRegistry();
/** The strategies' defaults (gamma 0.1, k 1.5), as tuned for ETH/USDC at 2,000. */
const ethUsdcTuning = relativeModelParameters(new Big(2000), { gamma: 0.1, k: 1.5 });
const USDC_PER_BTC = new Big(60_000);

describe('relative model parameters', () => {
  it('give Avellaneda-Stoikov and GLFT the same spread and skew in bps at any price', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 9 }).map((n) => new Big(n).div(10 ** 4)),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 0.001, max: 0.2, noNaN: true }),
        (mid, q, vol) => {
          const m = Number(mid.toPrecision(15));
          const inBps = (x: number, at: number) => (x / at) * 10_000;
          const at = (price: number) => {
            const p = absoluteModelParameters(new Big(price), ethUsdcTuning);
            const sigma = (vol * price) / Math.sqrt(3600);
            const as = avellanedaStoikov({ s: price, q, gamma: p.gamma, sigma, tau: 60, k: p.k });
            const { c1, c2 } = glftCoefficients(p.gamma, p.k, 1);
            const g = glftDepths(c1, c2, q, sigma);
            return [as.spread, as.reservationOffset, g.bidDepth, g.askDepth].map((x) => inBps(x, price));
          };
          const here = at(m);
          const reference = at(2000);
          here.forEach((v, i) =>
            expect(Math.abs(v - reference[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v))),
          );
        },
      ),
    );
  });

  it('carry a tuning across scales and back', () => {
    const abs = absoluteModelParameters(new Big('0.033333'), ethUsdcTuning);
    const back = relativeModelParameters(new Big('0.033333'), abs);
    expect(back.gammaRel).toBeCloseTo(200, 9);
    expect(back.kPerBps).toBeCloseTo(0.3, 12);
    expect(() => absoluteModelParameters(new Big(0), ethUsdcTuning)).toThrow(/mid must be positive/);
    expect(() => absoluteModelParameters(new Big(1), { gammaRel: 0, kPerBps: 1 })).toThrow(
      /gammaRel must be a positive/,
    );
  });
});

describe('every strategy quotes every example pair inside its bounds, with scaled parameters', () => {
  /** A balanced pool worth ~100,000 USDC, volatility 2% per hour, orders worth ~2,000 USDC. */
  function input(
    pair: Pair,
    kind: 'rule_based' | 'avellaneda_stoikov' | 'glft',
    skewShare = 0,
  ): { input: QuoteInput; compute: () => ReturnType<ReturnType<typeof strategyFor>['compute']> } {
    const mid = pair.referencePrice;
    const toQuote = (usdc: number) =>
      pair.quote.symbol === 'BTC' ? new Big(usdc).div(USDC_PER_BTC) : new Big(usdc);
    const half = toQuote(50_000);
    const shift = half.times(skewShare);
    const params = absoluteModelParameters(mid, ethUsdcTuning);
    const strategy =
      kind === 'rule_based'
        ? { kind }
        : kind === 'glft'
          ? { kind, gamma: params.gamma, k: params.k, A: 1 }
          : { kind, gamma: params.gamma, k: params.k };
    const config = parsePoolConfig({
      strategy,
      ladder: { baseOrderSize: baseSizeForQuoteValue(pair, toQuote(2000), mid)!.toFixed() },
    });
    const quoteInput: QuoteInput = {
      mid,
      reserveBase: half.plus(shift).div(mid).round(8, Big.roundDown),
      reserveQuote: half.minus(shift).round(8, Big.roundDown),
      targetInventoryShare: 0.5,
      spreadBps: new Big(30),
      volatility: 0.02,
      volatilityHorizonSeconds: 3600,
      tickSize: pair.tickSize,
      lotSize: pair.lotSize,
      minSize: pair.minSize,
      ladder: config.ladder,
      guardMid: true,
    };
    return { input: quoteInput, compute: () => strategyFor(config.strategy).compute(quoteInput) };
  }

  const cases = registry.pairs.flatMap((pair) =>
    (['rule_based', 'avellaneda_stoikov', 'glft'] as const).map((kind) => [pair.symbol, kind] as const),
  );

  it.each(cases)(
    '%s with %s: both sides quoted within 10-500 bps, level-0 spread the same in bps as on ETH/USDC',
    (symbol, kind) => {
      const pair = registry.get(symbol);
      const ladder = input(pair, kind).compute();
      const mid = pair.referencePrice;
      expect(ladder.bids).toHaveLength(3);
      expect(ladder.asks).toHaveLength(3);
      const bps = (p: Big) => p.minus(mid).abs().div(mid).times(10_000);
      for (const level of [...ladder.bids, ...ladder.asks]) {
        expect(level.price.gt(0)).toBe(true);
        expect(bps(level.price).gte(5) && bps(level.price).lte(500)).toBe(true);
        expect(level.size.gte(pair.minSize)).toBe(true);
      }
      const spreadBps = (l: typeof ladder, at: Big) =>
        l.asks[0]!.price.minus(l.bids[0]!.price).div(at).times(10_000);
      const eth = registry.get('ETH/USDC');
      const reference = spreadBps(input(eth, kind).compute(), eth.referencePrice);
      // The same up to the rounding of two ticks (at most 0.6 bps on these grids).
      expect(spreadBps(ladder, mid).minus(reference).abs().lte(1)).toBe(true);
    },
  );

  it.each(cases)(
    '%s with %s: a pool long base by 20%% of its value skews both sides down',
    (symbol, kind) => {
      const pair = registry.get(symbol);
      const flat = input(pair, kind).compute();
      const long = input(pair, kind, 0.2).compute();
      expect(long.bids[0]!.price.lte(flat.bids[0]!.price)).toBe(true);
      expect(long.asks[0]!.price.lte(flat.asks[0]!.price)).toBe(true);
      expect(long.reservationPrice.lt(flat.reservationPrice)).toBe(true);
    },
  );

  it.todo(
    'the strategies read relative gamma and k (or scale them per pool) so their defaults quote sanely at every scale; today the defaults drop the ETH/BTC bid',
  );
});
