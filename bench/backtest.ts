/**
 * Backtest speed: simulated steps per second for each strategy through the engine (the live
 * strategy, risk and post-processing code, one thread), beside a float-only reference simulation
 * of the same market written here, measured in the same run. The target: the engine at
 * least 40% of the reference's rate.
 *
 *   npx tsx bench/backtest.ts [--quick]      (or npm run bench -- --only backtest [--quick])
 *
 * The market is the scenario library's calm one (GBM mid at 2000, 60%/year, Poisson fills per
 * level with A per second and k per bps of mid, three levels of 0.25 / 0.175 / 0.1225 base, tick
 * 0.01). The reference does per step what a minimal float simulator of that market must: one GBM
 * draw, an incremental EWMA volatility, the Avellaneda-Stoikov formula inline with plain numbers,
 * tick rounding, one fill draw per level, balances, equity and drawdown. Nothing here asserts a
 * speed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32, SECONDS_PER_YEAR } from '../adapters/price-feed/simulated-gbm';
import { engineRunner, type LabRunner } from '../backtest/run-spec';
import {
  scenarioByName,
  STRATEGIES,
  STRATEGY_NAMES,
  withStrategy,
  type ScenarioSpec,
} from '../backtest/scenarios';
import { machineDescription } from './domain-quotes';
import { median } from './stats';

export const BACKTEST_TARGET_RATIO = 0.4;
/** Reference paths per engine path in a repeat: about the same timing window for both. */
const REFERENCE_PATH_FACTOR = 10;

export interface BacktestBenchRow {
  strategy: string;
  /** Median over repeats of (paths x steps) / seconds, one thread. */
  stepsPerSecond: number;
  stepsPerRepeat: number;
  repeats: number;
  /** Fills per simulated step: the engine and the reference should trade a similar market. */
  fillsPerStep: number;
  /** stepsPerSecond / the reference's, from the same run. */
  ratio: number;
}

export interface BacktestBenchResult {
  market: string;
  reference: Omit<BacktestBenchRow, 'ratio'> & { description: string };
  engine: BacktestBenchRow[];
  /**
   * The decimal engine (`engine: 'exact'`, the fast engine's reference) on a short run of the same
   * market, so the speed-up is measured in the same run too. Empty with `exact: false`.
   */
  exact: BacktestBenchRow[];
  /** Why there are no engine rows, when the engine is not in this build or failed. */
  engineProblem: string | null;
  target: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
}

export interface BacktestBenchOptions {
  quick?: boolean;
  /** Paths and steps per engine repeat (the reference runs 10x as many paths). */
  paths?: number;
  steps?: number;
  repeats?: number;
  /** Also time the decimal engine on one short path per strategy (default true). */
  exact?: boolean;
  /** Untimed engine runs of the repeat's size before timing, per strategy. */
  warmups?: number;
  runner?: LabRunner;
  log?: (line: string) => void;
}

interface ReferenceParams {
  s0: number;
  volatility: number;
  dtSeconds: number;
  A: number;
  kPerBps: number;
  tick: number;
  levels: number;
  spacingBps: number;
  baseSize: number;
  sizeDecay: number;
  initialBase: number;
  initialQuote: number;
  gamma: number;
  tauSeconds: number;
  ewmaLambda: number;
  horizonSeconds: number;
}

/** The reference's parameters from the scenario spec, so both simulate one market. */
export function referenceParams(spec: ScenarioSpec): ReferenceParams {
  if (spec.price.kind !== 'gbm') throw new Error(`the reference simulates GBM, got ${spec.price.kind}`);
  const poisson = spec.flow.poisson;
  if (!poisson || poisson.kPer !== 'bps') throw new Error('the reference needs Poisson flow with k per bps');
  const ladder = spec.config.ladder ?? {};
  return {
    s0: Number(spec.pool.s0),
    volatility: spec.price.volatility,
    dtSeconds: spec.dtSeconds,
    A: poisson.A,
    kPerBps: poisson.k,
    tick: Number(spec.pool.tickSize),
    levels: ladder.levels ?? 3,
    spacingBps: Number(ladder.levelSpacingBps ?? 10),
    baseSize: Number(ladder.baseOrderSize ?? 1),
    sizeDecay: ladder.sizeDecay ?? 0.7,
    initialBase: Number(spec.pool.initialBase),
    initialQuote: Number(spec.pool.initialQuote),
    gamma: 0.1,
    tauSeconds: 60,
    ewmaLambda: 0.94,
    horizonSeconds: 3600,
  };
}

