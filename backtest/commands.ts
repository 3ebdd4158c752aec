/*
 * `npm run backtest -- tournament` and `npm run backtest -- sweep`: every strategy on every
 * scenario, and a grid over one strategy's parameters. Each prints a table and writes a JSON file
 * (ResultsFileHeader first, for the dashboard) and CSV files under backtest-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../cli/options';
import { parsePoolConfig } from '../domain/config';
import { histogram, sparkline, strategyMetrics, type StrategyReport, type SummaryLike } from './metrics';
import { engineRunner, type LabRunner } from './run-spec';
import {
  REPLAY_SCENARIO,
  SCENARIO_NAMES,
  scenarioByName,
  STRATEGIES,
  STRATEGY_NAMES,
  withStrategy,
  type ScenarioSpec,
  type StrategyConfigInput,
} from './scenarios';
import type { BacktestSpec, FlowSpec, PathSeries, PathSummary, ResultsFileHeader } from './types';

export interface CommandDeps {
  /** The engine by default; tests pass a stand-in. */
  runner?: LabRunner;
  out?: { write(text: string): unknown };
  err?: { write(text: string): unknown; isTTY?: boolean };
  now?: () => Date;
}

const COMMON_FLAGS = `  --paths <n>            simulated paths per strategy and scenario (default 16)
  --steps <n>            steps per path (default 3600: one hour of one-second steps)
  --dt <seconds>         seconds per step (default 1)
  --seed <n>             seed; the same seed gives the same results (default 42)
  --threads <n>          worker threads over paths (default: every core)
  --out <dir>            results folder (default backtest-results)
  -h, --help             this help`;

export const TOURNAMENT_HELP = `Usage: npm run backtest -- tournament [options]

Runs every strategy on every scenario of the library with the live strategy, risk and
post-processing code, and prints per strategy and scenario: mean P&L (with its Monte-Carlo
standard error), std, mean/std, mean max drawdown, std of the final inventory, fills,
adverse selection (fills marked at the mid --markout seconds later; negative = fills lose)
and how many paths a risk limit stopped. Writes backtest-results/tournament-<time>.json
(metrics, P&L per path, sampled equity/inventory series) and .csv (metrics), -paths.csv.

Scenarios: ${SCENARIO_NAMES.join(', ')}; and ${REPLAY_SCENARIO} with --prices
Strategies: ${STRATEGY_NAMES.join(', ')} (live defaults)

Options:
  --scenarios <list>     comma-separated scenarios (default: all; with --prices, replay too)
  --prices <file.csv>    adds scenario ${REPLAY_SCENARIO}: recorded prices ("timestamp,price" or "price"
                         per line, resampled to --dt; the file must cover --steps)
  --strategies <list>    comma-separated strategies (default: all)
${COMMON_FLAGS}
  --sample-paths <n>     paths per strategy and scenario whose series are kept (default 2)
  --series-points <n>    points per sampled series (default 240)

Example: npm run backtest -- tournament --paths 8 --steps 1800 --scenarios calm,jump`;

export const SWEEP_HELP = `Usage: npm run backtest -- sweep --strategy <kind> [options]

Runs one strategy on one scenario for every setting of a parameter grid and reports the
metrics of each setting and the best setting per metric. avellaneda_stoikov and glft sweep
gamma x k; rule_based sweeps the default spread. Grids default to multiples of the live
defaults (x0.1, x1, x10 for gamma; x0.5, x1, x2 for k), so they follow the configuration's units.
Writes backtest-results/sweep-<time>.json and .csv.

Options:
  --strategy <kind>      ${STRATEGY_NAMES.join(', ')} (required)
  --scenario <name>      ${SCENARIO_NAMES.join(', ')}, ${REPLAY_SCENARIO} (default calm)
  --prices <file.csv>    the price file of scenario ${REPLAY_SCENARIO}
  --gamma <list>         risk aversions, e.g. 0.01,0.1,1 (A-S and GLFT)
  --k <list>             order-book liquidity k in the configuration's units (A-S and GLFT)
  --spread <list>        default spreads in bps, e.g. 10,20,30,50 (rule_based; default 10,20,30,50,80)
${COMMON_FLAGS}

Example: npm run backtest -- sweep --strategy glft --gamma 0.01,0.1,1 --paths 8`;

interface CommonOptions {
  paths: number;
  steps: number;
  dtSeconds: number;
  seed: number;
  threads: number | undefined;
  out: string;
}

