import { describe, expect, it } from 'vitest';
import { Big, mergePoolConfig, parsePoolConfig, type PoolConfig } from '../../../domain';
import { computeQuotes } from '../../../activities/quotes';
import type { MarketSnapshot } from '../../../activities/types';

/*
 * The live quote path (the quoting session's cycle calls computeQuotes) hands the strategies the
 * activity's clock and the pool's live spread bounds: issue 11 defects 2, 4 and 5 on the live path.
 */

const HOUR = Date.UTC(2026, 0, 5, 10, 0, 0);

function snapshot(config: PoolConfig, patch: Partial<MarketSnapshot> = {}): MarketSnapshot {
  return {
    poolId: 'pool-1',
    status: 'active',
    observedAtMs: HOUR,
    priceFeed: 'ETH-USDC',
    mid: '2000',
    midSource: 'reference',
    referencePrice: '2000',
    priceAgeSeconds: 1,
    bestBid: null,
    bestAsk: null,
    reserveBase: '12',
    reserveQuote: '20000',
    totalShares: '1',
    netBaseContributed: '12',
    netQuoteContributed: '20000',
    hedgeFeesPaid: '0',
    peakCapital: '44000',
    inventoryShare: '0.545',
    tvl: '44000',
    spreadBps: config.spreadPolicy.defaultSpreadBps,
    tickSize: '0.01',
    lotSize: '0.001',
    minSize: '0.001',
    volatility: 0.05,
    volatilityRegime: 'normal',
    pnl: {
      holdValue: '0',
      currentValue: '0',
      totalPnl: '0',
      tradePnl: '0',
      fees: '0',
      feesEarned: '0',
      feesPaid: '0',
      returnPct: '0',
    },
    recentVolumeBase: '0',
    recentTrades: 0,
    openOrders: 0,
    config,
    ...patch,
  };
}

const widthBps = (l: ReturnType<typeof computeQuotes>) =>
  Number(new Big(l.asks[0]!.price).minus(l.bids[0]!.price).div(2000).times(10_000).toFixed(4));

describe('computeQuotes (the live quote path)', () => {
  it('counts the finite horizon down with the snapshot clock and rolls over at the session boundary', () => {
    const config = parsePoolConfig({
      strategy: { kind: 'avellaneda_stoikov', horizon: { type: 'finite', horizonSeconds: 600 } },
    });
    const at = (ms: number) => computeQuotes(snapshot(config, { observedAtMs: ms })).model.tau;
    expect(at(HOUR + 60_000)).toBe(540);
    expect(at(HOUR + 599_000)).toBe(1);
    expect(at(HOUR + 600_000)).toBe(600);
  });

  it('caps the width at the live maxSpreadBps and floors it at the live minSpreadBps', () => {
    const base = parsePoolConfig({ strategy: { kind: 'rule_based' } });
    // 400 bps x (1 + 0.5) of volatility widening would be 600 bps.
    const wide = mergePoolConfig(base, { spreadPolicy: { maxSpreadBps: '450', defaultSpreadBps: '400' } });
    const capped = computeQuotes(snapshot(wide, { spreadBps: '400', volatility: 0.5 }));
    expect(widthBps(capped)).toBeLessThanOrEqual(450);
    expect(capped.adjustments).toContain('spread_capped_max');

    const as = parsePoolConfig({ strategy: { kind: 'avellaneda_stoikov' } });
    expect(widthBps(computeQuotes(snapshot(as)))).toBeLessThan(60);
    const raised = mergePoolConfig(as, { spreadPolicy: { minSpreadBps: '60', defaultSpreadBps: '60' } });
    expect(widthBps(computeQuotes(snapshot(raised)))).toBeGreaterThanOrEqual(60);
  });
});

