import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePoolConfig, type PoolConfigInput } from '../domain/config';
import { DomainValidationError } from '../domain/errors';
import {
  formatPaperTable,
  PAPER_CITATION,
  PAPER_GAMMAS,
  PAPER_ID,
  PAPER_MARKET,
  paperRow,
  paperSpec,
} from '../backtest/paper';
import { progressBar } from '../backtest/progress';
import { aggregate, RESULTS_DIR, stamp, summariesCsv, writeResults } from '../backtest/results';
import { simulatePath } from '../backtest/engine';
import { BacktestPool, defaultThreads } from '../backtest/run';
import type { BacktestSpec, PriceProcessSpec, StrategyView } from '../backtest/types';

/*
 * npm run backtest -- --help. Runs the live strategy, risk and post-processing code over
 * simulated markets (backtest/engine.ts); `tournament` and `sweep` belong to the strategy lab
 * (backtest/commands.ts) and are loaded only when asked for.
 */

export const HELP = `Usage: npm run backtest -- [run] [options]
       npm run backtest -- --paper ${PAPER_ID} [--paths N] [--seed S] [--threads T] [--out DIR]
       npm run backtest -- tournament [options]   (every strategy on every scenario; --help there)
       npm run backtest -- sweep [options]        (a parameter grid; --help there)

Runs the live market maker's strategy, risk limits and quote post-processing over simulated price
paths and Poisson order flow, and writes JSON and CSV results under ${RESULTS_DIR}/.

Scenario (run):
  --spec FILE              a whole BacktestSpec as JSON (backtest/types.ts); flags below override it
  --name NAME              label for the results (default: strategy and process)
  --strategy KIND          rule_based | avellaneda_stoikov | glft (default avellaneda_stoikov)
  --param KEY=VALUE        strategy parameter, repeatable (e.g. --param gamma=0.1 --param k=1.5)
  --config FILE            pool configuration JSON (as stored per pool); --strategy/--param apply on top
  --process KIND           gbm | binomial_walk (default gbm)
  --drift X                gbm drift per year (default 0)
  --vol X                  gbm volatility per year (default 0.8)
  --sigma X                binomial_walk step size in price units per sqrt(second) (default 2)
  --s0 PRICE               starting mid (default 2000)
  --tick, --lot, --min-size  pool grid (defaults 0.01, 0.001, 0.001)
  --base, --quote          initial reserves (defaults 50 and 100000)
  --flow-a A               Poisson takers per second at distance 0, per level (default 0.5)
  --flow-k K               decay of the intensity per unit of distance (default 0.1)
  --k-per bps|price        distance unit of --flow-k (default bps of mid)
  --fill-rule exponential|linear  level fill chance 1-exp(-lambda dt) or the paper's lambda dt
  --informed-rate R        informed takers per second (they trade only when the mid ahead crosses the quote)
  --informed-lookahead S   how far ahead they see, seconds (default 5)
  --dt SECONDS             step and quote interval (default 1)
  --steps N                steps per path (default 3600)
  --paths N                paths (default 100)
  --seed N                 seed (default 1); the same seed gives the same results
  --latency-ms MS          delay from decision to book (default 0)
  --maker-fee-bps BPS      fee earned (+) or paid (-) per fill (default 0)
  --hedge-fee-bps BPS      fee paid per hedge trade (default 10)
  --markout SECONDS        adverse selection marked this long after each fill (default 5)
  --volatility estimated|known  the live estimator on the path, or the process's true value
  --inventory pool|units|ignore q from the pool's value share (live), units held, or always 0
  --exact                  every decision through the decimal live code (the reference engine;
                           the default fast engine gives the same results, much faster)

Paper reproduction:
  --paper ${PAPER_ID}
                           ${PAPER_CITATION}
                           gamma 0.1, 0.01, 1; inventory vs symmetric strategy (default 1000 paths)

Common:
  --threads N              worker threads (default: available cores, ${defaultThreads()} here)
  --out DIR                results directory (default ${RESULTS_DIR})
  --no-progress            no progress bar on stderr
  -h, --help               this text
`;

