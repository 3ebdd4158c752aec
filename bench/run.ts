/**
 * The benchmark command: every figure beside its baseline, measured in one run on this machine.
 *
 *   npm run bench                                # everything (~25 min on 2 cores)
 *   npm run bench -- --quick                     # fewer samples and shorter windows (~12 min)
 *   npm run bench -- --only latency,capacity     # some sections only
 *   npx tsx bench/run.ts --only netting --out bench/results/netting   # hedge volume figure, no servers
 *   npm run bench -- --help
 *
 * Uses DATABASE_URL or the project's embedded Postgres, in a database created for this run and
 * dropped at its end; and by default a private in-memory Temporal dev server (--temporal shared
 * reuses the one from temporal-dev.yaml; TEMPORAL_ADDRESS points at any other; --postgres private
 * uses a throw-away cluster when another command may stop the shared one mid-run). Writes
 * bench/results/latest.json and bench/results/BENCHMARKS.md. Nothing here asserts a speed.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BacktestBenchResult } from './backtest';
import { runCapacityBench } from './capacity';
import { runDashboardBench } from './dashboard';
import { runEventsBench } from './events';
import { runHistoryBench } from './history';
import { runLatencyBench } from './latency';
import { runRecoveryBench } from './recovery';
import { runNettingBench } from './netting';
import { startMarketWorker, type MarketWorkerHarness } from './market';
import {
  machineBase,
  writeResults,
  type BenchResults,
  type MatchingRow,
  type QuoteRow,
  type Section,
} from './report';
import { startBenchInfra, type BenchInfra, type PostgresMode, type TemporalMode } from './stack';

const HERE = dirname(fileURLToPath(import.meta.url));
const SECTIONS = [
  'quotes',
  'backtest',
  'events',
  'matching',
  'latency',
  'history',
  'recovery',
  'capacity',
  'capacityQuiet',
  'dashboard',
  'netting',
] as const;
/** Pure simulations: they need neither Temporal nor Postgres. */
const PURE_SECTIONS: readonly string[] = ['quotes', 'backtest', 'netting'];
type SectionName = (typeof SECTIONS)[number];

