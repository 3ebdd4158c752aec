import { describe, expect, it } from 'vitest';
import { computePortfolio, portfolioViewToJson } from '../../../domain/portfolio';
import { parsePortfolioInput } from '../../../domain/portfolio-input';
import {
  INITIAL_PORTFOLIO_RISK_STATE,
  evaluatePortfolioRisk,
  parsePortfolioLimits,
  parsePortfolioRiskState,
} from '../../../domain/portfolio-risk';
import { expectFieldError } from './helpers';

const json = {
  numeraire: 'USDC',
  prices: [
    { pair: 'ETH/BTC', price: '0.035' },
    { pair: 'BTC/USDC', price: '60000' },
  ],
  pools: [
    {
      poolId: 'eth-btc',
      pair: 'ETH/BTC',
      reserveBase: '12',
      reserveQuote: '0.28',
      initialBase: '10',
      initialQuote: '0.35',
      hedges: [{ pair: 'ETH/USDC', side: 'sell', baseAmount: '2', netQuoteAmount: '4190' }],
    },
  ],
};

describe('parsePortfolioInput', () => {
  it('reads decimal strings, defaults the target to the 50% share, and feeds computePortfolio', () => {
    const input = parsePortfolioInput(json);
    expect(input.pools[0]!.target).toEqual({ kind: 'share', share: expect.anything() });
    const view = portfolioViewToJson(computePortfolio(input));
    // Long 2 ETH against its 50% target, hedged by selling 2 ETH: only the BTC side is left.
    expect(view.exposure).toEqual([
      { asset: 'BTC', quantity: '-0.07', value: '-4200' },
      { asset: 'ETH', quantity: '0', value: '0' },
      { asset: 'USDC', quantity: '4190', value: '4190' },
    ]);
  });

  it('refuses numbers, bad decimals and unknown fields, naming the field', () => {
    expectFieldError(
      () => parsePortfolioInput({ ...json, prices: [{ pair: 'ETH/BTC', price: 0.035 }] }),
      'portfolio.prices.0.price',
      'got number 0.035',
    );
    expectFieldError(
      () => parsePortfolioInput({ ...json, prices: [{ pair: 'ETH/BTC', price: '0' }] }),
      'portfolio.prices.0.price',
      'must not be zero',
    );
    expectFieldError(
      () => parsePortfolioInput({ ...json, pools: [{ ...json.pools[0], reserveBase: '-1' }] }),
      'portfolio.pools.0.reserveBase',
      'must not be negative',
    );
    expectFieldError(
      () =>
        parsePortfolioInput({
          ...json,
          pools: [{ ...json.pools[0], target: { kind: 'share', share: '1.5e0' } }],
        }),
      'portfolio.pools.0.target.share',
    );
    expectFieldError(
      () => parsePortfolioInput({ ...json, pools: [{ ...json.pools[0], reserve: '1' }] }),
      'portfolio.pools.0.reserve',
      'not a known field',
    );
    expectFieldError(
      () =>
        parsePortfolioInput({
          ...json,
          deskHedges: [{ pair: 'ETH/USDC', side: 'short', baseAmount: '1', netQuoteAmount: '1' }],
        }),
      'portfolio.deskHedges.0.side',
      "'buy' or 'sell'",
    );
    expectFieldError(() => parsePortfolioInput([]), 'portfolio', 'JSON object');
    expectFieldError(
      () => parsePortfolioInput({ ...json, numeraire: 'US\u0000DC' }),
      'portfolio.numeraire',
      'NUL',
    );
  });
});

describe('parsePortfolioRiskState', () => {
  it('accepts what an evaluation returns, after a JSON round trip', () => {
    const view = computePortfolio(parsePortfolioInput(json));
    const e = evaluatePortfolioRisk(
      view,
      parsePortfolioLimits({ maxNetExposure: { BTC: '1000' }, maxDrawdown: '10' }),
      INITIAL_PORTFOLIO_RISK_STATE,
      5,
    );
    expect(e.state.breaches).toHaveLength(1);
    expect(parsePortfolioRiskState(JSON.parse(JSON.stringify(e.state)))).toEqual(e.state);
  });

  it('refuses a damaged state, naming the field', () => {
    const ok = { peakPnl: '12.5', breaches: [], poolActions: {}, stopped: [] };
    expect(parsePortfolioRiskState(ok)).toEqual(ok);
    expectFieldError(
      () => parsePortfolioRiskState({ ...ok, peakPnl: 12.5 }),
      'state.peakPnl',
      'got number 12.5',
    );
    expectFieldError(
      () => parsePortfolioRiskState({ ...ok, poolActions: { a: 'halt' } }),
      'state.poolActions.a',
    );
    expectFieldError(
      () =>
        parsePortfolioRiskState({
          ...ok,
          breaches: [{ key: 'loss', limit: 'maxTotalLoss', action: 'stop', sinceMs: null, pools: [] }],
        }),
      'state.breaches.0.sinceMs',
    );
    expectFieldError(() => parsePortfolioRiskState({ ...ok, extra: 1 }), 'state.extra', 'not a field');
  });
});