export class UsageError extends Error {}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  spec: { type: 'string' },
  name: { type: 'string' },
  strategy: { type: 'string' },
  param: { type: 'string', multiple: true },
  config: { type: 'string' },
  process: { type: 'string' },
  drift: { type: 'string' },
  vol: { type: 'string' },
  sigma: { type: 'string' },
  s0: { type: 'string' },
  tick: { type: 'string' },
  lot: { type: 'string' },
  'min-size': { type: 'string' },
  base: { type: 'string' },
  quote: { type: 'string' },
  'flow-a': { type: 'string' },
  'flow-k': { type: 'string' },
  'k-per': { type: 'string' },
  'fill-rule': { type: 'string' },
  'informed-rate': { type: 'string' },
  'informed-lookahead': { type: 'string' },
  dt: { type: 'string' },
  steps: { type: 'string' },
  paths: { type: 'string' },
  seed: { type: 'string' },
  'latency-ms': { type: 'string' },
  'maker-fee-bps': { type: 'string' },
  'hedge-fee-bps': { type: 'string' },
  markout: { type: 'string' },
  volatility: { type: 'string' },
  inventory: { type: 'string' },
  exact: { type: 'boolean' },
  paper: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  'no-progress': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function num(values: Values, key: keyof Values, dflt: number, check: (n: number) => boolean, what: string) {
  const raw = values[key];
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new UsageError(`--${key} must be ${what}, got ${JSON.stringify(raw)}`);
  }
  return n;
}
const positive = (n: number) => n > 0;
const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

function oneOf<T extends string>(values: Values, key: keyof Values, allowed: readonly T[], dflt: T): T {
  const raw = values[key];
  if (raw === undefined) return dflt;
  if (typeof raw !== 'string' || !allowed.includes(raw as T)) {
    throw new UsageError(`--${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${what} ${file} could not be read as JSON: ${(error as Error).message}`);
  }
}

function strategyParams(values: Values): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of values.param ?? []) {
    const [key, value, ...rest] = p.split('=');
    const n = Number(value);
    if (!key || value === undefined || rest.length > 0 || value.trim() === '' || !Number.isFinite(n)) {
      throw new UsageError(`--param must be KEY=NUMBER (e.g. --param gamma=0.1), got ${JSON.stringify(p)}`);
    }
    out[key] = n;
  }
  return out;
}

/** The scenario a `run` command line describes (for tests and scripts). */
export function runSpecFromArgs(argv: string[]): BacktestSpec {
  return buildRunSpec(
    parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }).values,
  );
}