const COMMON_PARSE = {
  paths: { type: 'string' },
  steps: { type: 'string' },
  dt: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function wholeNumber(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw.trim()))
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const v = Number(raw);
  if (v < min || v > max) throw new UsageError(`--${name} must be from ${min} to ${max}, got ${v}`);
  return v;
}

function positiveNumber(name: string, raw: string): number {
  const v = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0)
    throw new UsageError(`--${name} values must be positive numbers, got ${JSON.stringify(raw)}`);
  return v;
}

function numberList(name: string, raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((s) => positiveNumber(name, s));
  if (new Set(values).size !== values.length) throw new UsageError(`--${name} lists a value twice: ${raw}`);
  return values;
}

function nameList(name: string, raw: string | undefined, known: readonly string[]): string[] {
  if (raw === undefined) return [...known];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`--${name} needs at least one of ${known.join(', ')}`);
  for (const n of names) {
    if (!known.includes(n))
      throw new UsageError(`--${name}: unknown ${JSON.stringify(n)}; choose from ${known.join(', ')}`);
  }
  return [...new Set(names)];
}

function parse<O extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as {
      [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string;
    };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See --help.`);
  }
}

function commonOptions(v: Record<string, string | boolean | undefined>): CommonOptions {
  const str = (k: string) => v[k] as string | undefined;
  const dt = str('dt');
  return {
    paths: wholeNumber('paths', str('paths'), 16, 1, 1_000_000),
    steps: wholeNumber('steps', str('steps'), 3600, 1, 100_000_000),
    dtSeconds: dt === undefined ? 1 : positiveNumber('dt', dt),
    seed: wholeNumber('seed', str('seed'), 42, 0, Number.MAX_SAFE_INTEGER),
    threads: str('threads') === undefined ? undefined : wholeNumber('threads', str('threads'), 1, 1, 256),
    out: resolve(str('out') ?? 'backtest-results'),
  };
}

export interface TournamentOptions extends CommonOptions {
  scenarios: string[];
  /** Price file of the replay scenario. */
  prices?: string;
  strategies: string[];
  samplePaths: number;
  seriesPoints: number;
}

function tournamentScenarios(raw: string | undefined, prices: string | undefined): string[] {
  const known = prices === undefined ? SCENARIO_NAMES : [...SCENARIO_NAMES, REPLAY_SCENARIO];
  if (raw?.split(',').some((n) => n.trim() === REPLAY_SCENARIO) && prices === undefined)
    throw new UsageError(`scenario ${REPLAY_SCENARIO} needs a price file: add --prices <file.csv>`);
  return nameList('scenarios', raw, known);
}

export function parseTournamentArgs(argv: string[]): TournamentOptions | 'help' {
  const v = parse(argv, {
    ...COMMON_PARSE,
    scenarios: { type: 'string' },
    strategies: { type: 'string' },
    prices: { type: 'string' },
    'sample-paths': { type: 'string' },
    'series-points': { type: 'string' },
  });
  if (v.help) return 'help';
  const common = commonOptions(v);
  return {
    ...common,
    scenarios: tournamentScenarios(v.scenarios, v.prices),
    ...(v.prices === undefined ? {} : { prices: v.prices }),
    strategies: nameList('strategies', v.strategies, STRATEGY_NAMES),
    samplePaths: Math.min(common.paths, wholeNumber('sample-paths', v['sample-paths'], 2, 0, 100)),
    seriesPoints: wholeNumber('series-points', v['series-points'], 240, 2, 100_000),
  };
}

/** A short text of a flow for tables. */
export function describeFlow(flow: FlowSpec): string {
  const parts: string[] = [];
  if (flow.poisson)
    parts.push(
      `Poisson A=${flow.poisson.A}/s k=${flow.poisson.k}/${flow.poisson.kPer === 'bps' ? 'bp' : 'price unit'}`,
    );
  if (flow.informed)
    parts.push(`informed ${flow.informed.ratePerSecond}/s seeing ${flow.informed.lookaheadSeconds}s ahead`);
  if (flow.replay) parts.push(`replayed trades ${flow.replay.file}`);
  return parts.join(' + ') || 'no takers';
}

const fmt = (x: number, digits = 2) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '—';

/**
 * Decimals for a row's money, in its pool's quote units: two for USDC-sized amounts, more for a
 * pair quoted in a unit worth 60,000 (a P&L of 0.0123 BTC shows as such, not as 0.00); about three
 * significant digits on the row's largest amount.
 */
export function moneyDigits(values: readonly (number | null)[]): number {
  const largest = Math.max(0, ...values.map((v) => (v !== null && Number.isFinite(v) ? Math.abs(v) : 0)));
  if (largest === 0) return 2;
  return Math.min(8, Math.max(2, 2 - Math.floor(Math.log10(largest))));
}

/** The terminal table: one row per strategy and scenario. */
export function formatMetricsTable(rows: ReadonlyArray<StrategyReport & { setting?: string }>): string {
  const withSetting = rows.some((r) => r.setting !== undefined);
  const header = [
    ...(withSetting ? ['setting'] : ['scenario', 'strategy']),
    'mean P&L',
    '± s.e.',
    'std P&L',
    'mean/std',
    'vs hold',
    'std vs hold',
    'max DD',
    'inv std',
    'fills',
    'adv. sel.',
    'spread bps',
    'stopped',
  ];
  const body = rows.map((r) => {
    const d = moneyDigits([r.meanPnl, r.stdPnl, r.meanPnlVsHold, r.stdPnlVsHold, r.maxDrawdown]);
    return [
      ...(withSetting ? [r.setting ?? ''] : [r.scenario, r.strategy]),
      fmt(r.meanPnl, d),
      fmt(r.pnlStdError, d),
      fmt(r.stdPnl, d),
      fmt(r.sharpe, 3),
      r.meanPnlVsHold === null ? '—' : fmt(r.meanPnlVsHold, d),
      r.stdPnlVsHold === null ? '—' : fmt(r.stdPnlVsHold, d),
      fmt(r.maxDrawdown, d),
      fmt(r.finalInventoryStd, 3),
      fmt(r.meanFills, 1),
      fmt(r.adverseSelection, d),
      fmt(r.meanSpreadBps, 1),
      `${r.stopped}/${r.paths}`,
    ];
  });
  const labelColumns = withSetting ? 1 : 2;
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < labelColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Records to CSV with the union of their keys as columns (objects as JSON text). */
export function toCsv(rows: ReadonlyArray<Record<string, unknown>>): string {
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n')}\n`;
}

