import { describe, expect, it, vi } from 'vitest';
import * as quoteCycle from '../../../domain/quote-cycle';
import { computeQuotes } from '../../../activities/quotes';
import type { MarketSnapshot } from '../../../activities/types';
import { simulatePath, specConfig } from '../../../backtest/engine';
import { serializeLadder } from '../../../domain/strategies/serialize';
import { formatDecimal } from '../../../domain/money';
import { liveSpec } from './fixtures';

// Both the live activity and the backtester must reach the strategy through this one function.
vi.mock('../../../domain/quote-cycle', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../domain/quote-cycle')>();
  return { ...original, quoteLadder: vi.fn(original.quoteLadder) };
});

const quoteLadder = vi.mocked(quoteCycle.quoteLadder);

describe('live and backtest quote with one strategy function', () => {
  it('routes both through domain/quote-cycle quoteLadder, and the same market gives the same ladder', () => {
    // The decimal engine; the fast one is proven equal to it (fast-engine.test.ts).
    const spec = liveSpec({ config: { strategy: { kind: 'glft' } }, steps: 3, engine: 'exact' });
    quoteLadder.mockClear();
    simulatePath(spec, 0);
    expect(quoteLadder).toHaveBeenCalledTimes(3);
    const [market, cfg] = quoteLadder.mock.calls[0]!;
    const backtestLadder = serializeLadder(
      quoteLadder.mock.results[0]!.value as ReturnType<typeof quoteCycle.quoteLadder>,
    );
    expect(cfg).toEqual(specConfig(spec));

    // The live activity, handed a snapshot of that same market, quotes through the same function
    // and gets the same ladder.
    const snapshot = {
      mid: formatDecimal(market.mid),
      reserveBase: formatDecimal(market.reserveBase),
      reserveQuote: formatDecimal(market.reserveQuote),
      spreadBps: formatDecimal(market.spreadBps),
      volatility: market.volatility,
      bestBid: null,
      bestAsk: null,
      tickSize: formatDecimal(market.tickSize),
      lotSize: formatDecimal(market.lotSize),
      minSize: formatDecimal(market.minSize),
      config: cfg,
    } as unknown as MarketSnapshot;
    quoteLadder.mockClear();
    const live = computeQuotes(snapshot);
    expect(quoteLadder).toHaveBeenCalledTimes(1);
    expect(live).toEqual(backtestLadder);
    expect(live.bids.length).toBeGreaterThan(0);
  });

  it('quotes through the fast quoter by default and through quoteLadder with the exact engine', () => {
    const spec = liveSpec({ config: { strategy: { kind: 'glft' } }, steps: 3 });
    quoteLadder.mockClear();
    simulatePath(spec, 0);
    expect(quoteLadder).not.toHaveBeenCalled();
    simulatePath({ ...spec, engine: 'exact' }, 0);
    expect(quoteLadder).toHaveBeenCalledTimes(3);
  });
});
