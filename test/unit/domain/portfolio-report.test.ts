import { describe, expect, it } from 'vitest';
import { Big } from '../../../domain/money';
import type { PoolPosition } from '../../../domain/portfolio';
import { historyReport, renderHistoryReport, type PoolTradeStats } from '../../../domain/portfolio-report';
import { expectFieldError } from './helpers';

const b = (s: string | number) => new Big(s);
const share = { kind: 'share', share: b('0.5') } as const;
const pools: PoolPosition[] = [
  // Sold 1 ETH to takers at 2,010 and bought 0.5 back at 1,995: ETH now 2,000.
  {
    poolId: 'eth-1',
    pair: 'ETH/USDC',
    initialBase: b(10),
    initialQuote: b(20_000),
    reserveBase: b('9.5'),
    reserveQuote: b('21012.5'),
    target: share,
  },
  {
    poolId: 'eth-2',
    pair: 'ETH/USDC',
    initialBase: b(5),
    initialQuote: b(10_000),
    reserveBase: b(5),
    reserveQuote: b(10_000),
    target: share,
  },
  // ETH/BTC at 0.035 while ETH is 2,000 and BTC 60,000 would not agree: the report values through the prices given.
  {
    poolId: 'eth-btc',
    pair: 'ETH/BTC',
    initialBase: b(10),
    initialQuote: b('0.3'),
    reserveBase: b(11),
    reserveQuote: b('0.27'),
    target: share,
  },
];
const prices = [
  { pair: 'ETH/USDC', price: b(2000) },
  { pair: 'BTC/USDC', price: b(60_000) },
  { pair: 'ETH/BTC', price: b('0.03') },
];
const stats: PoolTradeStats = {
  buys: 1,
  sells: 1,
  baseBought: b('0.5'),
  baseSold: b(1),
  quotePaid: b('997.5'),
  quoteReceived: b(2010),
  fees: b('1.5'),
};

describe('historyReport', () => {
  it('reports each pool, each pair and the desk in the numeraire', () => {
    const r = historyReport({ numeraire: 'USDC', prices, pools }, new Map([['eth-1', stats]]));
    expect(r.pools[0]).toEqual({
      poolId: 'eth-1',
      pair: 'ETH/USDC',
      start: { base: '10', quote: '20000' },
      current: { base: '9.5', quote: '21012.5' },
      trades: {
        buys: 1,
        sells: 1,
        volumeQuote: '3007.5',
        averageBuy: '1995',
        averageSell: '2010',
        fees: '1.5',
      },
      holdValue: '40000',
      currentValue: '40012.5',
      pnl: '12.5',
      returnPct: '0.0312',
    });
    expect(r.pools[1]!.trades).toBeNull();
    // The ETH/BTC pool: 11 ETH + 0.27 BTC = 22,000 + 16,200 = 38,200 against 20,000 + 18,000.
    expect(r.pairs).toEqual([
      {
        pair: 'ETH/BTC',
        pools: 1,
        holdValue: '38000',
        currentValue: '38200',
        pnl: '200',
        returnPct: '0.5263',
        trades: 0,
      },
      {
        pair: 'ETH/USDC',
        pools: 2,
        holdValue: '60000',
        currentValue: '60012.5',
        pnl: '12.5',
        returnPct: '0.0208',
        trades: 2,
      },
    ]);
    expect(r.desk).toEqual({
      holdValue: '98000',
      currentValue: '98212.5',
      pnl: '212.5',
      returnPct: '0.2168',
      trades: 2,
      deskHedgeValue: '0',
    });
  });

  it('renders a readable text block', () => {
    const text = renderHistoryReport(
      historyReport({ numeraire: 'USDC', prices, pools }, new Map([['eth-1', stats]])),
    );
    expect(text).toContain('eth-1 (ETH/USDC)\n  ETH: 10 -> 9.5    USDC: 20000 -> 21012.5\n');
    expect(text).toContain(
      'trades: 1 buys, 1 sells, volume 3007.5 USDC, average buy 1995, average sell 2010, fees 1.5 USDC',
    );
    expect(text).toContain('value: hold 40000 USDC, now 40012.5 USDC, P&L +12.5 USDC (+0.0312%)');
    expect(text).toContain('  ETH/BTC: 1 pool(s), 0 trades, P&L +200 USDC (+0.5263%) on 38000 USDC');
    expect(text).toContain(
      'desk: 2 trades, P&L +212.5 USDC (+0.2168%) on 98000 USDC; desk hedges worth 0 USDC',
    );
  });

  it('refuses trade statistics for a pool it does not know', () => {
    expectFieldError(
      () => historyReport({ numeraire: 'USDC', prices, pools }, new Map([['nope', stats]])),
      'trades',
      'pool "nope"',
    );
  });
});