/** Stop reasons as text ("max_loss:3") so tables and CSV cells stay flat. */
function flatMetrics(m: StrategyReport): Record<string, unknown> {
  const { stopReasons, ...rest } = m;
  return {
    ...rest,
    stopReasons: Object.entries(stopReasons)
      .map(([k, n]) => `${k}:${n}`)
      .join(' '),
  };
}

function stampOf(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

function writeFiles(dir: string, stem: string, json: object, csvs: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${stem}.json`)];
  writeFileSync(files[0]!, `${JSON.stringify(json)}\n`);
  for (const [suffix, text] of Object.entries(csvs)) {
    const file = join(dir, `${stem}${suffix}.csv`);
    writeFileSync(file, text);
    files.push(file);
  }
  return files;
}

function progress(deps: CommandDeps, label: string) {
  const err = deps.err ?? process.stderr;
  let last = -1;
  return (done: number, total: number) => {
    if (err.isTTY) {
      err.write(`\r\x1b[2K${label} ${done}/${total} paths`);
      if (done === total) err.write('\r\x1b[2K');
    } else {
      const decile = Math.floor((done / total) * 4);
      if (decile !== last) err.write(`${label} ${done}/${total} paths\n`);
      last = decile;
    }
  };
}

interface StrategyRun {
  metrics: StrategyReport;
  summaries: PathSummary[];
  series: PathSeries[];
}

async function runOne(
  runner: LabRunner,
  spec: BacktestSpec,
  o: CommonOptions & { samplePaths?: number; seriesPoints?: number },
  deps: CommandDeps,
  labels: { strategy: string; scenario: string },
): Promise<StrategyRun> {
  const summaries = await runner.run(spec, {
    threads: o.threads,
    onProgress: progress(deps, `  ${spec.name}`),
  });
  const sample = Array.from({ length: o.samplePaths ?? 0 }, (_, i) => i);
  const series = sample.length ? await runner.series(spec, sample, o.seriesPoints ?? 240) : [];
  return { metrics: strategyMetrics(summaries, labels), summaries, series };
}

function commandLine(name: string, argv: string[]): string {
  return `npm run backtest -- ${[name, ...argv].join(' ')}`;
}

export interface TournamentResults extends ResultsFileHeader {
  kind: 'tournament';
  options: Omit<TournamentOptions, 'out'>;
  scenarios: Array<{ name: string; description: string; process: string; flow: string; spec: ScenarioSpec }>;
  strategies: Array<{ name: string; config: StrategyConfigInput }>;
  metrics: StrategyReport[];
  /** Each path's P&L, by scenario and strategy: the distribution the table summarises. */
  pnl: Record<string, Record<string, number[]>>;
  /** Each path's P&L less what holding the starting inventory made (when the engine's paths say). */
  pnlVsHold: Record<string, Record<string, number[]>>;
  /** Sampled equity (P&L), inventory, mid and quotes of the first --sample-paths paths. */
  series: Record<string, Record<string, PathSeries[]>>;
}

function pnlVsHold(summaries: readonly SummaryLike[]): number[] | null {
  return summaries.every((s) => typeof s.holdPnl === 'number')
    ? summaries.map((s) => s.pnl - s.holdPnl!)
    : null;
}

/**
 * Each strategy's P&L distribution as a line of bars, the strategies of a scenario on one axis
 * (P&L vs hold where the paths carry it: the market making without the inventory's exposure).
 */
export function formatDistributions(
  results: Pick<TournamentResults, 'pnl' | 'pnlVsHold'>,
  bins = 24,
): string {
  const lines: string[] = [];
  let label = 'P&L';
  for (const [scenario, byStrategy] of Object.entries(results.pnl)) {
    const vsHold = results.pnlVsHold[scenario] ?? {};
    const useHold = Object.keys(byStrategy).every((k) => vsHold[k]);
    if (useHold) label = 'P&L vs hold';
    const data = useHold ? vsHold : byStrategy;
    const all = Object.values(data).flat();
    if (all.length === 0) continue;
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
    const d = moneyDigits([lo, hi]);
    lines.push(`${scenario} (${useHold ? 'vs hold' : 'P&L'}, ${fmt(lo, d)} to ${fmt(hi, d)})`);
    for (const [strategy, values] of Object.entries(data)) {
      lines.push(`  ${strategy.padEnd(20)} |${sparkline(histogram(values, bins, [lo, hi]))}|`);
    }
  }
  return [`Distribution of ${label} per path (quote units):`, ...lines].join('\n');
}

/** Runs the tournament; the caller prints and writes. */
export async function runTournament(
  o: TournamentOptions,
  runner: LabRunner,
  deps: CommandDeps & { command: string },
): Promise<{
  results: TournamentResults;
  summaries: Array<{ scenario: string; strategy: string; paths: PathSummary[] }>;
}> {
  const createdAt = (deps.now ?? (() => new Date()))().toISOString();
  const { out: _out, ...options } = o;
  const results: TournamentResults = {
    kind: 'tournament',
    createdAt,
    command: deps.command,
    seed: o.seed,
    options,
    scenarios: [],
    strategies: o.strategies.map((name) => ({ name, config: STRATEGIES[name]! })),
    metrics: [],
    pnl: {},
    pnlVsHold: {},
    series: {},
  };
  const summaries: Array<{ scenario: string; strategy: string; paths: PathSummary[] }> = [];
  for (const scenarioName of o.scenarios) {
    const scenario = scenarioByName(scenarioName, o.prices);
    // Every strategy of a scenario gets the same seed, so they face the same price paths.
    const spec = scenario.build({ steps: o.steps, paths: o.paths, seed: o.seed, dtSeconds: o.dtSeconds });
    results.scenarios.push({
      name: scenario.name,
      description: scenario.description,
      process: spec.price.kind,
      flow: describeFlow(spec.flow),
      spec,
    });
    results.pnl[scenario.name] = {};
    results.pnlVsHold[scenario.name] = {};
    results.series[scenario.name] = {};
    for (const strategyName of o.strategies) {
      const full = withStrategy(spec, strategyName, STRATEGIES[strategyName]!);
      const run = await runOne(runner, full, o, deps, { strategy: strategyName, scenario: scenario.name });
      results.metrics.push(run.metrics);
      results.pnl[scenario.name]![strategyName] = run.summaries.map((s) => s.pnl);
      const vsHold = pnlVsHold(run.summaries);
      if (vsHold) results.pnlVsHold[scenario.name]![strategyName] = vsHold;
      results.series[scenario.name]![strategyName] = run.series;
      summaries.push({ scenario: scenario.name, strategy: strategyName, paths: run.summaries });
    }
  }
  return { results, summaries };
}

function pathsCsv(
  rows: ReadonlyArray<{ labels: Record<string, string>; paths: readonly PathSummary[] }>,
): string {
  return toCsv(rows.flatMap((r) => r.paths.map((p) => ({ ...r.labels, ...p, stops: p.stops.join(' ') }))));
}

async function withRunner<T>(
  deps: CommandDeps,
  threads: number | undefined,
  fn: (r: LabRunner) => Promise<T>,
) {
  const runner = deps.runner ?? (await engineRunner({ threads }));
  try {
    return await fn(runner);
  } finally {
    if (!deps.runner) await runner.close();
  }
}

/** A usage mistake is reported in one line with exit code 2, not as a stack trace. */
function usage<T>(deps: CommandDeps, name: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    (deps.err ?? process.stderr).write(`backtest ${name}: ${err.message}\n`);
    process.exitCode = 2;
    return undefined;
  }
}

export async function tournamentCommand(argv: string[], deps: CommandDeps = {}): Promise<void> {
  const out = deps.out ?? process.stdout;
  const o = usage(deps, 'tournament', () => parseTournamentArgs(argv));
  if (o === undefined) return;
  if (o === 'help') {
    out.write(`${TOURNAMENT_HELP}\n`);
    return;
  }
  const started = Date.now();
  const { results, summaries } = await withRunner(deps, o.threads, (runner) =>
    runTournament(o, runner, { ...deps, command: commandLine('tournament', argv) }),
  );
  const files = writeFiles(o.out, `tournament-${stampOf(new Date(results.createdAt))}`, results, {
    '': toCsv(results.metrics.map(flatMetrics)),
    '-paths': pathsCsv(
      summaries.map((s) => ({ labels: { scenario: s.scenario, strategy: s.strategy }, paths: s.paths })),
    ),
  });
  out.write(
    `Tournament: ${o.strategies.length} strategies x ${o.scenarios.length} scenarios, ${o.paths} paths of ${o.steps} steps of ${o.dtSeconds} s, seed ${o.seed} (${((Date.now() - started) / 1000).toFixed(1)} s)\n\n`,
  );
  out.write(`${formatMetricsTable(results.metrics)}\n\n`);
  out.write(`${formatDistributions(results)}\n\n`);
  out.write(
    "Per path, in the pool's quote units (USDC; BTC for cross_pair's ETH/BTC): P&L is the change in the pool's marked value, its starting inventory's price exposure included; " +
      '"vs hold" takes away what holding that inventory made, leaving the market making; ' +
      "adverse selection is the fills marked at the mid the scenario's markout later (spread earned included; lower = more picked off). Inventory in base units.\n",
  );
  out.write(`Wrote ${files.join(', ')}\n`);
}

// ---------------------------------------------------------------------------------------------
// Sweep

export type SweepParameter = 'gamma' | 'k' | 'spreadBps';

export interface SweepOptions extends CommonOptions {
  strategy: string;
  scenario: string;
  prices?: string;
  grid: Partial<Record<SweepParameter, number[]>>;
}

export function parseSweepArgs(argv: string[]): SweepOptions | 'help' {
  const v = parse(argv, {
    ...COMMON_PARSE,
    strategy: { type: 'string' },
    scenario: { type: 'string' },
    prices: { type: 'string' },
    gamma: { type: 'string' },
    k: { type: 'string' },
    spread: { type: 'string' },
  });
  if (v.help) return 'help';
  if (v.strategy === undefined)
    throw new UsageError(`--strategy is required: one of ${STRATEGY_NAMES.join(', ')}`);
  const [strategy] = nameList('strategy', v.strategy, STRATEGY_NAMES);
  if (v.scenario?.includes(','))
    throw new UsageError(`--scenario takes one scenario, got ${JSON.stringify(v.scenario)}`);
  const [scenario] = tournamentScenarios(v.scenario ?? 'calm', v.prices);
  const gamma = numberList('gamma', v.gamma);
  const k = numberList('k', v.k);
  const spread = numberList('spread', v.spread);
  let grid: SweepOptions['grid'];
  if (strategy === 'rule_based') {
    if (gamma || k)
      throw new UsageError(
        'rule_based has no gamma or k; sweep its spread with --spread (bps), e.g. --spread 10,20,30',
      );
    if (spread?.some((s) => s > 10_000)) throw new UsageError('--spread values must be at most 10000 bps');
    grid = { spreadBps: spread ?? [10, 20, 30, 50, 80] };
  } else {
    if (spread) throw new UsageError(`${strategy} sweeps --gamma and --k; --spread is for rule_based`);
    const defaults = parsePoolConfig({ strategy: { kind: strategy } }).strategy as {
      gamma: number;
      k: number;
    };
    grid = {
      gamma: gamma ?? [0.1, 1, 10].map((m) => tidy(defaults.gamma * m)),
      k: k ?? [0.5, 1, 2].map((m) => tidy(defaults.k * m)),
    };
  }
  return {
    ...commonOptions(v),
    strategy: strategy!,
    scenario: scenario!,
    ...(v.prices === undefined ? {} : { prices: v.prices }),
    grid,
  };
}

/** 0.1 x 0.1 is 0.010000000000000002: settings are labels too, so keep 12 significant digits. */
const tidy = (x: number) => Number(x.toPrecision(12));

export interface SweepSetting {
  label: string;
  values: Partial<Record<SweepParameter, number>>;
  strategy: StrategyConfigInput;
  /** Spread policy changes a rule_based setting needs (its default spread inside [min, max]). */
  spreadPolicy?: { defaultSpreadBps: string; minSpreadBps?: string; maxSpreadBps?: string };
}

/** Every combination of the grid, as strategy configurations. */
export function sweepSettings(strategy: string, grid: SweepOptions['grid']): SweepSetting[] {
  if (strategy === 'rule_based') {
    return (grid.spreadBps ?? []).map((s) => ({
      label: `spread=${s}bps`,
      values: { spreadBps: s },
      strategy: { kind: 'rule_based' },
      spreadPolicy: {
        defaultSpreadBps: String(s),
        ...(s < 10 ? { minSpreadBps: String(s) } : {}),
        ...(s > 500 ? { maxSpreadBps: String(s) } : {}),
      },
    }));
  }
  const kind = strategy as 'avellaneda_stoikov' | 'glft';
  const out: SweepSetting[] = [];
  for (const gamma of grid.gamma ?? []) {
    for (const k of grid.k ?? []) {
      out.push({ label: `gamma=${gamma} k=${k}`, values: { gamma, k }, strategy: { kind, gamma, k } });
    }
  }
  return out;
}

/**
 * What "best" means per metric: more P&L and mean/std, less risk, less adverse selection. The
 * P&L vs hold comes first: without the starting inventory's price exposure, which every setting
 * shares, it tells settings apart with far fewer paths.
 */
export const SWEEP_GOALS: ReadonlyArray<{ metric: keyof StrategyReport; goal: 'max' | 'min' }> = [
  { metric: 'meanPnlVsHold', goal: 'max' },
  { metric: 'sharpeVsHold', goal: 'max' },
  { metric: 'stdPnlVsHold', goal: 'min' },
  { metric: 'meanPnl', goal: 'max' },
  { metric: 'sharpe', goal: 'max' },
  { metric: 'stdPnl', goal: 'min' },
  { metric: 'maxDrawdown', goal: 'min' },
  { metric: 'finalInventoryStd', goal: 'min' },
  { metric: 'adverseSelection', goal: 'max' },
  { metric: 'meanFills', goal: 'max' },
  { metric: 'stopped', goal: 'min' },
];

export interface SweepBest {
  metric: string;
  goal: 'max' | 'min';
  setting: string;
  value: number;
  /**
   * Settings no worse than the best beyond noise: within the best one's standard error for the
   * mean P&L figures, exactly equal for the others.
   */
  tiedWith: string;
}

/** The best setting per metric (metrics the rows do not carry are left out); grid order breaks exact ties. */
export function bestPerMetric(rows: ReadonlyArray<StrategyReport & { setting: string }>): SweepBest[] {
  const out: SweepBest[] = [];
  for (const { metric, goal } of SWEEP_GOALS) {
    const value = (r: StrategyReport) => r[metric] as number | null;
    if (rows.length === 0 || rows.some((r) => typeof value(r) !== 'number')) continue;
    let best = rows[0]!;
    for (const r of rows) if (goal === 'max' ? value(r)! > value(best)! : value(r)! < value(best)!) best = r;
    const bestValue = value(best)!;
    const tol =
      metric === 'meanPnl'
        ? best.pnlStdError
        : metric === 'meanPnlVsHold'
          ? best.stdPnlVsHold! / Math.sqrt(best.paths)
          : 0;
    const tied = rows
      .filter((r) => r !== best && Math.abs(value(r)! - bestValue) <= tol)
      .map((r) => r.setting);
    out.push({ metric, goal, setting: best.setting, value: bestValue, tiedWith: tied.join('; ') });
  }
  return out;
}

export interface SweepResults extends ResultsFileHeader {
  kind: 'sweep';
  options: Omit<SweepOptions, 'out'>;
  strategy: string;
  scenario: { name: string; description: string; process: string; flow: string; spec: ScenarioSpec };
  parameters: SweepParameter[];
  results: Array<StrategyReport & { setting: string } & Partial<Record<SweepParameter, number>>>;
  best: SweepBest[];
  /** Each path's P&L per setting. */
  pnl: Record<string, number[]>;
  /** Each path's P&L less what holding the starting inventory made, per setting (when known). */
  pnlVsHold: Record<string, number[]>;
}

export async function runSweep(
  o: SweepOptions,
  runner: LabRunner,
  deps: CommandDeps & { command: string },
): Promise<SweepResults> {
  const createdAt = (deps.now ?? (() => new Date()))().toISOString();
  const scenario = scenarioByName(o.scenario, o.prices);
  const spec = scenario.build({ steps: o.steps, paths: o.paths, seed: o.seed, dtSeconds: o.dtSeconds });
  const settings = sweepSettings(o.strategy, o.grid);
  const rows: SweepResults['results'] = [];
  const pnl: Record<string, number[]> = {};
  const pnlByHold: Record<string, number[]> = {};
  for (const setting of settings) {
    const full = withStrategy(spec, o.strategy, setting.strategy);
    full.name = `${spec.name}/${o.strategy} ${setting.label}`;
    if (setting.spreadPolicy) {
      full.config = {
        ...full.config,
        spreadPolicy: { ...full.config.spreadPolicy, ...setting.spreadPolicy },
      };
    }
    const run = await runOne(runner, full, o, deps, { strategy: o.strategy, scenario: scenario.name });
    rows.push({ setting: setting.label, ...setting.values, ...run.metrics });
    pnl[setting.label] = run.summaries.map((s) => s.pnl);
    const vsHold = pnlVsHold(run.summaries);
    if (vsHold) pnlByHold[setting.label] = vsHold;
  }
  const { out: _out, ...options } = o;
  return {
    kind: 'sweep',
    createdAt,
    command: deps.command,
    seed: o.seed,
    options,
    strategy: o.strategy,
    scenario: {
      name: scenario.name,
      description: scenario.description,
      process: spec.price.kind,
      flow: describeFlow(spec.flow),
      spec,
    },
    parameters: Object.keys(o.grid) as SweepParameter[],
    results: rows,
    best: bestPerMetric(rows),
    pnl,
    pnlVsHold: pnlByHold,
  };
}

export function formatBestTable(best: readonly SweepBest[]): string {
  const rows = best.map((b) => [b.metric, b.goal, b.setting, fmt(b.value, 3), b.tiedWith || '—']);
  const header = ['metric', 'goal', 'best setting', 'value', 'as good (mean P&L: within one s.e.)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export async function sweepCommand(argv: string[], deps: CommandDeps = {}): Promise<void> {
  const out = deps.out ?? process.stdout;
  const o = usage(deps, 'sweep', () => parseSweepArgs(argv));
  if (o === undefined) return;
  if (o === 'help') {
    out.write(`${SWEEP_HELP}\n`);
    return;
  }
  const started = Date.now();
  const results = await withRunner(deps, o.threads, (runner) =>
    runSweep(o, runner, { ...deps, command: commandLine('sweep', argv) }),
  );
  const files = writeFiles(o.out, `sweep-${stampOf(new Date(results.createdAt))}`, results, {
    '': toCsv(results.results.map((r) => flatMetrics(r) as Record<string, unknown>)),
  });
  out.write(
    `Sweep: ${o.strategy} on ${o.scenario}, ${results.results.length} settings, ${o.paths} paths of ${o.steps} steps, seed ${o.seed} (${((Date.now() - started) / 1000).toFixed(1)} s)\n\n`,
  );
  out.write(
    `${formatMetricsTable(results.results)}\n\nBest setting per metric:\n${formatBestTable(results.best)}\n\n`,
  );
  out.write(`Wrote ${files.join(', ')}\n`);
}