describe('per-market controls on the live quote path (issue 13, item 6)', () => {
  it('a price ceiling keeps every bid at or below it, and above it the pool only sells', () => {
    const config = parsePoolConfig({ ladder: { priceCeiling: '2001' } });
    const below = computeQuotes(snapshot(config));
    expect(below.bids.length).toBeGreaterThan(0);
    expect(below.bids.every((l) => new Big(l.price).lte('2001'))).toBe(true);
    expect(below.asks.length).toBe(3);

    const above = computeQuotes(snapshot(config, { mid: '2010', referencePrice: '2010' }));
    expect(above.bids).toEqual([]);
    expect(above.asks.length).toBe(3);
    expect(above.adjustments).toContain('bids_off_above_ceiling');
  });

  it('a price floor keeps every ask at or above it, and below it the pool only buys', () => {
    const config = parsePoolConfig({ ladder: { priceFloor: '2000.5' } });
    const cut = computeQuotes(snapshot(config));
    expect(cut.asks.every((l) => new Big(l.price).gte('2000.5'))).toBe(true);
    const below = computeQuotes(snapshot(config, { mid: '1990', referencePrice: '1990' }));
    expect(below.asks).toEqual([]);
    expect(below.bids.length).toBe(3);
    expect(below.adjustments).toContain('asks_off_below_floor');
  });

  it('a configuration without a band quotes exactly as before', () => {
    const config = parsePoolConfig({});
    expect(config.ladder).not.toHaveProperty('priceCeiling');
    const l = computeQuotes(snapshot(config));
    expect(l.adjustments.some((a) => a.includes('ceiling') || a.includes('floor'))).toBe(false);
  });

  it('the config refuses a floor above the ceiling, and a stored config from before the band parses', () => {
    expect(() => parsePoolConfig({ ladder: { priceCeiling: '10', priceFloor: '11' } })).toThrow(
      /priceFloor.*must not be above ladder.priceCeiling/,
    );
    expect(() => parsePoolConfig({ ladder: { priceCeiling: '-1' } })).toThrow(/priceCeiling/);
    const stored = { ladder: { levels: 3, levelSpacingBps: '10', baseOrderSize: '1', sizeDecay: 0.7 } };
    expect(parsePoolConfig(stored).ladder.levels).toBe(3);
    expect(
      mergePoolConfig(parsePoolConfig(stored), { ladder: { priceFloor: '1500' } }).ladder.priceFloor,
    ).toBe('1500');
  });

  it('an inventory target of 30% reaches the strategies: a pool on 30% quotes balanced, one on 50% sheds base', () => {
    // 6 ETH x 2000 = 12,000 of 40,000: a base value share of exactly 0.3.
    const at30 = { reserveBase: '6', reserveQuote: '28000', inventoryShare: '0.3' };
    for (const kind of ['rule_based', 'avellaneda_stoikov', 'glft'] as const) {
      const onTarget = computeQuotes(
        snapshot(parsePoolConfig({ strategy: { kind }, spreadPolicy: { targetInventoryShare: 0.3 } }), at30),
      );
      const offTarget = computeQuotes(snapshot(parsePoolConfig({ strategy: { kind } }), at30));
      // On target: no skew (the reservation price is the mid) and equal sizes on both sides.
      expect(Number(onTarget.reservationPrice), kind).toBeCloseTo(2000, 6);
      expect(onTarget.bids[0]!.size, kind).toBe(onTarget.asks[0]!.size);
      // With the default 50% target the same pool is short base: it leans toward buying.
      expect(new Big(offTarget.reservationPrice).gt(2000), kind).toBe(true);
      expect(new Big(offTarget.asks[0]!.size).lt(offTarget.bids[0]!.size), kind).toBe(true);
    }
  });
});

describe('the price band cuts single levels a model quotes across the mid', () => {
  it('with the mid guard off, a pool short base bids above the mid; a ceiling at the mid cuts exactly those bids', () => {
    // 2 ETH x 2000 = 4,000 of 40,000: a 10% base share against a 50% target, so the reservation
    // price sits well above the mid and, without the guard, the best bids cross it.
    const short = { reserveBase: '2', reserveQuote: '36000', inventoryShare: '0.1' };
    const patch = { strategy: { kind: 'rule_based' as const, skewFactor: 10 }, ladder: { guardMid: false } };
    const free = computeQuotes(snapshot(parsePoolConfig(patch), short));
    const above = free.bids.filter((l) => new Big(l.price).gt(2000));
    expect(above.length).toBeGreaterThan(0);
    const banded = computeQuotes(
      snapshot(parsePoolConfig({ ...patch, ladder: { guardMid: false, priceCeiling: '2000' } }), short),
    );
    expect(banded.bids).toEqual(free.bids.filter((l) => new Big(l.price).lte(2000)));
    expect(banded.asks).toEqual(free.asks);
    expect(banded.adjustments).toContain('bids_cut_at_ceiling');
  });
});
