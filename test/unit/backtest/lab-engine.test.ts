import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strategyMetrics } from '../../../backtest/metrics';
import { engineRunner, type LabRunner } from '../../../backtest/run-spec';
import { replayScenario, scenarioByName, STRATEGIES, withStrategy } from '../../../backtest/scenarios';

/*
 * The scenario library through the real engine: what each scenario is for shows in the results.
 * Small runs (one thread, a few paths of a few hundred steps); skipped in builds without the engine.
 */
const hasEngine = existsSync(new URL('../../../backtest/engine.ts', import.meta.url));

describe.skipIf(!hasEngine)('scenarios through the engine', () => {
  let runner: LabRunner;
  beforeAll(async () => {
    runner = await engineRunner({ threads: 1 });
  });
  afterAll(async () => {
    await runner?.close();
  });
  const spec = (scenario: string, strategy: string, steps: number, paths: number, seed = 3) =>
    withStrategy(scenarioByName(scenario).build({ steps, paths, seed }), strategy, STRATEGIES[strategy]!);

  it("draws the hold P&L's mids from the engine's own price path", async () => {
    const s = spec('regime_switch', 'rule_based', 120, 1);
    const [series] = await runner.series(s, [0], 120);
    const mids = runner.midPath!(s, 0);
    // The engine hands the live code 12-digit prices; the drawn path is the same to that precision.
    expect(series!.mid.length).toBeGreaterThan(100);
    series!.mid.forEach((m, i) => expect(Math.abs(m / mids[i]! - 1)).toBeLessThan(1e-11));
    const [summary] = await runner.run(s);
    expect((summary as { holdPnl?: number }).holdPnl).toBeCloseTo(25 * (mids[120]! - 2000), 6);
  });

  it('replays a price file: every path sees its prices, only the flow differs', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lab-replay-')), 'eth.csv');
    const prices = Array.from({ length: 301 }, (_, i) => (1800 + 5 * Math.sin(i / 20) + i / 100).toFixed(2));
    writeFileSync(file, `price\n${prices.join('\n')}\n`);
    const s = withStrategy(
      replayScenario(file).build({ steps: 300, paths: 3, seed: 1 }),
      'glft',
      STRATEGIES.glft!,
    );
    const summaries = (await runner.run(s)) as Array<{ holdPnl?: number; fills: number }>;
    for (const x of summaries) expect(x.holdPnl).toBeCloseTo(25 * (Number(prices[300]) - 1800), 6);
    expect(summaries.every((x) => x.fills > 0)).toBe(true);
  });

  it('a jump scenario with a max-loss limit stops quoting on some paths', async () => {
    const m = strategyMetrics(await runner.run(spec('jump', 'rule_based', 600, 6)), {
      strategy: 'rule_based',
      scenario: 'jump',
    });
    expect(m.stopped).toBeGreaterThan(0);
    expect(Object.keys(m.stopReasons)).toEqual(['max_loss']);
  });

  it('thin flow fills about a tenth as often as the calm market', async () => {
    const calm = await runner.run(spec('calm', 'rule_based', 600, 3));
    const thin = await runner.run(spec('thin_flow', 'rule_based', 600, 3));
    const fills = (xs: typeof calm) => xs.reduce((a, s) => a + s.fills, 0);
    expect(fills(thin)).toBeGreaterThan(0);
    expect(fills(thin) / fills(calm)).toBeLessThan(0.25);
  });

  it('informed flow picks off tight quotes: worse markout per fill than the calm market', async () => {
    const calm = strategyMetrics(await runner.run(spec('calm', 'avellaneda_stoikov', 600, 4)), {
      strategy: 'a',
      scenario: 'calm',
    });
    const informed = strategyMetrics(await runner.run(spec('informed_flow', 'avellaneda_stoikov', 600, 4)), {
      strategy: 'a',
      scenario: 'informed_flow',
    });
    expect(informed.meanFills).toBeGreaterThan(calm.meanFills);
    expect(informed.adverseSelectionPerFill).toBeLessThan(calm.adverseSelectionPerFill);
  });
});
