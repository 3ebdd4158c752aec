import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32, SECONDS_PER_YEAR } from '../../../adapters/price-feed/simulated-gbm';
import { simulatePath } from '../../../backtest/engine';
import { generatePath, knownRelativeVolatility } from '../../../backtest/paths';
import { pathRng } from '../../../backtest/rng';
import {
  correlatedPairVolatility,
  correlatedSimulation,
  type CorrelatedSpec,
} from '../../../backtest/scenario-paths';
import { scenarioByName, STRATEGIES, STRATEGY_NAMES, withStrategy } from '../../../backtest/scenarios';
import { parsePoolConfig } from '../../../domain/config';

const ETH_BTC = (rho: number, sa = 0.6, sb = 0.5): CorrelatedSpec => ({
  kind: 'correlated',
  numeraire: 'USDC',
  assets: [
    { asset: 'ETH', initialPrice: 2000, volatility: sa },
    { asset: 'BTC', initialPrice: 60000, volatility: sb },
  ],
  correlation: [
    [1, rho],
    [rho, 1],
  ],
  pair: 'ETH/BTC',
});

function logReturnVariance(path: Float64Array): { variance: number; se: number } {
  const n = path.length - 1;
  const x = Array.from({ length: n }, (_, i) => Math.log(path[i + 1]! / path[i]!));
  const mean = x.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m4 = 0;
  for (const v of x) {
    m2 += (v - mean) ** 2;
    m4 += (v - mean) ** 4;
  }
  m2 /= n;
  m4 /= n;
  return { variance: m2, se: Math.sqrt((m4 - m2 * m2) / n) };
}

describe('correlated price process (one pair of correlated legs)', () => {
  it('makes the cross its legs ratio at every step, from the legs initial prices', () => {
    const { prices, legs } = correlatedSimulation(ETH_BTC(0.8), mulberry32(11), 2000, 1, 2000 / 60000);
    expect(prices[0]).toBe(2000 / 60000);
    for (let i = 0; i < prices.length; i++) expect(prices[i]).toBe(legs.ETH![i]! / legs.BTC![i]!);
    // The legs really move (not a constant ratio).
    expect(new Set(prices).size).toBeGreaterThan(1000);
  });

  it('holds the ratio for any correlation, volatilities and seed (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -0.95, max: 0.95, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (rho, sa, sb, seed) => {
          const { prices, legs } = correlatedSimulation(
            ETH_BTC(rho, sa, sb),
            mulberry32(seed),
            50,
            60,
            2000 / 60000,
          );
          for (let i = 0; i < prices.length; i++) {
            if (prices[i] !== legs.ETH![i]! / legs.BTC![i]!) return false;
          }
          return true;
        },
      ),
      { numRuns: 50 },
    );
  });

  it('gives the cross the volatility sqrt(sa^2 + sb^2 - 2 rho sa sb) for a fixed seed', () => {
    const steps = 100_000;
    for (const rho of [0.8, -0.3]) {
      const spec = ETH_BTC(rho);
      const expected = Math.sqrt(0.6 ** 2 + 0.5 ** 2 - 2 * rho * 0.6 * 0.5);
      expect(correlatedPairVolatility(spec)).toBeCloseTo(expected, 12);
      const { variance, se } = logReturnVariance(
        correlatedSimulation(spec, mulberry32(2024), steps, 1, 2000 / 60000).prices,
      );
      const perStep = (expected * expected) / SECONDS_PER_YEAR;
      expect(Math.abs(variance - perStep)).toBeLessThan(4 * se);
      // About 1% on the volatility: a wrong rho (or independent legs) is far outside it.
      expect(Math.sqrt(variance / perStep)).toBeGreaterThan(0.98);
      expect(Math.sqrt(variance / perStep)).toBeLessThan(1.02);
    }
  });

  it('is a leg over the numeraire when the pair is quoted in it, with a uniform correlation', () => {
    const spec: CorrelatedSpec = { ...ETH_BTC(0), correlation: 0.8, pair: 'BTC/USDC' };
    const { prices, legs } = correlatedSimulation(spec, mulberry32(3), 100, 1, 60000);
    expect([...prices]).toEqual([...legs.BTC!]);
    expect(correlatedPairVolatility(spec)).toBe(0.5);
  });

  it('is deterministic per seed and drawn through the engine dispatch', () => {
    const spec = ETH_BTC(0.8);
    const a = generatePath(spec, pathRng(7, 0, 'price'), 300, 1, 0.033333);
    expect([...generatePath(spec, pathRng(7, 0, 'price'), 300, 1, 0.033333)]).toEqual([...a]);
    expect([...generatePath(spec, pathRng(7, 1, 'price'), 300, 1, 0.033333)]).not.toEqual([...a]);
    expect(knownRelativeVolatility(spec, 0.0333, 3600)).toBeCloseTo(
      correlatedPairVolatility(spec) * Math.sqrt(3600 / SECONDS_PER_YEAR),
      15,
    );
  });

  it('refuses a correlation matrix that is not positive definite, with what to do', () => {
    const spec: CorrelatedSpec = {
      ...ETH_BTC(0),
      assets: [...ETH_BTC(0).assets, { asset: 'SOL', initialPrice: 150, volatility: 0.8 }],
      correlation: [
        [1, 0.9, -0.9],
        [0.9, 1, 0.9],
        [-0.9, 0.9, 1],
      ],
    };
    expect(() => generatePath(spec, mulberry32(1), 10, 1, 0.033333)).toThrow(
      /correlation is not positive definite: SOL's returns are \(almost\) fully determined by the legs before it.*Lower the largest ones/,
    );
    expect(() => generatePath({ ...ETH_BTC(0), correlation: -1.5 }, mulberry32(1), 10, 1, 0.033333)).toThrow(
      /correlation \[0\]\[1\] \(ETH, BTC\) must be a number from -1 to 1, got -1.5/,
    );
  });

  it('refuses a pair without legs and a pool s0 off the legs ratio', () => {
    expect(() => generatePath({ ...ETH_BTC(0.8), pair: 'SOL/BTC' }, mulberry32(1), 10, 1, 0.001)).toThrow(
      /price\.pair must be two of the assets \(ETH, BTC\) or one over the numeraire USDC, got SOL\/BTC/,
    );
    expect(() => generatePath(ETH_BTC(0.8), mulberry32(1), 10, 1, 0.05)).toThrow(
      /price\.pair ETH\/BTC starts at its legs' ratio 0\.0333\d+ but the pool's s0 is 0\.05; set pool\.s0/,
    );
  });
});