const HELP = `Usage: npm run bench -- [options]

  --only <list>        comma-separated sections: ${SECTIONS.join(',')} (default: all)
  --quick              fewer samples, shorter capacity windows, fewer repeats
  --samples <n>        latency samples of each kind (default 100, quick 50)
  --steps <list>       capacity ramp in the moving market, pools per step (default 50,100,200,300)
  --quiet-steps <list> capacity ramp in the quiet market (default 250,500,1000)
  --window <s>         capacity measurement window per step in seconds (default 15, quick 8)
  --repeats <n>        repeats for matching (default 3) and events (default 5, quick 3)
  --temporal <mode>    private (default: in-memory dev server for this run) | shared (temporal-dev.yaml's)
  --postgres <mode>    local (default: DATABASE_URL or .data/postgres, the run command's cluster) |
                       private (a throw-away embedded cluster for this run, same durability settings)
  --dashboard-pools <n> pools running while the dashboard's reads are measured (default 50)
  --out <dir>          results folder (default bench/results)
  -h, --help`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}\n`);
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        samples: { type: 'string' },
        steps: { type: 'string' },
        'quiet-steps': { type: 'string' },
        window: { type: 'string' },
        repeats: { type: 'string' },
        temporal: { type: 'string', default: 'private' },
        postgres: { type: 'string', default: 'local' },
        out: { type: 'string' },
        'dashboard-pools': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const only = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [...SECTIONS];
  for (const s of only) if (!SECTIONS.includes(s as SectionName)) fail(`--only: unknown section "${s}"`);
  if (values.temporal !== 'private' && values.temporal !== 'shared')
    fail(`--temporal must be private or shared, got "${values.temporal}"`);
  if (values.postgres !== 'local' && values.postgres !== 'private')
    fail(`--postgres must be local or private, got "${values.postgres}"`);
  const list = (name: string, v: string | undefined, dflt: number[]) =>
    v ? v.split(',').map((s) => positiveInt(name, s.trim(), 0)) : dflt;
  const steps = list('steps', values.steps, quick ? [50, 200] : [50, 100, 200, 300]);
  const quietSteps = list('quiet-steps', values['quiet-steps'], quick ? [200, 1000] : [250, 500, 1000]);
  const repeats = positiveInt('repeats', values.repeats, quick ? 3 : 5);
  return {
    quick,
    only: new Set(only as SectionName[]),
    temporal: values.temporal as TemporalMode,
    postgres: values.postgres as PostgresMode,
    out: resolve(values.out ?? join(HERE, 'results')),
    latency: {
      samples: positiveInt('samples', values.samples, quick ? 50 : 100),
      warmup: quick ? 3 : 5,
      timeoutMs: 15_000,
      pollMs: 10,
    },
    capacity: {
      steps,
      quietSteps,
      windowMs: positiveInt('window', values.window, quick ? 8 : 15) * 1000,
      settleMs: quick ? 1000 : 2000,
      refreshMs: 1000,
      refine: !quick,
    },
    recovery: { kills: quick ? 10 : 15, heartbeatTimeoutMs: 4000 },
    history: { pools: 3, windowMs: (quick ? 60 : 180) * 1000, catchUpMs: 60_000 },
    matching: {
      repeats: positiveInt('repeats', values.repeats, 3),
      opsPerRepeat: quick ? 150 : 300,
      depth: 300,
    },
    events: { repeats, appends: quick ? { 1: 150, 10: 40, 100: 8 } : { 1: 400, 10: 100, 100: 20 } },
    quotes: { iterations: quick ? 2000 : 5000, repeats: quick ? 3 : 7 },
    dashboard: {
      pools: positiveInt('dashboard-pools', values['dashboard-pools'], 50),
      warmupSeconds: quick ? 20 : 60,
      repeats: quick ? 5 : 20,
      liveSeconds: quick ? 10 : 30,
      pages: 20,
    },
    backtest: { quick },
    netting: { informedFlows: quick ? [2] : [0, 2, 20] },
  };
}

const log = (l: string) => process.stderr.write(`${l}\n`);

/** bench/matching.ts and bench/domain-quotes.ts are separate modules; a missing one becomes a TODO row. */
async function optionalModule<T>(file: string): Promise<T | undefined> {
  const path = join(HERE, file);
  return existsSync(path) ? ((await import(pathToFileURL(path).href)) as T) : undefined;
}

async function section<T>(name: string, fn: () => Promise<T>): Promise<Section<T>> {
  const started = Date.now();
  log(`[bench] ── ${name}`);
  try {
    const result = await fn();
    return { status: 'ok', seconds: (Date.now() - started) / 1000, result };
  } catch (err) {
    log(`[bench] ${name} failed: ${(err as Error).stack ?? String(err)}`);
    return {
      status: 'error',
      seconds: (Date.now() - started) / 1000,
      error: (err as Error).message ?? String(err),
    };
  }
}

async function main() {
  const o = parseOptions();
  const started = Date.now();
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    while (cleanups.length) await cleanups.pop()!().catch((e) => log(`[bench] cleanup: ${String(e)}`));
  };
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(
      `[bench] ${sig}: stopping pools, dropping the benchmark database and stopping servers this run started… (again to force)`,
    );
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const skipped = (): Section<never> => ({ status: 'skipped', reason: 'not in --only' });
  const results: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: o.quick,
    options: { ...o, only: [...o.only] },
    machine: {
      ...machineBase(),
      postgres: '—',
      postgresSettings: '—',
      temporal: '—',
      temporalServer: '—',
      workerTuning: null,
    },
    sections: {
      quotes: skipped(),
      backtest: skipped(),
      events: skipped(),
      matching: skipped(),
      latency: skipped(),
      history: skipped(),
      recovery: skipped(),
      capacity: skipped(),
      capacityQuiet: skipped(),
      dashboard: skipped(),
      netting: skipped(),
    },
  };

  try {
    if (o.only.has('quotes')) {
      const mod = await optionalModule<{
        runDomainQuoteBench: (opts: { iterations: number; repeats: number }) => QuoteRow[];
      }>('domain-quotes.ts');
      results.sections.quotes = mod?.runDomainQuoteBench
        ? await section('quotes', async () => mod.runDomainQuoteBench(o.quotes))
        : { status: 'missing', reason: 'bench/domain-quotes.ts (runDomainQuoteBench) is missing' };
    }
    if (o.only.has('backtest')) {
      const mod = await optionalModule<{
        runBacktestBench: (opts: {
          quick: boolean;
          log: (l: string) => void;
        }) => Promise<BacktestBenchResult>;
      }>('backtest.ts');
      results.sections.backtest = mod?.runBacktestBench
        ? await section('backtest', () => mod.runBacktestBench({ ...o.backtest, log }))
        : { status: 'missing', reason: 'bench/backtest.ts (runBacktestBench) is missing' };
    }
    if (o.only.has('netting'))
      results.sections.netting = await section('netting', async () => runNettingBench({ ...o.netting, log }));
    // Every section but the pure simulations needs the servers.
    const needsInfra = SECTIONS.some((s) => !PURE_SECTIONS.includes(s) && o.only.has(s));
    let infra: BenchInfra | undefined;
    if (needsInfra) {
      infra = await startBenchInfra({ temporal: o.temporal, postgres: o.postgres, log });
      cleanups.push(() => infra!.close());
      Object.assign(results.machine, {
        postgres: infra.postgresVersion,
        postgresSettings: infra.postgresSettings,
        temporal: `Temporal CLI: ${infra.temporalVersion.replace(/\s+/g, ' ')}`,
        temporalServer: `${infra.temporalMode} at ${infra.temporal.address}`,
      });
    }
    if (infra && o.only.has('events'))
      results.sections.events = await section('events', () => runEventsBench(infra!, { ...o.events, log }));
    if (infra && o.only.has('matching')) {
      type MatchingModule = { runMatchingBench: (opts: Record<string, unknown>) => Promise<MatchingRow[]> };
      const mod = await optionalModule<MatchingModule>('matching.ts');
      results.sections.matching = mod?.runMatchingBench
        ? await section('matching', () =>
            mod.runMatchingBench({ url: infra!.clusterUrl, write: false, log, ...o.matching }),
          )
        : { status: 'missing', reason: 'bench/matching.ts (runMatchingBench) is missing' };
    }
    if (infra && o.only.has('recovery'))
      results.sections.recovery = await section('recovery', () =>
        runRecoveryBench(infra!, { ...o.recovery, log }),
      );
    const usesWorker = ['latency', 'history', 'capacity', 'capacityQuiet', 'dashboard'] as const;
    if (infra && usesWorker.some((s) => o.only.has(s))) {
      let mm: MarketWorkerHarness | undefined;
      try {
        log('[bench] starting the market-making worker (bundles the workflows)…');
        mm = await startMarketWorker(infra);
        cleanups.push(() => mm!.stop());
        results.machine.workerTuning = { ...mm.tuning.tuning, dbPoolSize: mm.tuning.dbPoolSize };
      } catch (err) {
        const e: Section<never> = {
          status: 'error',
          seconds: 0,
          error: `market-making worker did not start: ${(err as Error).message}`,
        };
        if (o.only.has('latency')) results.sections.latency = e;
        for (const s of usesWorker) if (o.only.has(s)) results.sections[s] = e;
      }
      if (mm && o.only.has('latency'))
        results.sections.latency = await section('latency', () =>
          runLatencyBench(infra!, mm!, { ...o.latency, log }),
        );
      if (mm && o.only.has('history'))
        results.sections.history = await section('history', () =>
          runHistoryBench(infra!, mm!, { ...o.history, log }),
        );
      if (mm && o.only.has('capacity'))
        results.sections.capacity = await section('capacity', () =>
          runCapacityBench(infra!, mm!, { ...o.capacity, market: 'moving', log }),
        );
      if (mm && o.only.has('dashboard'))
        results.sections.dashboard = await section('dashboard', () =>
          runDashboardBench(infra!, mm!, { ...o.dashboard, log }),
        );
      if (mm && o.only.has('capacityQuiet'))
        results.sections.capacityQuiet = await section('capacityQuiet', () =>
          runCapacityBench(infra!, mm!, {
            ...o.capacity,
            steps: o.capacity.quietSteps,
            market: 'quiet',
            log,
          }),
        );
    }
  } catch (err) {
    log(`[bench] ${(err as Error).stack ?? String(err)}`);
    // Indexed as plain sections: the union of every section's result type is too large for tsc.
    const sections = results.sections as Record<SectionName, Section<unknown>>;
    for (const name of SECTIONS) {
      if (o.only.has(name) && sections[name].status === 'skipped') {
        sections[name] = {
          status: 'error',
          seconds: 0,
          error: `set-up failed: ${(err as Error).message}`,
        };
      }
    }
  } finally {
    await cleanUp();
  }
  results.durationSeconds = (Date.now() - started) / 1000;
  results.machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const files = writeResults(o.out, results);
  log(`[bench] wrote ${files.md} and ${files.json} in ${results.durationSeconds.toFixed(0)} s`);
  const failed = Object.values(results.sections).some((s) => s.status === 'error');
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
