import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECONDS_PER_YEAR } from '../../../adapters/price-feed/simulated-gbm';
import { parsePoolConfig } from '../../../domain/config';
import {
  replayScenario,
  SCENARIO_NAMES,
  SCENARIOS,
  scenarioByName,
  STRATEGIES,
  STRATEGY_NAMES,
  withStrategy,
} from '../../../backtest/scenarios';

const opts = { steps: 3600, paths: 4, seed: 7 };

describe('scenario library', () => {
  it('has the issue scenarios and a calm baseline, each a JSON-safe spec every strategy can run', () => {
    expect(SCENARIO_NAMES).toEqual([
      'calm',
      'trend',
      'jump',
      'regime_switch',
      'thin_flow',
      'informed_flow',
      'cross_pair',
    ]);
    expect(STRATEGY_NAMES).toEqual(['rule_based', 'avellaneda_stoikov', 'glft']);
    for (const scenario of SCENARIOS) {
      const spec = scenario.build(opts);
      expect(spec).toMatchObject({ name: scenario.name, steps: 3600, paths: 4, seed: 7, dtSeconds: 1 });
      expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
      for (const name of STRATEGY_NAMES) {
        const full = withStrategy(spec, name, STRATEGIES[name]!);
        expect(full.name).toBe(`${scenario.name}/${name}`);
        expect(parsePoolConfig(full.config).strategy.kind).toBe(name);
      }
    }
  });

  it('changes one thing from the calm market per scenario', () => {
    const calm = scenarioByName('calm').build(opts);
    const trend = scenarioByName('trend').build(opts);
    // 3% over the run, whatever its length.
    if (trend.price.kind !== 'gbm') throw new Error('trend is a gbm');
    expect(Math.exp((trend.price.drift * opts.steps) / SECONDS_PER_YEAR)).toBeCloseTo(1.03, 12);
    const jump = scenarioByName('jump').build({ ...opts, steps: 600 });
    if (jump.price.kind !== 'jump') throw new Error('jump is a jump process');
    expect((jump.price.jumpsPerYear * 600) / SECONDS_PER_YEAR).toBeCloseTo(3, 12);
    expect(parsePoolConfig(jump.config).risk.maxLoss).toBe('1000');
    expect(scenarioByName('thin_flow').build(opts).flow.poisson!.A).toBeCloseTo(
      calm.flow.poisson!.A / 10,
      12,
    );
    expect(scenarioByName('informed_flow').build(opts).flow.informed).toBeDefined();
    expect(calm.flow.informed).toBeUndefined();
    expect(scenarioByName('regime_switch').build(opts).price.kind).toBe('regime_switch');
    // cross_pair changes the pair (its pool is the calm one in BTC: correlated-path.test.ts).
    for (const s of SCENARIOS.filter((x) => x.name !== 'cross_pair'))
      expect(s.build(opts).pool).toEqual(calm.pool);
  });

  it('refuses bad run sizes and unknown names with what is allowed', () => {
    expect(() => scenarioByName('crash')).toThrow(/unknown scenario "crash"; known: calm, trend/);
    expect(() => scenarioByName('calm').build({ ...opts, steps: 0 })).toThrow(
      /steps must be a whole number >= 1, got 0/,
    );
    expect(() => scenarioByName('calm').build({ ...opts, seed: -1 })).toThrow(
      /seed must be a whole number >= 0/,
    );
  });
});

describe('replay scenario', () => {
  it('replays a price file from its first price with the pool balanced at that price', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lab-replay-')), 'btc.csv');
    writeFileSync(file, 'price\n60000.5\n60010\n59990\n');
    const spec = replayScenario(file).build({ steps: 2, paths: 3, seed: 1 });
    expect(spec.price).toEqual({ kind: 'csv', file });
    expect(spec.pool).toMatchObject({ s0: '60000.5', initialBase: '25', initialQuote: '1500012.50' });
    expect(spec.flow).toEqual(scenarioByName('calm').build(opts).flow);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(scenarioByName('replay', file).name).toBe('replay');
    expect(() => scenarioByName('replay')).toThrow(
      /scenario replay needs a price file: add --prices <file\.csv>/,
    );
  });
});