/** The float-only reference; its sums are returned so the work cannot be optimised away. */
export function referenceSimulation(
  p: ReferenceParams,
  paths: number,
  steps: number,
  seed: number,
): { fills: number; pnlSum: number; drawdownSum: number } {
  const dtYears = p.dtSeconds / SECONDS_PER_YEAR;
  const drift = -0.5 * p.volatility * p.volatility * dtYears;
  const diffusion = p.volatility * Math.sqrt(dtYears);
  const sizes = Array.from({ length: p.levels }, (_, j) => p.baseSize * p.sizeDecay ** j);
  const toHorizon = Math.sqrt(p.horizonSeconds / p.dtSeconds);
  let fills = 0;
  let pnlSum = 0;
  let drawdownSum = 0;
  for (let path = 0; path < paths; path++) {
    const rng = mulberry32(seed + path * 7919);
    let mid = p.s0;
    let base = p.initialBase;
    let quote = p.initialQuote;
    const equity0 = quote + base * mid;
    let peak = equity0;
    let maxDrawdown = 0;
    let variance = diffusion * diffusion;
    for (let i = 0; i < steps; i++) {
      const equity = quote + base * mid;
      if (equity > peak) peak = equity;
      else if (peak - equity > maxDrawdown) maxDrawdown = peak - equity;
      // Avellaneda-Stoikov in plain numbers: q in order sizes from the value share's target.
      const sigma = (Math.sqrt(variance) * toHorizon * mid) / Math.sqrt(p.horizonSeconds);
      const q = (base - (0.5 * equity) / mid) / p.baseSize;
      const kPrice = (p.kPerBps * 10_000) / mid;
      const risk = p.gamma * sigma * sigma * p.tauSeconds;
      const reservation = mid - q * risk;
      const half = (risk + (2 / p.gamma) * Math.log(1 + p.gamma / kPrice)) / 2;
      const spacing = (mid * p.spacingBps) / 10_000;
      let bid = Math.floor((reservation - half) / p.tick) * p.tick;
      let ask = Math.ceil((reservation + half) / p.tick) * p.tick;
      if (bid >= mid) bid = Math.ceil(mid / p.tick - 1) * p.tick;
      if (ask <= mid) ask = Math.floor(mid / p.tick + 1) * p.tick;
      for (let j = 0; j < p.levels; j++) {
        const b = bid - j * spacing;
        const a = ask + j * spacing;
        const size = sizes[j]!;
        const lambdaBid = p.A * Math.exp((-p.kPerBps * (mid - b) * 10_000) / mid);
        if (rng() < 1 - Math.exp(-lambdaBid * p.dtSeconds) && quote >= b * size) {
          base += size;
          quote -= b * size;
          fills++;
        }
        const lambdaAsk = p.A * Math.exp((-p.kPerBps * (a - mid) * 10_000) / mid);
        if (rng() < 1 - Math.exp(-lambdaAsk * p.dtSeconds) && base >= size) {
          base -= size;
          quote += a * size;
          fills++;
        }
      }
      // Box-Muller, one variate per step.
      const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
      const r = drift + diffusion * z;
      mid *= Math.exp(r);
      variance = p.ewmaLambda * variance + (1 - p.ewmaLambda) * r * r;
    }
    pnlSum += quote + base * mid - equity0;
    drawdownSum += maxDrawdown;
  }
  return { fills, pnlSum, drawdownSum };
}

