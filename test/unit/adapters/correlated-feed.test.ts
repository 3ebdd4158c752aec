import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CorrelatedGbmMarket,
  choleskyFactor,
  roundToTick,
  type CorrelatedGbmOptions,
} from '../../../adapters/price-feed/correlated';
import { SECONDS_PER_YEAR } from '../../../adapters/price-feed/simulated-gbm';
import { DomainValidationError } from '../../../domain/errors';
import { Big, divideAt, isOnGrid } from '../../../domain/money';
import { examplePairRegistry } from '../../../domain/pairs';

function manualClock(startMs = 1_700_000_000_000) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const registry = examplePairRegistry();
const tick = (pair: string) => registry.get(pair).tickSize.toFixed();
const correlation = [
  [1, 0.8, 0.6],
  [0.8, 1, 0.7],
  [0.6, 0.7, 1],
];
const options = (clock: () => number): CorrelatedGbmOptions => ({
  seed: 2024,
  numeraire: 'USDC',
  legs: [
    { asset: 'BTC', initialPrice: '60000', volatility: 0.6, tickSize: tick('BTC/USDC') },
    { asset: 'ETH', initialPrice: '2000', volatility: 0.8, tickSize: tick('ETH/USDC') },
    { asset: 'SOL', initialPrice: '150', volatility: 1.1, tickSize: tick('SOL/USDC') },
  ],
  correlation,
  crosses: [{ base: 'ETH', quote: 'BTC', tickSize: tick('ETH/BTC') }],
  stepMs: 60_000,
  clock,
});

/** Polls every feed once per step for `steps` steps: prices[pair][step]. */
async function record(steps: number, stepsPerPoll = 1) {
  const clock = manualClock();
  const market = new CorrelatedGbmMarket(options(clock.now));
  const feeds = market.feeds();
  const out = new Map<string, string[]>(feeds.map((f) => [f.name, []]));
  for (let i = 0; i <= steps; i++) {
    for (const f of feeds) {
      const t = await f.next();
      if (t === null) throw new Error(`${f.name}: no tick at step ${i}`);
      out.get(f.name)!.push(t.price);
    }
    clock.advance(60_000 * stepsPerPoll);
  }
  return out;
}

function logReturns(prices: string[]): number[] {
  const r: number[] = [];
  for (let i = 1; i < prices.length; i++) r.push(Math.log(Number(prices[i]) / Number(prices[i - 1])));
  return r;
}