export function buildRunSpec(values: Values): BacktestSpec {
  const base = values.spec ? (readJson(values.spec, '--spec') as Partial<BacktestSpec>) : {};
  let config: PoolConfigInput = base.config ?? {};
  if (values.config) config = readJson(values.config, '--config') as PoolConfigInput;
  const kind = oneOf(
    values,
    'strategy',
    ['rule_based', 'avellaneda_stoikov', 'glft'] as const,
    (config.strategy?.kind as 'rule_based' | 'avellaneda_stoikov' | 'glft' | undefined) ??
      'avellaneda_stoikov',
  );
  const sameKind = config.strategy?.kind === kind ? config.strategy : {};
  config = {
    ...config,
    strategy: { ...sameKind, kind, ...strategyParams(values) } as PoolConfigInput['strategy'],
  };

  const processKind = oneOf(values, 'process', ['gbm', 'binomial_walk'] as const, 'gbm');
  const price: PriceProcessSpec =
    values.process === undefined && base.price
      ? base.price
      : processKind === 'gbm'
        ? {
            kind: 'gbm',
            drift: num(values, 'drift', 0, Number.isFinite, 'a number'),
            volatility: num(values, 'vol', 0.8, (n) => n >= 0, 'a non-negative number'),
          }
        : { kind: 'binomial_walk', sigma: num(values, 'sigma', 2, positive, 'a positive number') };
  const pool = base.pool ?? {
    s0: '2000',
    tickSize: '0.01',
    lotSize: '0.001',
    minSize: '0.001',
    initialBase: '50',
    initialQuote: '100000',
  };
  const str = (key: keyof Values, current: string) => {
    const v = values[key];
    if (v === undefined) return current;
    num(values, key, 0, (n) => n >= 0, 'a non-negative decimal');
    return String(v);
  };
  const poisson = base.flow?.poisson ?? { A: 0.5, k: 0.1, kPer: 'bps' as const };
  const informedRate = num(
    values,
    'informed-rate',
    base.flow?.informed?.ratePerSecond ?? 0,
    (n) => n >= 0,
    'a non-negative number',
  );
  const view: StrategyView = {
    volatility: oneOf(
      values,
      'volatility',
      ['estimated', 'known'] as const,
      base.view?.volatility ?? 'estimated',
    ),
    inventory: oneOf(
      values,
      'inventory',
      ['pool', 'units', 'ignore'] as const,
      base.view?.inventory ?? 'pool',
    ),
  };
  const spec: BacktestSpec = {
    name: values.name ?? base.name ?? `${kind} on ${price.kind}`,
    config,
    pool: {
      s0: str('s0', pool.s0),
      tickSize: str('tick', pool.tickSize),
      lotSize: str('lot', pool.lotSize),
      minSize: str('min-size', pool.minSize),
      initialBase: str('base', pool.initialBase),
      initialQuote: str('quote', pool.initialQuote),
    },
    price,
    flow: {
      poisson: {
        A: num(values, 'flow-a', poisson.A, (n) => n >= 0, 'a non-negative number'),
        k: num(values, 'flow-k', poisson.k, (n) => n >= 0, 'a non-negative number'),
        kPer: oneOf(values, 'k-per', ['bps', 'price'] as const, poisson.kPer),
        fillProbability: oneOf(
          values,
          'fill-rule',
          ['exponential', 'linear'] as const,
          poisson.fillProbability ?? 'exponential',
        ),
      },
      ...(informedRate > 0
        ? {
            informed: {
              ratePerSecond: informedRate,
              lookaheadSeconds: num(
                values,
                'informed-lookahead',
                base.flow?.informed?.lookaheadSeconds ?? 5,
                positive,
                'a positive number of seconds',
              ),
            },
          }
        : {}),
    },
    dtSeconds: num(values, 'dt', base.dtSeconds ?? 1, positive, 'a positive number of seconds'),
    steps: num(values, 'steps', base.steps ?? 3600, positiveInt, 'a positive integer'),
    paths: num(values, 'paths', base.paths ?? 100, positiveInt, 'a positive integer'),
    seed: num(values, 'seed', base.seed ?? 1, Number.isSafeInteger, 'an integer'),
    latencyMs: num(values, 'latency-ms', base.latencyMs ?? 0, (n) => n >= 0, 'a non-negative number'),
    makerFeeBps: num(values, 'maker-fee-bps', base.makerFeeBps ?? 0, Number.isFinite, 'a number'),
    hedgeFeeBps: num(values, 'hedge-fee-bps', base.hedgeFeeBps ?? 10, (n) => n >= 0, 'a non-negative number'),
    markoutSeconds: num(values, 'markout', base.markoutSeconds ?? 5, (n) => n >= 0, 'a non-negative number'),
    view,
    ...(values.exact || base.engine === 'exact' ? { engine: 'exact' as const } : {}),
  };
  parsePoolConfig(spec.config);
  return spec;
}

const fmt = (n: number, dp = 2) => n.toFixed(dp);

async function runCommand(values: Values, command: string): Promise<void> {
  const spec = buildRunSpec(values);
  const threads = num(values, 'threads', defaultThreads(), positiveInt, 'a positive integer');
  const pool = new BacktestPool(Math.min(threads, spec.paths));
  const bar = values['no-progress'] ? undefined : progressBar(spec.name);
  let summaries;
  try {
    summaries = await pool.run(spec, { onProgress: bar });
  } finally {
    bar?.end();
    await pool.close();
  }
  const m = aggregate(spec.config.strategy?.kind ?? 'rule_based', spec.name, summaries);
  // One path's course (mid, quotes, equity, inventory) for charts: path 0, about 500 points.
  const series = simulatePath(spec, 0, { seriesPoints: 500 }).series;
  const steps = spec.paths * spec.steps;
  console.log(
    `${spec.name}: ${spec.paths} paths x ${spec.steps} steps of ${spec.dtSeconds}s, seed ${spec.seed}`,
  );
  console.log(
    `P&L mean ${fmt(m.meanPnl)}  std ${fmt(m.stdPnl)}  mean/std ${fmt(m.sharpe, 3)}  max drawdown ${fmt(m.maxDrawdown)}\n` +
      `fills ${fmt(m.meanFills, 1)}/path  final inventory std ${fmt(m.finalInventoryStd, 4)}  adverse selection ${fmt(m.adverseSelection)}  stopped ${m.stopped}/${m.paths}  (${steps} steps)`,
  );
  const now = new Date();
  const files = writeResults(
    values.out ?? RESULTS_DIR,
    `run-${stamp(now)}`,
    {
      kind: 'run',
      createdAt: now.toISOString(),
      command,
      seed: spec.seed,
      spec,
      metrics: m,
      paths: summaries,
      series: { path: 0, ...series },
    },
    summariesCsv([{ label: { scenario: spec.name }, paths: summaries }]),
  );
  console.log(`results: ${files.json} ${files.csv}`);
}

