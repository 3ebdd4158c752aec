import { describe, expect, it } from 'vitest';
import { HELP, parseRunArgs, UsageError } from '../../../cli/options';
import { formatDeskReport, formatPortfolioLine } from '../../../cli/desk-portfolio';
import { quoteDecimals, type PoolReportData } from '../../../cli/report';
import { Big, computePortfolio, type PortfolioInput } from '../../../domain';

describe('npm start -- --pairs (the multi-pair desk options)', () => {
  it('reads the pairs, each once, and keeps the single-pair demo when absent', () => {
    const o = parseRunArgs(['--pairs', 'BTC/USDC, ETH/USDC,SOL/USDC,ETH/BTC', '--pools', '2']);
    expect(o).toMatchObject({ pairs: ['BTC/USDC', 'ETH/USDC', 'SOL/USDC', 'ETH/BTC'], pools: 2 });
    const plain = parseRunArgs([]);
    expect(plain).not.toHaveProperty('pairs');
    expect(plain).toMatchObject({ pools: 1, feed: { kind: 'sim' } });
  });

  it('refuses what it cannot run, saying what to do', () => {
    const err = (args: string[]) => {
      try {
        parseRunArgs(args);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${args.join(' ')}`);
    };
    expect(err(['--pairs', 'DOGE/USDC'])).toMatch(/not a known pair; known pairs: BTC\/USDC/);
    expect(err(['--pairs', 'ETH/USDC,ETH/USDC'])).toMatch(/listed twice/);
    expect(err(['--pairs', 'ETH/USDC', '--feed', 'csv:x.csv'])).toMatch(/drop --feed/);
    expect(err(['--correlation', '0.5'])).toMatch(/only with --pairs/);
    expect(err(['--pairs', 'ETH/USDC', '--correlation', '1'])).toMatch(/between -1 and 1/);
    expect(err(['--pairs', 'BTC/USDC,ETH/USDC,SOL/USDC,ETH/BTC', '--pools', '13'])).toMatch(/at most 50/);
    expect(parseRunArgs(['--pairs', 'ETH/BTC', '--correlation', '0.3'])).toMatchObject({ correlation: 0.3 });
  });

  it('documents --pairs in --help with the known pairs and the default correlations', () => {
    expect(HELP).toContain('--pairs BTC/USDC,ETH/USDC,SOL/USDC,ETH/BTC');
    expect(HELP).toContain('known pairs: BTC/USDC, ETH/USDC, SOL/USDC, ETH/BTC');
    expect(HELP).toContain('BTC/ETH 0.8');
  });
});

describe('the desk portfolio lines', () => {
  // An ETH/USDC pool that bought 1 ETH beyond its 50% target, and an ETH/BTC pool that sold 1 ETH.
  const input: PortfolioInput = {
    numeraire: 'USDC',
    prices: [
      { pair: 'ETH/USDC', price: new Big(2000) },
      { pair: 'BTC/USDC', price: new Big(60000) },
      { pair: 'ETH/BTC', price: new Big('0.033333') },
    ],
    pools: [
      {
        poolId: 'desk-eth-usdc-1',
        pair: 'ETH/USDC',
        reserveBase: new Big(26),
        reserveQuote: new Big(48000),
        initialBase: new Big(25),
        initialQuote: new Big(50000),
        target: { kind: 'share', share: new Big('0.5') },
      },
      {
        poolId: 'desk-eth-btc-1',
        pair: 'ETH/BTC',
        reserveBase: new Big(24),
        reserveQuote: new Big('0.833333'),
        initialBase: new Big(25),
        initialQuote: new Big('0.8'),
        target: { kind: 'share', share: new Big('0.5') },
      },
    ],
  };

  it('the live line shows the net exposure per asset in USDC and the P&L', () => {
    const line = formatPortfolioLine(computePortfolio(input));
    expect(line).toMatch(
      /^desk: net exposure BTC [-+][\d.]+ \([-+][\d.]+\), ETH [-+][\d.]+ \([-+][\d.]+\) USDC; value [\d.]+, P&L [-+][\d.]+ USDC$/,
    );
    expect(line).not.toContain('USDC -'); // the numeraire's own exposure is not listed as an asset
  });

  it('the end report lists each asset with its valuation path, and a history across pools and pairs', () => {
    const side = (count: number, base: string, quote: string) => ({ count, base, quote });
    const reports = [
      { poolId: 'desk-eth-usdc-1', poolBought: side(3, '1', '1990'), poolSold: side(0, '0', '0') },
      { poolId: 'desk-eth-btc-1', poolBought: side(0, '0', '0'), poolSold: side(2, '1', '0.0334') },
    ] as unknown as PoolReportData[];
    const text = formatDeskReport(input, reports);
    expect(text).toMatch(/ETH +net +\+[\d.]+ +worth/);
    expect(text).toContain('(via BTC/USDC)');
    expect(text).toContain('History across pools and pairs');
    expect(text).toContain('desk-eth-btc-1 (ETH/BTC)');
    expect(text).toContain('trades: 0 buys, 2 sells');
    expect(text).toMatch(/ETH\/BTC: 1 pool\(s\), 2 trades/);
    expect(text).toMatch(/desk: 5 trades, P&L/);
  });
});

describe('the per-pool report at a cross price', () => {
  it('prints quote amounts of a 0.033 pair with six decimals and keeps cents for USDC pairs', () => {
    expect(quoteDecimals('0.033445')).toBe(6);
    expect(quoteDecimals('148.5')).toBe(2);
    expect(quoteDecimals('60000')).toBe(2);
  });
});