function corr(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('CorrelatedGbmMarket', () => {
  it('the sample correlation of log returns matches the matrix within 0.02 over 20,000 steps (seed 2024)', async () => {
    const prices = await record(20_000);
    const names = ['BTC-USDC-SIM', 'ETH-USDC-SIM', 'SOL-USDC-SIM'];
    const returns = names.map((n) => logReturns(prices.get(n)!));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < i; j++) {
        expect(
          Math.abs(corr(returns[i]!, returns[j]!) - correlation[i]![j]!),
          `${names[i]} x ${names[j]}`,
        ).toBeLessThan(0.02);
      }
    }
    // Each leg keeps its own volatility (annualised, 1-minute steps).
    [0.6, 0.8, 1.1].forEach((sigma, i) => {
      const r = returns[i]!;
      const mean = r.reduce((s, x) => s + x, 0) / r.length;
      const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / (r.length - 1));
      expect(Math.abs(sd / Math.sqrt(60 / SECONDS_PER_YEAR) / sigma - 1)).toBeLessThan(0.03);
    });
  }, 60_000);

  it('every cross rate is its legs ratio rounded to its tick, at every tick, and every price is on its grid', async () => {
    const prices = await record(2_000, 7);
    const eth = prices.get('ETH-USDC-SIM')!;
    const btc = prices.get('BTC-USDC-SIM')!;
    const cross = prices.get('ETH-BTC-SIM')!;
    const crossTick = registry.get('ETH/BTC').tickSize;
    cross.forEach((p, i) => {
      const expected = roundToTick(
        divideAt(new Big(eth[i]!), new Big(btc[i]!), 40, Big.roundHalfEven),
        crossTick,
      );
      expect(p).toBe(expected.toFixed());
    });
    for (const [name, series] of prices) {
      const pair = registry.get(name.replace(/-SIM$/, '').replace('-', '/'));
      for (const p of series) expect(isOnGrid(new Big(p), pair.tickSize), `${name} ${p}`).toBe(true);
    }
    expect(cross[0]).toBe('0.033333');
  });

  it('feeds share one path: each emits a step once, null until the next step, on the step grid', async () => {
    const clock = manualClock(1_000_000);
    const market = new CorrelatedGbmMarket(options(clock.now));
    const [btc, eth] = market.feeds();
    expect(await btc!.next()).toEqual({ feed: 'BTC-USDC-SIM', price: '60000', observedAtMs: 1_000_000 });
    expect(await btc!.next()).toBeNull();
    clock.advance(150_000);
    const b1 = await btc!.next();
    expect(b1?.observedAtMs).toBe(1_120_000);
    // ETH has not been polled since the start: it gets the current step, the one BTC saw.
    const e1 = await eth!.next();
    expect(e1?.observedAtMs).toBe(1_120_000);
    expect(market.snapshot().prices.get('ETH/USDC')!.toFixed()).toBe(e1!.price);
    expect(await eth!.next()).toBeNull();
  });

  it('the same seed gives the same series', async () => {
    const a = await record(200);
    const b = await record(200);
    expect(a).toEqual(b);
  });

  it('refuses a matrix that is not a correlation matrix, saying why', () => {
    const clock = manualClock();
    const withMatrix = (m: number[][]) => () =>
      new CorrelatedGbmMarket({ ...options(clock.now), correlation: m });
    expect(
      withMatrix([
        [1, 0.9, 0.9],
        [0.9, 1, 0.9],
        [0.9, 0.9, 1],
      ]),
    ).not.toThrow();
    expect(
      withMatrix([
        [1, 0.9, -0.9],
        [0.9, 1, 0.9],
        [-0.9, 0.9, 1],
      ]),
    ).toThrow(/correlation is not positive definite: SOL's returns/);
    expect(
      withMatrix([
        [1, 0.5, 0],
        [0.4, 1, 0],
        [0, 0, 1],
      ]),
    ).toThrow(/must be symmetric: \[1\]\[0\] is 0.4 but \[0\]\[1\] is 0.5 \(ETH, BTC\)/);
    expect(
      withMatrix([
        [0.9, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ).toThrow(/\[0\]\[0\] \(BTC with itself\) must be 1/);
    expect(
      withMatrix([
        [1, 1, 0],
        [1, 1, 0],
        [0, 0, 1],
      ]),
    ).toThrow(/not positive definite: ETH/);
    expect(
      withMatrix([
        [1, 0],
        [0, 1],
      ]),
    ).toThrow(/correlation must be 3 x 3, one row and column per leg \(BTC, ETH, SOL\)/);
    expect(
      withMatrix([
        [1, 2, 0],
        [2, 1, 0],
        [0, 0, 1],
      ]),
    ).toThrow(/from -1 to 1, got 2/);
    expect(
      withMatrix([
        [1, 0, 0],
        [0, 1],
        [0, 0, 1],
      ]),
    ).toThrow(DomainValidationError);
  });

  it('refuses a cross without legs and a leg for the numeraire', () => {
    const clock = manualClock();
    expect(
      () =>
        new CorrelatedGbmMarket({
          ...options(clock.now),
          crosses: [{ base: 'ETH', quote: 'DOGE', tickSize: '0.1' }],
        }),
    ).toThrow(/crosses\[0\]\.quote "DOGE" has no leg/);
    const legs = options(clock.now).legs;
    expect(
      () =>
        new CorrelatedGbmMarket({
          ...options(clock.now),
          legs: [...legs.slice(0, 2), { ...legs[2]!, asset: 'USDC' }],
        }),
    ).toThrow(/is the numeraire/);
    expect(() => new CorrelatedGbmMarket(options(clock.now)).feed('SOL/BTC')).toThrow(
      /its pairs: BTC\/USDC, ETH\/USDC, SOL\/USDC, ETH\/BTC/,
    );
  });
});

describe('choleskyFactor', () => {
  it('L Lᵀ gives back any correlation matrix built from random vectors', () => {
    const vectors = fc
      .integer({ min: 1, max: 6 })
      .chain((n) =>
        fc.array(
          fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n + 2, maxLength: n + 2 }),
          { minLength: n, maxLength: n },
        ),
      );
    fc.assert(
      fc.property(vectors, (vs) => {
        // Normalised vectors with a common jitter: their Gram matrix is a positive definite correlation matrix.
        const norm = vs.map((v, i) => {
          const w = v.map((x, k) => x + (k === i ? 1 : 0));
          const len = Math.hypot(...w);
          return w.map((x) => x / len);
        });
        const m = norm.map((a) => norm.map((b) => a.reduce((s, x, k) => s + x * b[k]!, 0)));
        for (let i = 0; i < m.length; i++) m[i]![i] = 1;
        let L: number[][];
        try {
          L = choleskyFactor(m);
        } catch (e) {
          // Nearly dependent vectors are refused, and only for that reason.
          expect((e as Error).message).toMatch(/not positive definite/);
          return;
        }
        for (let i = 0; i < m.length; i++) {
          for (let j = 0; j < m.length; j++) {
            const v = L[i]!.reduce((s, x, k) => s + x * L[j]![k]!, 0);
            expect(Math.abs(v - m[i]![j]!)).toBeLessThan(1e-9);
          }
        }
      }),
    );
  });
});
