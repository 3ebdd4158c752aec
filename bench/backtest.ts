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
 *
 * The calm scenario has a 100 ms order latency, which the engine models by splitting each step in
 * two segments (the previous quotes rest, then the new ones), a fill draw per level per segment.
 * So the bench compares like with like twice: the engine with latencyMs 0 beside the reference
 * without latency, and the engine on the scenario as is beside referenceSimulationSegmented,
 * which models the latency the same way (and does no other extra work).
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
  /** stepsPerSecond / the reference's (exponentials on every draw), from the same run. */
  ratio: number;
  /** stepsPerSecond / the bounded reference's (exponentials only where a fill is possible). */
  ratioBounded?: number;
}

type ReferenceRow = Omit<BacktestBenchRow, 'ratio'> & { description: string };

export interface BacktestBenchResult {
  market: string;
  /**
   * Like for like without latency: the engine on the scenario with latencyMs 0 beside the
   * reference without latency (one fill draw per level a step), as it always was (`reference`,
   * exponentials on every draw) and with draws that cannot fill told without them (`bounded`).
   */
  reference: ReferenceRow;
  bounded: ReferenceRow;
  engine: BacktestBenchRow[];
  /**
   * Like for like with the scenario's order latency: the engine on the scenario as is beside the
   * reference modelling the latency as the engine does (two segments a step, a draw per resting
   * level per segment), both ways.
   */
  latency: { latencyMs: number; reference: ReferenceRow; bounded: ReferenceRow; engine: BacktestBenchRow[] };
  /**
   * The decimal engine (`engine: 'exact'`, the fast engine's reference) on a short run of the
   * scenario as is (with its latency), so the speed-up is measured in the same run too; its ratio
   * is to the latency reference. Empty with `exact: false`.
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
  /** The scenario's order latency: quotes decided at t rest from t + latency. */
  latencySeconds: number;
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
    latencySeconds: spec.latencyMs / 1000,
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

/**
 * The reference with the scenario's order latency, modelled as the engine models it: quotes
 * decided at t rest from t + latency, so each step has two segments, [t, t + latency) where the
 * previous step's quotes rest (those not yet filled) and [t + latency, t + dt) where the new ones
 * do, with a fill draw per resting level per segment over the segment's length. With latency 0
 * there is one segment, the market of referenceSimulation. The decision, the GBM step and the
 * volatility are referenceSimulation's, once a step.
 *
 * A draw that cannot fill is told without exponentials, as the engine tells it: for a quote on
 * its side of the mid, chance = 1 - e^(-lambda tau) <= lambda tau <= A tau, so u >= A tau misses.
 * The market needs the draw, not the exponentials of a certain miss. boundDraws false computes
 * them on every draw, as referenceSimulation does.
 */
export function referenceSimulationSegmented(
  p: ReferenceParams,
  paths: number,
  steps: number,
  seed: number,
  boundDraws = true,
): { fills: number; pnlSum: number; drawdownSum: number } {
  const latency = p.latencySeconds;
  if (!(latency >= 0 && latency < p.dtSeconds)) {
    throw new Error(
      `the segmented reference needs 0 <= latency < dt, got ${latency} s and ${p.dtSeconds} s; a decision must land within its step`,
    );
  }
  const restSeconds = p.dtSeconds - latency;
  // Without the bound (to compare with referenceSimulation's draws), no u reaches the cut.
  const cutOld = boundDraws ? p.A * latency : Infinity;
  const cutNew = boundDraws ? p.A * restSeconds : Infinity;
  const dtYears = p.dtSeconds / SECONDS_PER_YEAR;
  const drift = -0.5 * p.volatility * p.volatility * dtYears;
  const diffusion = p.volatility * Math.sqrt(dtYears);
  const sizes = Array.from({ length: p.levels }, (_, j) => p.baseSize * p.sizeDecay ** j);
  const toHorizon = Math.sqrt(p.horizonSeconds / p.dtSeconds);
  // The quotes resting in the step's first segment (the previous decision), and whether each is
  // still unfilled: a filled level leaves the book until the next decision replaces it.
  const oldBid = new Float64Array(p.levels);
  const oldAsk = new Float64Array(p.levels);
  const oldBidLive = new Uint8Array(p.levels);
  const oldAskLive = new Uint8Array(p.levels);
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
    oldBidLive.fill(0); // nothing rests before the first decision lands
    oldAskLive.fill(0);
    for (let i = 0; i < steps; i++) {
      const equity = quote + base * mid;
      if (equity > peak) peak = equity;
      else if (peak - equity > maxDrawdown) maxDrawdown = peak - equity;
      // The decision at t, from the balances at t (as referenceSimulation).
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
      if (latency > 0) {
        // [t, t + latency): the previous quotes rest (the mid may have crossed them since).
        for (let j = 0; j < p.levels; j++) {
          const size = sizes[j]!;
          if (oldBidLive[j]) {
            const b = oldBid[j]!;
            const u = rng();
            if (!(u >= cutOld && b <= mid)) {
              const lambdaBid = p.A * Math.exp((-p.kPerBps * (mid - b) * 10_000) / mid);
              if (u < 1 - Math.exp(-lambdaBid * latency) && quote >= b * size) {
                base += size;
                quote -= b * size;
                fills++;
              }
            }
          }
          if (oldAskLive[j]) {
            const a = oldAsk[j]!;
            const u = rng();
            if (!(u >= cutOld && a >= mid)) {
              const lambdaAsk = p.A * Math.exp((-p.kPerBps * (a - mid) * 10_000) / mid);
              if (u < 1 - Math.exp(-lambdaAsk * latency) && base >= size) {
                base -= size;
                quote += a * size;
                fills++;
              }
            }
          }
        }
      }
      // [t + latency, t + dt): the new quotes rest (below and above the mid), and stay for the
      // next step's first segment unless filled.
      for (let j = 0; j < p.levels; j++) {
        const b = bid - j * spacing;
        const a = ask + j * spacing;
        const size = sizes[j]!;
        let bidLive = 1;
        let askLive = 1;
        let u = rng();
        if (u < cutNew) {
          const lambdaBid = p.A * Math.exp((-p.kPerBps * (mid - b) * 10_000) / mid);
          if (u < 1 - Math.exp(-lambdaBid * restSeconds) && quote >= b * size) {
            base += size;
            quote -= b * size;
            fills++;
            bidLive = 0;
          }
        }
        u = rng();
        if (u < cutNew) {
          const lambdaAsk = p.A * Math.exp((-p.kPerBps * (a - mid) * 10_000) / mid);
          if (u < 1 - Math.exp(-lambdaAsk * restSeconds) && base >= size) {
            base -= size;
            quote += a * size;
            fills++;
            askLive = 0;
          }
        }
        if (latency > 0) {
          oldBid[j] = b;
          oldAsk[j] = a;
          oldBidLive[j] = bidLive;
          oldAskLive[j] = askLive;
        }
      }
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

type Simulation = typeof referenceSimulation;

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
  const noLatency = { ...scenario, latencyMs: 0 };

  // The references run 10x the paths so their timing windows are about as long as the engine's.
  const refPaths = paths * REFERENCE_PATH_FACTOR;
  const zeroParams = { ...params, latencySeconds: 0 };
  const references: { simulate: Simulation; rates: number[]; fills: number }[] = [
    { simulate: (_p, n, m, seed) => referenceSimulation(zeroParams, n, m, seed), rates: [], fills: 0 },
    {
      simulate: (_p, n, m, seed) => referenceSimulationSegmented(zeroParams, n, m, seed, true),
      rates: [],
      fills: 0,
    },
    {
      simulate: (_p, n, m, seed) => referenceSimulationSegmented(params, n, m, seed, false),
      rates: [],
      fills: 0,
    },
    {
      simulate: (_p, n, m, seed) => referenceSimulationSegmented(params, n, m, seed, true),
      rates: [],
      fills: 0,
    },
  ];
  // Warm-up at a repeat's size, as the engine's: a short one left the quick run's plain references
  // timing unoptimised code. Other seeds than the timed repeats'.
  for (const ref of references) ref.simulate(params, refPaths, steps, 99);
  const timeReferences = (r: number) => {
    for (const ref of references) {
      let out = { fills: 0, pnlSum: 0, drawdownSum: 0 };
      const seconds = timeIt(() => {
        out = ref.simulate(params, refPaths, steps, 1000 * r);
      });
      sink += out.pnlSum + out.drawdownSum;
      ref.fills = out.fills;
      ref.rates.push((refPaths * steps) / seconds);
    }
  };

  let engineProblem: string | null = null;
  let runner = options.runner;
  try {
    runner ??= await engineRunner({ threads: 1 });
  } catch (err) {
    engineProblem = (err as Error).message;
  }
  const specsOf = (market: ScenarioSpec) =>
    STRATEGY_NAMES.map((name) => ({
      name,
      spec: withStrategy(market, name, STRATEGIES[name]!),
      rates: [] as number[],
      fills: 0,
    }));
  const zeroSpecs = specsOf(noLatency);
  const latencySpecs = specsOf(scenario);
  const allSpecs = [...zeroSpecs, ...latencySpecs];
  try {
    if (runner) {
      // Warm-up at full size: the plain-number engine reaches its optimised code only after tens
      // of thousands of steps. Other seeds than the timed repeats'.
      for (const s of allSpecs) {
        for (let w = 0; w < warmups; w++) await runner.run({ ...s.spec, seed: 7 + w }, { threads: 1 });
      }
    }
    // Repeats interleave the references and every engine run, so a load change on this shared
    // machine reaches them alike and the ratios of medians compare like with like.
    for (let r = 0; r < repeats; r++) {
      timeReferences(r);
      if (!runner || engineProblem) continue;
      for (const s of allSpecs) {
        const start = performance.now();
        const summaries = await runner.run({ ...s.spec, seed: 1000 * r }, { threads: 1 });
        s.rates.push((paths * steps) / ((performance.now() - start) / 1000));
        s.fills = summaries.reduce((a, x) => a + x.fills, 0);
      }
    }
  } catch (err) {
    engineProblem = `engine failed: ${(err as Error).message}`;
    while (references[0]!.rates.length < repeats) timeReferences(references[0]!.rates.length);
  }
  const referenceRow = (i: number, description: string): ReferenceRow => ({
    strategy: 'avellaneda_stoikov (inline floats)',
    description,
    stepsPerSecond: median(references[i]!.rates),
    stepsPerRepeat: refPaths * steps,
    repeats,
    fillsPerStep: references[i]!.fills / (refPaths * steps),
  });
  const reference = referenceRow(
    0,
    'float-only simulation of the same market without order latency: GBM, incremental EWMA volatility, A-S formula inline, tick rounding, one Poisson fill draw per level a step, both exponentials of the fill chance computed on every draw',
  );
  const bounded = referenceRow(
    1,
    'the same, a draw that cannot fill (u >= A tau, quote on its side of the mid) told without exponentials, as the engine tells it',
  );
  const latencyReference = referenceRow(
    2,
    `the same with the scenario's ${scenario.latencyMs} ms order latency modelled as the engine does: quotes decided at t rest from t + latency, so a step has two segments (the previous quotes, then the new ones) and a fill draw per resting level per segment; exponentials on every draw`,
  );
  const latencyBounded = referenceRow(
    3,
    `the latency reference with draws that cannot fill told without exponentials`,
  );
  const rowsOf = (specs: typeof zeroSpecs, ref: ReferenceRow, lean: ReferenceRow): BacktestBenchRow[] =>
    engineProblem
      ? []
      : specs.map((s) => ({
          strategy: s.name,
          stepsPerSecond: median(s.rates),
          stepsPerRepeat: paths * steps,
          repeats,
          fillsPerStep: s.fills / (paths * steps),
          ratio: median(s.rates) / ref.stepsPerSecond,
          ratioBounded: median(s.rates) / lean.stepsPerSecond,
        }));
  const engine = rowsOf(zeroSpecs, reference, bounded);
  const latencyEngine = rowsOf(latencySpecs, latencyReference, latencyBounded);
  for (const [label, ref] of [
    ['no latency', reference],
    ['no latency, bounded draws', bounded],
    [`latency ${scenario.latencyMs} ms`, latencyReference],
    [`latency ${scenario.latencyMs} ms, bounded draws`, latencyBounded],
  ] as const) {
    log(
      `[bench] backtest reference, ${label}: ${Math.round(ref.stepsPerSecond).toLocaleString('en-US')} steps/s`,
    );
  }
  const exact: BacktestBenchRow[] = [];
  try {
    if (runner && !engineProblem && (options.exact ?? true)) {
      // A short path: the decimal engine does a few thousand steps a second.
      const exactSteps = Math.min(steps, 1000);
      for (const s of latencySpecs) {
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
          ratio: rate / latencyReference.stepsPerSecond,
        });
      }
    }
  } catch (err) {
    log(`[bench] backtest decimal engine not measured: ${(err as Error).message}`);
  } finally {
    if (runner && !options.runner) await runner.close();
  }
  for (const [label, rows] of [
    ['no latency', engine],
    [`latency ${scenario.latencyMs} ms`, latencyEngine],
  ] as const) {
    for (const row of rows) {
      log(
        `[bench] backtest engine ${row.strategy}, ${label}: ${Math.round(row.stepsPerSecond).toLocaleString('en-US')} steps/s (${(row.ratio * 100).toFixed(1)}% of its reference, ${((row.ratioBounded ?? NaN) * 100).toFixed(1)}% of the bounded one)`,
      );
    }
  }
  return {
    market: `scenario 'calm': GBM s0 ${params.s0}, ${params.volatility * 100}%/year, dt ${params.dtSeconds} s; Poisson A=${params.A}/s k=${params.kPerBps}/bp per level; ${params.levels} levels, tick ${params.tick}; order latency ${scenario.latencyMs} ms`,
    reference,
    bounded,
    engine,
    latency: {
      latencyMs: scenario.latencyMs,
      reference: latencyReference,
      bounded: latencyBounded,
      engine: latencyEngine,
    },
    exact,
    engineProblem,
    target: BACKTEST_TARGET_RATIO,
    loadAverageAtStart,
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const ratioText = (ratio: number) => (ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2));

export function backtestMarkdown(r: BacktestBenchResult): string[] {
  const refRow = (label: string, ref: ReferenceRow) =>
    `| reference, ${label} | ${fmt(ref.stepsPerSecond)} | ${fmt(ref.fillsPerStep, 3)} | ${fmt(ref.stepsPerRepeat)} x ${ref.repeats} | — | — | — |`;
  const engineRows = (label: string, rows: BacktestBenchRow[]) =>
    rows.map((e) => {
      const lean = e.ratioBounded ?? NaN;
      return `| engine, ${label}: ${e.strategy} | ${fmt(e.stepsPerSecond)} | ${fmt(e.fillsPerStep, 3)} | ${fmt(e.stepsPerRepeat)} x ${e.repeats} | ${ratioText(e.ratio)}x | ${ratioText(lean)}x | ${lean >= r.target ? 'met' : 'not met'} |`;
    });
  const lat = `latency ${r.latency.latencyMs} ms`;
  const rows = [
    refRow('no latency: A-S inline floats, exponentials on every draw', r.reference),
    refRow('no latency: the same, draws that cannot fill bounded', r.bounded),
    ...engineRows('no latency', r.engine),
    refRow(`${lat}: A-S inline floats, two segments a step, exponentials on every draw`, r.latency.reference),
    refRow(`${lat}: the same, draws that cannot fill bounded`, r.latency.bounded),
    ...engineRows(lat, r.latency.engine),
    ...r.exact.map(
      (e) =>
        `| decimal engine (--exact), ${lat}: ${e.strategy} | ${fmt(e.stepsPerSecond)} | ${fmt(e.fillsPerStep, 3)} | ${fmt(e.stepsPerRepeat)} x ${e.repeats} | ${e.ratio.toPrecision(2)}x | — | — |`,
    ),
  ];
  return [
    `Market: ${r.market}. One thread each; figures are medians over the repeats after a warm-up (engine: untimed runs of the repeat's size).`,
    `Two like-for-like comparisons; each engine row's ratios are to the two references of its own market, above it. No latency: the engine on the scenario with latencyMs 0 beside the ${r.reference.description}; and beside ${r.bounded.description}. ${lat[0]!.toUpperCase()}${lat.slice(1)}: the engine on the scenario as is beside ${r.latency.reference.description}; and beside ${r.latency.bounded.description}. The target is judged against the bounded reference (the faster one: it does no work the market does not require).`,
    '',
    `| simulation | steps/s | fills per step | steps x repeats | ratio to reference | ratio to bounded reference | target ${fmt(r.target * 100)}% |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
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
