import { describe, expect, it } from 'vitest';
import { simulatePath } from '../../../backtest/engine';
import { meanEstimate, PAPER_GAMMAS, paperRow, paperSpec, stdEstimate } from '../../../backtest/paper';

describe('Avellaneda-Stoikov 2008 reproduction', () => {
  const PATHS = 60;
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
      // Same code, same spread: the symmetric strategy is the inventory one told q = 0.
      expect(symmetric.ours.spread.value).toBeCloseTo(inventory.ours.spread.value, 6);
    },
  );

  it('quotes the closed-form spread gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k), counting down', () => {
    const gamma = 0.1;
    const spec = paperSpec(gamma, 'symmetric', { paths: 1 });
    const run = simulatePath(spec, 0, { seriesPoints: spec.steps });
    const { bid, ask, t } = run.series!;
    for (const i of [0, 100, 199]) {
      const expected = gamma * 4 * (1 - t[i]!) + (2 / gamma) * Math.log(1 + gamma / 1.5);
      expect(ask[i]! - bid[i]!).toBeCloseTo(expected, 6);
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
