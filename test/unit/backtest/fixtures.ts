import type { BacktestSpec } from '../../../backtest/types';

/** A small live-like scenario: a pool of 50 base + 100,000 quote at 2000, one hour of 1 s steps cut short. */
export function liveSpec(overrides: Partial<BacktestSpec> = {}): BacktestSpec {
  return {
    name: 'test',
    config: { strategy: { kind: 'avellaneda_stoikov' } },
    pool: {
      s0: '2000',
      tickSize: '0.01',
      lotSize: '0.001',
      minSize: '0.001',
      initialBase: '50',
      initialQuote: '100000',
    },
    price: { kind: 'gbm', drift: 0, volatility: 0.8 },
    flow: { poisson: { A: 0.5, k: 0.1, kPer: 'bps' } },
    dtSeconds: 1,
    steps: 120,
    paths: 4,
    seed: 7,
    latencyMs: 0,
    makerFeeBps: 1,
    hedgeFeeBps: 10,
    markoutSeconds: 5,
    ...overrides,
  };
}
