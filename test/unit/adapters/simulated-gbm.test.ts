import { describe, expect, it } from 'vitest';
import {
  mulberry32,
  normalSampler,
  SECONDS_PER_YEAR,
  SimulatedGbmFeed,
  type SimulatedGbmOptions,
} from '../../../adapters/price-feed/simulated-gbm';
import { DomainValidationError } from '../../../domain/errors';

function manualClock(startMs = 1_700_000_000_000) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function series(
  opts: Omit<SimulatedGbmOptions, 'clock'>,
  steps: number,
  stepsPerPoll = 1,
): Promise<{ price: string; observedAtMs: number }[]> {
  const clock = manualClock();
  const feed = new SimulatedGbmFeed({ ...opts, clock: clock.now });
  const out = [];
  for (let i = 0; i <= steps; i++) {
    const tick = await feed.next();
    if (tick === null) throw new Error(`no tick at poll ${i}`);
    out.push({ price: tick.price, observedAtMs: tick.observedAtMs });
    clock.advance(opts.stepMs * stepsPerPoll);
  }
  return out;
}

function annualisedVol(prices: string[], stepMs: number): number {
  const r: number[] = [];
  for (let i = 1; i < prices.length; i++) r.push(Math.log(Number(prices[i]) / Number(prices[i - 1])));
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1);
  return Math.sqrt(variance) / Math.sqrt(stepMs / 1000 / SECONDS_PER_YEAR);
}

const base = {
  name: 'sim-eth',
  seed: 42,
  initialPrice: '2000',
  volatility: 0.8,
  stepMs: 1000,
  decimals: 8,
} as const;

