import { describe, expect, it } from 'vitest';
import { Big, parsePoolConfig, strategyFor, type QuoteInput, type QuoteLadder } from '../../../domain';
import { baseSizeForQuoteValue, examplePairRegistry, type Pair } from '../../../domain/pairs';

/*
 * Issue 13's "a pool at a 0.03 price and one at 60,000 both quote inside their bounds with each
 * strategy", on the example pairs' own grids, with the default (mid-relative) model parameters and
 * orders sized by value.
 */

const registry = examplePairRegistry();
const USDC_PER_BTC = new Big(60_000);
const KINDS = ['rule_based', 'avellaneda_stoikov', 'glft'] as const;
type Kind = (typeof KINDS)[number];

/** A pool worth ~100,000 USDC with `skew` of its value moved into base; 2% volatility per hour; orders worth ~2,000 USDC. */
function quote(pair: Pair, kind: Kind, skew = 0): QuoteLadder {
  const mid = pair.referencePrice;
  const inQuote = (usdc: number) =>
    pair.quote.symbol === 'BTC' ? new Big(usdc).div(USDC_PER_BTC) : new Big(usdc);
  const half = inQuote(50_000);
  const shift = half.times(skew);
  const config = parsePoolConfig({
    strategy: { kind },
    ladder: { baseOrderSize: baseSizeForQuoteValue(pair, inQuote(2000), mid)!.toFixed() },
  });
  const input: QuoteInput = {
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
    minSpreadBps: new Big(config.spreadPolicy.minSpreadBps),
    maxSpreadBps: new Big(config.spreadPolicy.maxSpreadBps),
  };
  return strategyFor(config.strategy).compute(input);
}

const spreadBps = (l: QuoteLadder, mid: Big) =>
  l.asks[0]!.price.minus(l.bids[0]!.price).div(mid).times(10_000);
const cases = registry.pairs.flatMap((pair) => KINDS.map((kind) => [pair.symbol, kind] as const));

describe('every strategy quotes every example pair, from 0.03 to 60,000', () => {
  it.each(cases)(
    '%s with %s: a full ladder on both sides within 10-500 bps, sizes on the grid',
    (symbol, kind) => {
      const pair = registry.get(symbol);
      const ladder = quote(pair, kind);
      const mid = pair.referencePrice;
      expect(ladder.bids).toHaveLength(3);
      expect(ladder.asks).toHaveLength(3);
      for (const level of [...ladder.bids, ...ladder.asks]) {
        const bps = level.price.minus(mid).abs().div(mid).times(10_000);
        expect(level.price.gt(0)).toBe(true);
        expect(bps.gte(5) && bps.lte(500)).toBe(true);
        expect(level.size.gte(pair.minSize)).toBe(true);
        expect(level.size.mod(pair.lotSize).eq(0)).toBe(true);
      }
      // The same width in bps as on ETH/USDC, up to two ticks of rounding (0.6 bps on these grids).
      const eth = registry.get('ETH/USDC');
      expect(
        spreadBps(ladder, mid)
          .minus(spreadBps(quote(eth, kind), eth.referencePrice))
          .abs()
          .lte(1),
      ).toBe(true);
    },
  );

  it.each(cases)(
    '%s with %s: a pool long base by 20%% of its value quotes lower on both sides',
    (symbol, kind) => {
      const pair = registry.get(symbol);
      const flat = quote(pair, kind);
      const long = quote(pair, kind, 0.2);
      expect(long.bids[0]!.price.lte(flat.bids[0]!.price)).toBe(true);
      expect(long.asks[0]!.price.lte(flat.asks[0]!.price)).toBe(true);
      expect(long.reservationPrice.lt(flat.reservationPrice)).toBe(true);
    },
  );
});