async function paperCommand(values: Values, command: string): Promise<void> {
  if (values.paper !== PAPER_ID) {
    throw new UsageError(`--paper knows only ${PAPER_ID}, got ${JSON.stringify(values.paper)}`);
  }
  const paths = num(values, 'paths', 1000, positiveInt, 'a positive integer');
  const seed = num(values, 'seed', 2008, Number.isSafeInteger, 'an integer');
  const threads = num(values, 'threads', defaultThreads(), positiveInt, 'a positive integer');
  const pool = new BacktestPool(Math.min(threads, paths));
  const rows = [];
  const runs = [];
  const started = Date.now();
  try {
    for (const gamma of PAPER_GAMMAS) {
      for (const strategy of ['inventory', 'symmetric'] as const) {
        const spec = paperSpec(gamma, strategy, { paths, seed });
        const bar = values['no-progress'] ? undefined : progressBar(`gamma ${gamma} ${strategy}`);
        const summaries = await pool.run(spec, { onProgress: bar });
        bar?.end();
        rows.push(paperRow(gamma, strategy, summaries));
        runs.push({ label: { gamma, strategy }, spec, paths: summaries });
      }
    }
  } finally {
    await pool.close();
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`${PAPER_CITATION}\n`);
  console.log(`${paths} paths per row, seed ${seed}, ${seconds.toFixed(1)} s on ${pool.threads} thread(s)`);
  console.log(
    `Monte-Carlo standard errors: of a mean, s/sqrt(n); of a standard deviation, the delta method with the sample kurtosis.`,
  );
  console.log(
    `diff/se = (ours - paper) / our standard error; diff/se2 divides by the error of the difference,\n` +
      `sqrt(2) x ours, since the paper's figures come from ${PAPER_MARKET.paths} paths of the same market and carry the same error.\n`,
  );
  console.log(formatPaperTable(rows));
  console.log(
    `\npaper figures: Tables 1-3 of the published article (pp. 222-223), gamma 0.1, 0.01 and 1; see docs/BACKTEST.md`,
  );
  const now = new Date();
  const files = writeResults(
    values.out ?? RESULTS_DIR,
    `paper-${stamp(now)}`,
    {
      kind: 'paper',
      createdAt: now.toISOString(),
      command,
      seed,
      citation: PAPER_CITATION,
      rows,
      runs: runs.map((r) => ({ ...r.label, spec: r.spec, paths: r.paths })),
    },
    summariesCsv(runs),
  );
  console.log(`results: ${files.json} ${files.csv}`);
}

async function labCommand(name: 'tournament' | 'sweep', argv: string[]): Promise<void> {
  let mod: Record<string, unknown>;
  try {
    // Built by the strategy lab; absent from builds without it.
    const path = '../backtest/commands';
    mod = (await import(path)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    // Only the lab's module itself being absent means "not in this build"; a missing import of it is a bug.
    if (missing && /backtest[/\\]commands/.test((error as Error).message)) {
      console.error(`backtest ${name}: not available in this build (backtest/commands.ts is missing)`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const fn = mod[`${name}Command`];
  if (typeof fn !== 'function') {
    console.error(
      `backtest ${name}: not available in this build (backtest/commands.ts has no ${name}Command)`,
    );
    process.exitCode = 2;
    return;
  }
  await (fn as (argv: string[]) => Promise<void> | void)(argv);
}

export async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === 'tournament' || first === 'sweep') return labCommand(first, rest);
  const args = first === 'run' ? rest : argv;
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `unknown command ${JSON.stringify(positionals[0])}; commands are run, tournament, sweep (see --help)`,
    );
  }
  const command = `npm run backtest -- ${argv.join(' ')}`.trim();
  if (values.paper !== undefined) return paperCommand(values, command);
  return runCommand(values, command);
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/cli\//, '/cli/'));
if (invokedDirectly) {
  // Piped into `head` and the like: a closed stdout ends the run quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (
      error instanceof UsageError ||
      error instanceof DomainValidationError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`backtest: ${(error as Error).message}\nRun npm run backtest -- --help for the options.`);
      process.exitCode = 2;
      return;
    }
    console.error(error);
    process.exitCode = 1;
  });
}