describe('SimulatedGbmFeed', () => {
  it('the same seed gives the same series; another seed gives a different one', async () => {
    const a = await series(base, 300);
    const b = await series(base, 300);
    const c = await series({ ...base, seed: 43 }, 300);
    expect(a).toEqual(b);
    expect(c.map((t) => t.price)).not.toEqual(a.map((t) => t.price));
    // Same seed means same timestamps too: the clock drives them, not wall time.
    expect(c.map((t) => t.observedAtMs)).toEqual(a.map((t) => t.observedAtMs));
  });

  it('starts at the initial price on the clock, emits null until a whole step has elapsed, and stays on the step grid', async () => {
    const clock = manualClock(1_000_000);
    const feed = new SimulatedGbmFeed({ ...base, initialPrice: '2000.123456789', clock: clock.now });
    expect(await feed.next()).toEqual({ feed: 'sim-eth', price: '2000.12345679', observedAtMs: 1_000_000 });
    clock.advance(999);
    expect(await feed.next()).toBeNull();
    clock.advance(1);
    expect((await feed.next())?.observedAtMs).toBe(1_001_000);
    clock.advance(3_500);
    expect((await feed.next())?.observedAtMs).toBe(1_004_000);
  });

  it('emits plain decimal strings with at most the configured decimals', async () => {
    const ticks = await series({ ...base, decimals: 2, volatility: 3 }, 200);
    for (const t of ticks) expect(t.price).toMatch(/^\d+(\.\d{1,2})?$/);
  });

  it('realised annualised volatility matches the configured one within 3% over 20000 steps', async () => {
    const ticks = await series(base, 20_000);
    expect(
      Math.abs(
        annualisedVol(
          ticks.map((t) => t.price),
          base.stepMs,
        ) /
          0.8 -
          1,
      ),
    ).toBeLessThan(0.03);
  });

  it('polling every 10 steps scales the per-poll volatility by sqrt(10)', async () => {
    const ticks = await series({ ...base, seed: 7 }, 5_000, 10);
    expect(
      Math.abs(
        annualisedVol(
          ticks.map((t) => t.price),
          base.stepMs * 10,
        ) /
          0.8 -
          1,
      ),
    ).toBeLessThan(0.04);
  });

  it('per-second basis: sigma is the standard deviation of one-second log returns', async () => {
    const ticks = await series({ ...base, timeBasis: 'second', volatility: 0.001 }, 10_000);
    const perSecond =
      annualisedVol(
        ticks.map((t) => t.price),
        1000,
      ) * Math.sqrt(1 / SECONDS_PER_YEAR);
    expect(Math.abs(perSecond / 0.001 - 1)).toBeLessThan(0.04);
  });

  it('setVolatilityMultiplier spikes volatility from the next step on', async () => {
    const clock = manualClock();
    const feed = new SimulatedGbmFeed({ ...base, clock: clock.now });
    const calm: string[] = [];
    const spiked: string[] = [];
    for (let i = 0; i < 5_000; i++, clock.advance(1000)) calm.push((await feed.next())!.price);
    feed.setVolatilityMultiplier(3);
    expect(feed.currentVolatility()).toBeCloseTo(2.4, 12);
    spiked.push(calm[calm.length - 1]!);
    for (let i = 0; i < 5_000; i++, clock.advance(1000)) spiked.push((await feed.next())!.price);
    expect(Math.abs(annualisedVol(calm, 1000) / 0.8 - 1)).toBeLessThan(0.05);
    expect(Math.abs(annualisedVol(spiked, 1000) / 2.4 - 1)).toBeLessThan(0.05);
    expect(() => feed.setVolatilityMultiplier(-1)).toThrow(
      /volatilityMultiplier must be a finite number >= 0/,
    );
  });

  it('a scheduled regime applies its jump and volatility at the first step at or after its time', async () => {
    const clock = manualClock(0);
    const feed = new SimulatedGbmFeed({
      ...base,
      initialPrice: '100',
      volatility: 0,
      decimals: 4,
      clock: clock.now,
      regimes: [{ atElapsedMs: 2_500, jumpFraction: -0.1, volatilityMultiplier: 5 }],
    });
    expect((await feed.next())!.price).toBe('100');
    clock.advance(2_000);
    expect((await feed.next())!.price).toBe('100');
    expect(feed.currentVolatility()).toBe(0);
    clock.advance(5_000);
    // Zero volatility and drift: the only move is the 10% drop.
    expect(await feed.next()).toEqual({ feed: 'sim-eth', price: '90', observedAtMs: 7_000 });
  });

  it('a scheduled volatility multiplier changes the realised volatility', async () => {
    const clock = manualClock(0);
    const feed = new SimulatedGbmFeed({
      ...base,
      clock: clock.now,
      regimes: [{ atElapsedMs: 4_000_000, volatilityMultiplier: 0.25 }],
    });
    const before: string[] = [];
    const after: string[] = [];
    for (let i = 0; i <= 4_000; i++, clock.advance(1000)) before.push((await feed.next())!.price);
    after.push(before[before.length - 1]!);
    for (let i = 0; i < 4_000; i++, clock.advance(1000)) after.push((await feed.next())!.price);
    expect(Math.abs(annualisedVol(before, 1000) / 0.8 - 1)).toBeLessThan(0.06);
    expect(Math.abs(annualisedVol(after, 1000) / 0.2 - 1)).toBeLessThan(0.06);
  });

  it('refuses bad configuration with the field named', () => {
    expect(() => new SimulatedGbmFeed({ ...base, initialPrice: '1e3' })).toThrow(DomainValidationError);
    expect(() => new SimulatedGbmFeed({ ...base, initialPrice: '0' })).toThrow(
      /initialPrice must not be zero/,
    );
    expect(() => new SimulatedGbmFeed({ ...base, stepMs: 0 })).toThrow(/stepMs must be an integer from 1/);
    expect(() => new SimulatedGbmFeed({ ...base, volatility: Number.NaN })).toThrow(
      /volatility must be a finite number >= 0, got NaN/,
    );
    expect(() => new SimulatedGbmFeed({ ...base, regimes: [{ atElapsedMs: 0, jumpFraction: -1 }] })).toThrow(
      /regimes\[0\]\.jumpFraction/,
    );
  });
});

describe('PRNG', () => {
  it('mulberry32 is reproducible and the normal sampler has mean 0 and variance 1', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    const z = normalSampler(mulberry32(99));
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = z();
      sum += x;
      sumSq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.015);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.02);
  });
});
