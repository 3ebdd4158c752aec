import { describe, expect, it } from 'vitest';
import {
  backtestMarkdown,
  referenceParams,
  referenceSimulation,
  referenceSimulationSegmented,
  runBacktestBench,
} from '../../../bench/backtest';
import type { LabRunner } from '../../../backtest/run-spec';
import type { PathSummary } from '../../../backtest/types';
import { scenarioByName } from '../../../backtest/scenarios';

describe('backtest benchmark', () => {
  const params = referenceParams(scenarioByName('calm').build({ steps: 100, paths: 1, seed: 1 }));

  it("takes the reference's market from the calm scenario", () => {
    expect(params).toMatchObject({
      s0: 2000,
      volatility: 0.6,
      dtSeconds: 1,
      A: 0.2,
      kPerBps: 0.05,
      tick: 0.01,
      levels: 3,
      latencySeconds: 0.1,
    });
  });

  it('models the latency as two segments a step that trade the same market at the same intensity', () => {
    const a = referenceSimulationSegmented(params, 4, 2000, 5);
    expect(referenceSimulationSegmented(params, 4, 2000, 5)).toEqual(a);
    // The resting time per step is still dt, split in two: about the fills of the plain reference.
    const perStep = a.fills / 8000;
    expect(perStep).toBeGreaterThan(0.2);
    expect(perStep).toBeLessThan(0.45);
    expect(a).not.toEqual(referenceSimulation(params, 4, 2000, 5));
    expect(() => referenceSimulationSegmented({ ...params, latencySeconds: 1 }, 1, 10, 1)).toThrow(
      /a decision must land within its step/,
    );
  });

  it('runs a reproducible reference that trades at the intensity its quotes imply', () => {
    const a = referenceSimulation(params, 4, 2000, 5);
    expect(referenceSimulation(params, 4, 2000, 5)).toEqual(a);
    // Three levels a side, each filling at A e^(-k d) with d ~ 17, 27, 37 bps: ~0.3 fills a step.
    const perStep = a.fills / 8000;
    expect(perStep).toBeGreaterThan(0.2);
    expect(perStep).toBeLessThan(0.45);
  });

  it('tells a miss without exponentials only where the draw cannot fill: the same paths either way', () => {
    for (const latencySeconds of [0, 0.1]) {
      const p = { ...params, latencySeconds };
      expect(referenceSimulationSegmented(p, 3, 3000, 11, true)).toEqual(
        referenceSimulationSegmented(p, 3, 3000, 11, false),
      );
    }
  });

  it('is, without latency, the market of the plain reference draw for draw', () => {
    const p = { ...params, latencySeconds: 0 };
    expect(referenceSimulationSegmented(p, 3, 3000, 11)).toEqual(referenceSimulation(p, 3, 3000, 11));
  });

  it('reports each strategy through the runner beside the reference, as a ratio of the same run', async () => {
    const specs: string[] = [];
    const latencies: number[] = [];
    const runner: LabRunner = {
      async run(spec) {
        specs.push(spec.name);
        if (spec.engine !== 'exact') latencies.push(spec.latencyMs);
        return Array.from({ length: spec.paths }, (_, path) => ({
          path,
          pnl: 0,
          fees: 0,
          finalInventory: 0,
          maxDrawdown: 0,
          fills: spec.steps,
          volume: 0,
          adverseSelection: 0,
          stops: [],
          meanSpread: 0,
          meanSpreadBps: 0,
          haltedSteps: 0,
          hedges: 0,
        })) as PathSummary[];
      },
      series: async () => [],
      close: async () => {},
    };
    const r = await runBacktestBench({ paths: 1, steps: 50, repeats: 1, runner });
    expect(r.engine.map((e) => e.strategy)).toEqual(['rule_based', 'avellaneda_stoikov', 'glft']);
    expect(r.latency.engine.map((e) => e.strategy)).toEqual(['rule_based', 'avellaneda_stoikov', 'glft']);
    // Without latency beside the reference without latency; the scenario's 100 ms beside its model.
    expect(new Set(latencies)).toEqual(new Set([0, 100]));
    expect(r.latency.latencyMs).toBe(100);
    for (const e of r.latency.engine) {
      expect(e.ratio).toBeCloseTo(e.stepsPerSecond / r.latency.reference.stepsPerSecond, 12);
      expect(e.ratioBounded).toBeCloseTo(e.stepsPerSecond / r.latency.bounded.stepsPerSecond, 12);
    }
    expect(new Set(specs)).toEqual(new Set(['calm/rule_based', 'calm/avellaneda_stoikov', 'calm/glft']));
    for (const e of r.engine) {
      expect(e.ratio).toBeCloseTo(e.stepsPerSecond / r.reference.stepsPerSecond, 12);
      expect(e.fillsPerStep).toBe(1);
    }
    expect(r.engineProblem).toBeNull();
    expect(r.loadAverageAtStart).toHaveLength(3);
    const md = backtestMarkdown(r).join('\n');
    expect(md).toContain('| engine, no latency: glft |');
    expect(md).toContain('| engine, latency 100 ms: glft |');
    expect(md).toContain('| reference, latency 100 ms:');
    // The decimal engine beside them, from the same run.
    expect(r.exact.map((e) => e.strategy)).toEqual(['rule_based', 'avellaneda_stoikov', 'glft']);
    expect(md).toContain('| decimal engine (--exact), latency 100 ms: glft |');
    expect(md).toContain('target 40%');
  });
});