function timeIt(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

// Results land here so the JIT cannot drop the reference's work.
let sink = 0;

export async function runBacktestBench(options: BacktestBenchOptions = {}): Promise<BacktestBenchResult> {
  const log = options.log ?? (() => {});
  const quick = options.quick ?? false;
  const paths = options.paths ?? (quick ? 4 : 20);
  const steps = options.steps ?? (quick ? 1000 : 2500);
  const repeats = options.repeats ?? (quick ? 3 : 5);
  const warmups = options.warmups ?? (quick ? 2 : 3);
  const loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const scenario = scenarioByName('calm').build({ steps, paths, seed: 1 });
  const params = referenceParams(scenario);

  // The reference runs 10x the paths so its timing window is about as long as the engine's.
  const refPaths = paths * REFERENCE_PATH_FACTOR;
  referenceSimulation(params, 2, 2000, 99); // warm-up
  const refRates: number[] = [];
  let refFills = 0;
  const timeReference = (r: number) => {
    let out = { fills: 0, pnlSum: 0, drawdownSum: 0 };
    const seconds = timeIt(() => {
      out = referenceSimulation(params, refPaths, steps, 1000 * r);
    });
    sink += out.pnlSum + out.drawdownSum;
    refFills = out.fills;
    refRates.push((refPaths * steps) / seconds);
  };

  let engineProblem: string | null = null;
  let runner = options.runner;
  try {
    runner ??= await engineRunner({ threads: 1 });
  } catch (err) {
    engineProblem = (err as Error).message;
  }
  const specs = STRATEGY_NAMES.map((name) => ({
    name,
    spec: withStrategy(scenario, name, STRATEGIES[name]!),
    rates: [] as number[],
    fills: 0,
  }));
  try {
    if (runner) {
      // Warm-up at full size: the plain-number engine reaches its optimised code only after tens
      // of thousands of steps. Other seeds than the timed repeats'.
      for (const s of specs) {
        for (let w = 0; w < warmups; w++) await runner.run({ ...s.spec, seed: 7 + w }, { threads: 1 });
      }
    }
    // Repeats interleave the reference and every strategy, so a load change on this shared
    // machine reaches them alike and the ratios of medians compare like with like.
    for (let r = 0; r < repeats; r++) {
      timeReference(r);
      if (!runner || engineProblem) continue;
      for (const s of specs) {
        const start = performance.now();
        const summaries = await runner.run({ ...s.spec, seed: 1000 * r }, { threads: 1 });
        s.rates.push((paths * steps) / ((performance.now() - start) / 1000));
        s.fills = summaries.reduce((a, x) => a + x.fills, 0);
      }
    }
  } catch (err) {
    engineProblem = `engine failed: ${(err as Error).message}`;
    while (refRates.length < repeats) timeReference(refRates.length);
  }
  const reference = {
    strategy: 'avellaneda_stoikov (inline floats)',
    description:
      'float-only simulation of the same market: GBM, incremental EWMA volatility, A-S formula inline, tick rounding, Poisson fill per level',
    stepsPerSecond: median(refRates),
    stepsPerRepeat: refPaths * steps,
    repeats,
    fillsPerStep: refFills / (refPaths * steps),
  };
  log(`[bench] backtest reference: ${Math.round(reference.stepsPerSecond).toLocaleString('en-US')} steps/s`);
  const engine: BacktestBenchRow[] = engineProblem
    ? []
    : specs.map((s) => ({
        strategy: s.name,
        stepsPerSecond: median(s.rates),
        stepsPerRepeat: paths * steps,
        repeats,
        fillsPerStep: s.fills / (paths * steps),
        ratio: median(s.rates) / reference.stepsPerSecond,
      }));
  const exact: BacktestBenchRow[] = [];
  try {
    if (runner && !engineProblem && (options.exact ?? true)) {
      // A short path: the decimal engine does a few thousand steps a second.
      const exactSteps = Math.min(steps, 1000);
      for (const s of specs) {
        const spec = { ...s.spec, engine: 'exact' as const, paths: 1, steps: exactSteps };
        await runner.run({ ...spec, steps: Math.min(exactSteps, 200), seed: 7 }, { threads: 1 }); // warm-up
        const start = performance.now();
        const summaries = await runner.run(spec, { threads: 1 });
        const rate = exactSteps / ((performance.now() - start) / 1000);
        exact.push({
          strategy: s.name,
          stepsPerSecond: rate,
          stepsPerRepeat: exactSteps,
          repeats: 1,
          fillsPerStep: summaries.reduce((a, x) => a + x.fills, 0) / exactSteps,
          ratio: rate / reference.stepsPerSecond,
        });
      }
    }
  } catch (err) {
    log(`[bench] backtest decimal engine not measured: ${(err as Error).message}`);
  } finally {
    if (runner && !options.runner) await runner.close();
  }
  for (const row of engine) {
    log(
      `[bench] backtest engine ${row.strategy}: ${Math.round(row.stepsPerSecond).toLocaleString('en-US')} steps/s (${(row.ratio * 100).toFixed(1)}% of the reference)`,
    );
  }
  return {
    market: `scenario 'calm': GBM s0 ${params.s0}, ${params.volatility * 100}%/year, dt ${params.dtSeconds} s; Poisson A=${params.A}/s k=${params.kPerBps}/bp per level; ${params.levels} levels, tick ${params.tick}`,
    reference,
    engine,
    exact,
    engineProblem,
    target: BACKTEST_TARGET_RATIO,
    loadAverageAtStart,
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function backtestMarkdown(r: BacktestBenchResult): string[] {
  const rows = [
    `| reference: ${r.reference.strategy} | ${fmt(r.reference.stepsPerSecond)} | ${fmt(r.reference.fillsPerStep, 3)} | ${fmt(r.reference.stepsPerRepeat)} x ${r.reference.repeats} | 1.00x | — |`,
    ...r.engine.map(
      (e) =>
        `| engine: ${e.strategy} | ${fmt(e.stepsPerSecond)} | ${fmt(e.fillsPerStep, 3)} | ${fmt(e.stepsPerRepeat)} x ${e.repeats} | ${e.ratio >= 0.1 ? e.ratio.toFixed(2) : e.ratio.toPrecision(2)}x | ${e.ratio >= r.target ? 'met' : 'not met'} |`,
    ),
    ...r.exact.map(
      (e) =>
        `| decimal engine (--exact): ${e.strategy} | ${fmt(e.stepsPerSecond)} | ${fmt(e.fillsPerStep, 3)} | ${fmt(e.stepsPerRepeat)} x ${e.repeats} | ${e.ratio.toPrecision(2)}x | — |`,
    ),
  ];
  return [
    `Market: ${r.market}. One thread each; figures are medians over the repeats after a warm-up (engine: untimed runs of the repeat's size).`,
    `Reference: ${r.reference.description}.`,
    '',
    `| simulation | steps/s | fills per step | steps x repeats | ratio to reference | target ${fmt(r.target * 100)}% |`,
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    ...(r.engineProblem ? [`Engine not measured: ${r.engineProblem}.`, ''] : []),
    `Load average (1/5/15 min) at start ${r.loadAverageAtStart.join(' / ')}, at end ${r.loadAverageAtEnd.join(' / ')}.`,
  ];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const result = await runBacktestBench({ quick, log: (l) => process.stderr.write(`${l}\n`) });
  const report = [
    '# Backtest benchmark',
    '',
    `Machine: ${machineDescription()}`,
    `Command: \`npx tsx bench/backtest.ts${quick ? ' --quick' : ''}\` on ${new Date().toISOString()}`,
    '',
    ...backtestMarkdown(result),
    '',
  ].join('\n');
  process.stdout.write(report);
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'backtest.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  process.stdout.write(`written to ${out} (sink ${Number.isFinite(sink) ? 'ok' : 'nan'})\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
