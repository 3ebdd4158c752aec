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