describe('cross_pair scenario through the engine', () => {
  const scenario = scenarioByName('cross_pair').build({ steps: 300, paths: 3, seed: 5 });

  it('sizes the ETH/BTC pool as the calm one in USDC and starts at its legs ratio', () => {
    expect(scenario.pool).toMatchObject({ s0: '0.033333', tickSize: '0.000001', lotSize: '0.0001' });
    // 25 ETH and ~0.8333 BTC: the calm pool's 25 ETH + 50,000 USDC at 60,000 USDC per BTC.
    expect(Number(scenario.pool.initialBase)).toBeCloseTo(25, 2);
    expect(Number(scenario.pool.initialQuote)).toBeCloseTo(50000 / 60000, 4);
    const cfg = parsePoolConfig({ ...scenario.config, strategy: STRATEGIES.glft });
    expect(cfg.ladder.baseOrderSize).toBe('0.25');
    expect(Number(cfg.spreadPolicy.lowTvlThreshold)).toBeCloseTo(10000 / 60000, 6);
    expect(Number(cfg.risk.maxLoss)).toBeCloseTo(100000 / 60000, 6);
  });

  it.each(STRATEGY_NAMES)('%s quotes ETH/BTC within its min and max spread on every step', (name) => {
    const spec = withStrategy(scenario, name, STRATEGIES[name]!);
    const cfg = parsePoolConfig(spec.config);
    const min = Number(cfg.spreadPolicy.minSpreadBps);
    const max = Number(cfg.spreadPolicy.maxSpreadBps);
    let quoted = 0;
    let fills = 0;
    for (let p = 0; p < spec.paths; p++) {
      const { summary, series } = simulatePath(spec, p, { seriesPoints: spec.steps });
      fills += summary.fills;
      expect(summary.stops).toEqual([]);
      const mids = generatePath(spec.price, pathRng(spec.seed, p, 'price'), spec.steps, 1, 0.033333);
      // The engine's mids are the correlated path drawn from the path's own price stream.
      series!.mid.forEach((mid, i) => expect(mid).toBeCloseTo(mids[series!.t[i]!]!, 9));
      series!.bid.forEach((bid, i) => {
        const ask = series!.ask[i];
        if (bid === null || ask === null || ask === undefined) return;
        quoted++;
        const mid = series!.mid[i]!;
        const widthBps = ((ask - bid) / mid) * 10_000;
        // The book rests from the previous step's mid (latency), a move of a few hundredths of a bp.
        expect(widthBps).toBeGreaterThanOrEqual(min - 0.1);
        expect(widthBps).toBeLessThanOrEqual(max + 0.1);
        expect(bid).toBeLessThan(mid);
        expect(ask).toBeGreaterThan(mid);
      });
    }
    expect(quoted).toBeGreaterThan(spec.paths * spec.steps * 0.9);
    expect(fills).toBeGreaterThan(0);
  });
});
