import { describe, expect, it } from 'vitest';
import { Big } from '../../../domain/money';
import { DEFAULT_NETTING_SCENARIO, runNettingScenario } from '../../../sim/netting-scenario';

describe('netting scenario (ten pools over four pairs)', () => {
  const options = { ...DEFAULT_NETTING_SCENARIO, seconds: 600 };

  it('netting sends less volume in fewer orders than per-pool hedging, and leaves the desk as flat', () => {
    const r = runNettingScenario(options);
    expect(r.rounds).toBe(10);
    expect(r.pools).toHaveLength(10);
    expect(new Set(r.pools.map((p) => p.pair)).size).toBe(4);
    expect(new Big(r.netted.volumeUsdc).lt(r.perPool.volumeUsdc)).toBe(true);
    // At most one order per hedged asset (BTC, ETH, SOL) per round.
    expect(r.netted.orders).toBeLessThanOrEqual(3 * r.rounds);
    expect(r.perPool.orders).toBeGreaterThan(r.netted.orders);
    // Both books hedge to within a lot: what is left is worth a few USDC at most (a BTC lot is 0.6).
    for (const book of [r.perPool, r.netted]) {
      for (const left of Object.values(book.finalExposureUsdc)) expect(new Big(left).lt(10)).toBe(true);
    }
  }, 60_000);

  it('is the same for the same seed, and flow common to a pair nets less than flow of its own', () => {
    expect(runNettingScenario(options)).toEqual(runNettingScenario(options));
    const idiosyncratic = runNettingScenario({ ...options, informedFlow: 0 });
    const common = runNettingScenario({ ...options, informedFlow: 100 });
    expect(new Big(idiosyncratic.ratio).lt(common.ratio)).toBe(true);
  }, 60_000);
});
