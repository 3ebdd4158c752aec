/*
 * The one seam between the lab (scenarios, tournament, sweep, benchmark) and the engine that
 * simulates a path with the live strategy code. Everything the lab needs from the engine goes
 * through LabRunner, so tests can run the lab on a stand-in and the engine can change inside.
 */
import type { BacktestSpec, PathSeries, PathSummary } from './types';

export interface LabRunOptions {
  /** Worker threads over paths (the engine's default when absent). */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LabRunner {
  /** Every path's summary, in path order; the same for the same spec whatever the threads. */
  run(spec: BacktestSpec, options?: LabRunOptions): Promise<PathSummary[]>;
  /** About `points` samples of each listed path (same seeds as run), for charts. */
  series(spec: BacktestSpec, paths: readonly number[], points: number): Promise<PathSeries[]>;
  /** The mids the engine draws for a path (when it exposes them): hold P&L and checks. */
  midPath?(spec: BacktestSpec, path: number): Float64Array;
  /** Frees worker threads kept between specs. */
  close(): Promise<void>;
}

/** What the engine's modules export (backtest/run.ts and backtest/engine.ts). */
interface RunModule {
  runBacktest?: (
    spec: BacktestSpec,
    options?: LabRunOptions & { series?: boolean },
  ) => Promise<PathSummary[] | { summaries: PathSummary[]; series?: PathSeries[] }>;
  BacktestPool?: new (threads: number) => {
    run(spec: BacktestSpec, options?: Pick<LabRunOptions, 'onProgress'>): Promise<PathSummary[]>;
    close(): Promise<void>;
  };
  defaultThreads?: () => number;
}
interface PathsModule {
  generatePath?: (
    spec: BacktestSpec['price'],
    rng: () => number,
    steps: number,
    dtSeconds: number,
    s0: number,
  ) => Float64Array;
}
interface RngModule {
  pathRng?: (seed: number, path: number, stream: 'price' | 'flow') => () => number;
}
interface EngineModule {
  simulatePath?: (
    spec: BacktestSpec,
    path: number,
    options?: { seriesPoints?: number },
  ) => { summary: PathSummary; series?: PathSeries };
}

async function importOptional<T>(file: string): Promise<T | undefined> {
  try {
    return (await import(new URL(file, import.meta.url).href)) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/**
 * The engine as a LabRunner. It is loaded by file name at run time: the lab was written beside
 * the engine, not on top of it, and this keeps it compiling either way (after the merge a static
 * import here is the natural form).
 */
export async function engineRunner(options: { threads?: number } = {}): Promise<LabRunner> {
  const runMod = (await importOptional<RunModule>('./run.ts')) ?? {};
  const engineMod = (await importOptional<EngineModule & RunModule>('./engine.ts')) ?? {};
  const runBacktest = runMod.runBacktest ?? engineMod.runBacktest;
  const simulatePath = engineMod.simulatePath;
  if (!runBacktest && !runMod.BacktestPool) {
    throw new Error(
      'the backtest engine is not in this build (backtest/run.ts or backtest/engine.ts exporting runBacktest)',
    );
  }
  const pathsMod = (await importOptional<PathsModule>('./paths.ts')) ?? {};
  const rngMod = (await importOptional<RngModule>('./rng.ts')) ?? {};
  const { generatePath } = pathsMod;
  const { pathRng } = rngMod;
  /**
   * holdPnl for summaries that lack it: the path's mids drawn again from the engine's own price
   * stream (cheap beside simulating the path). A test checks them against the engine's series.
   */
  const withHold = (spec: BacktestSpec, summaries: PathSummary[]): PathSummary[] => {
    if (!generatePath || !pathRng) return summaries;
    const s0 = Number(spec.pool.s0);
    const initialBase = Number(spec.pool.initialBase);
    return summaries.map((s) => {
      if ('holdPnl' in s) return s;
      const mids = generatePath(
        spec.price,
        pathRng(spec.seed, s.path, 'price'),
        spec.steps,
        spec.dtSeconds,
        s0,
      );
      return { ...s, holdPnl: initialBase * (mids[spec.steps]! - mids[0]!) };
    });
  };
  const threads = options.threads ?? runMod.defaultThreads?.();
  // One pool of worker threads for every spec of a tournament: starting workers costs seconds.
  const pool = runMod.BacktestPool && threads !== undefined ? new runMod.BacktestPool(threads) : undefined;
  return {
    async run(spec, o = {}) {
      if (pool && (o.threads === undefined || o.threads === threads))
        return withHold(spec, await pool.run(spec, o));
      const out = await runBacktest!(spec, { threads, ...o });
      return withHold(spec, Array.isArray(out) ? out : out.summaries);
    },
    midPath:
      generatePath && pathRng
        ? (spec, path) =>
            generatePath(
              spec.price,
              pathRng(spec.seed, path, 'price'),
              spec.steps,
              spec.dtSeconds,
              Number(spec.pool.s0),
            )
        : undefined,
    async series(spec, paths, points) {
      if (paths.length === 0) return [];
      if (simulatePath) {
        return paths.map((p) => simulatePath(spec, p, { seriesPoints: points }).series!).filter(Boolean);
      }
      const out = await runBacktest!(
        { ...spec, paths: Math.max(...paths) + 1 },
        { threads: 1, series: true },
      );
      return Array.isArray(out) ? [] : paths.map((p) => out.series?.[p]).filter((s): s is PathSeries => !!s);
    },
    async close() {
      await pool?.close();
    },
  };
}
