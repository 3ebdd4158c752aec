import { describe, expect, it } from 'vitest';
import { simulatePath } from '../../../backtest/engine';
import { meanEstimate, PAPER_GAMMAS, paperRow, paperSpec, stdEstimate } from '../../../backtest/paper';

describe('Avellaneda-Stoikov 2008 reproduction', () => {
  const PATHS = 40;
  const run = (gamma: number, strategy: 'inventory' | 'symmetric') => {
    const spec = paperSpec(gamma, strategy, { paths: PATHS, seed: 11 });
    return Array.from({ length: PATHS }, (_, p) => simulatePath(spec, p).summary);
  };

  it.each(PAPER_GAMMAS)(
    'keeps the inventory strategy’s final q far tighter than the symmetric one’s (gamma %s)',
    (gamma) => {
      const inventory = paperRow(gamma, 'inventory', run(gamma, 'inventory'));
      const symmetric = paperRow(gamma, 'symmetric', run(gamma, 'symmetric'));
      expect(inventory.ours.stdFinalQ.value).toBeLessThan(0.75 * symmetric.ours.stdFinalQ.value);
      expect(inventory.ours.stdProfit.value).toBeLessThan(symmetric.ours.stdProfit.value);
      // Same code, same average spread: the symmetric strategy is the inventory one told q = 0
      // with T - t frozen at its session average.
      expect(symmetric.ours.spread.value).toBeCloseTo(inventory.ours.spread.value, 6);
    },
    60_000,
  );

  it('quotes the closed-form spread gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k): counting down for the inventory strategy, its session average for the symmetric one', () => {
    const gamma = 0.1;
    const spread = (t: number) => gamma * 4 * (1 - t) + (2 / gamma) * Math.log(1 + gamma / 1.5);
    const inventory = paperSpec(gamma, 'inventory', { paths: 1 });
    const counting = simulatePath(inventory, 0, { seriesPoints: inventory.steps }).series!;
    let sum = 0;
    for (let i = 0; i < inventory.steps; i++) {
      // The spread does not depend on q: only its centre moves with the inventory.
      expect(counting.ask[i]! - counting.bid[i]!).toBeCloseTo(spread(counting.t[i]!), 6);
      sum += spread(counting.t[i]!);
    }
    const symmetric = simulatePath(paperSpec(gamma, 'symmetric', { paths: 1 }), 0, {
      seriesPoints: inventory.steps,
    }).series!;
    for (const i of [0, 100, 199]) {
      expect(symmetric.ask[i]! - symmetric.bid[i]!).toBeCloseTo(sum / inventory.steps, 6);
      expect((symmetric.ask[i]! + symmetric.bid[i]!) / 2).toBeCloseTo(symmetric.mid[i]!, 6);
    }
  });

  it('estimates standard errors as Monte-Carlo theory says for a normal sample', () => {
    // For n normal draws the mean's se is s / sqrt(n) and the std's about s / sqrt(2n).
    const xs = Array.from(
      { length: 4000 },
      (_, i) => Math.sqrt(-2 * Math.log((i + 0.5) / 4000)) * Math.cos(2.399963 * i),
    );
    const m = meanEstimate(xs);
    const s = stdEstimate(xs);
    expect(m.se).toBeCloseTo(s.value / Math.sqrt(4000), 6);
    expect(s.se / (s.value / Math.sqrt(2 * 4000))).toBeGreaterThan(0.8);
    expect(s.se / (s.value / Math.sqrt(2 * 4000))).toBeLessThan(1.25);
  });
});
