/**
 * Quotes computed per second by each strategy, beside a trivial Big multiplication loop on the
 * same machine in the same run (the floor any decimal-based quote can reach), and the fast
 * quoter (domain/strategies/fast: whole ticks and lots in doubles) on the same pool states.
 *
 *   npx tsx bench/domain-quotes.ts [--quick]
 *
 * Not a test: nothing here asserts a speed. runDomainQuoteBench() is exported for a combined
 * benchmark command.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  Big,
  DEFAULT_POOL_CONFIG,
  createFastQuoter,
  parsePoolConfig,
  strategyFor,
  type FastQuoteInput,
  type QuoteInput,
  type StrategyConfig,
} from '../domain';

export interface DomainQuoteBenchRow {
  case: string;
  /** Median over repeats. */
  opsPerSecond: number;
  microsPerOp: number;
  /** How many Big multiplications one operation costs, from the baseline row of the same run. */
  bigMulEquivalent: number;
  iterations: number;
  repeats: number;
  /** Fast rows: share of quotes where some value was decided in decimals, or the whole ladder was. */
  exactShare?: number;
  fallbackShare?: number;
}

export interface DomainQuoteBenchOptions {
  warmupIterations?: number;
  iterations?: number;
  repeats?: number;
}

/** A spread of pool states so the benchmark is not one cached path: inventories from 20% to 80% base. */
function inputs(): QuoteInput[] {
  const mid = new Big('2000.37');
  return Array.from({ length: 16 }, (_, i) => {
    const share = 0.2 + (0.6 * i) / 15;
    const total = new Big(40_000);
    return {
      mid,
      reserveBase: total.times(share.toFixed(4)).div(mid).round(6, Big.roundDown),
      reserveQuote: total.times((1 - share).toFixed(4)).round(6, Big.roundDown),
      targetInventoryShare: 0.5,
      spreadBps: new Big(30 + i),
      // The live path passes the policy's bounds: the floor and cap steps are part of the cost.
      minSpreadBps: new Big(DEFAULT_POOL_CONFIG.spreadPolicy.minSpreadBps),
      maxSpreadBps: new Big(DEFAULT_POOL_CONFIG.spreadPolicy.maxSpreadBps),
      volatility: 0.02 + i * 0.003,
      volatilityHorizonSeconds: 3600,
      bestBid: new Big('1995.5'),
      bestAsk: new Big('2004.25'),
      tickSize: new Big('0.01'),
      lotSize: new Big('0.001'),
      minSize: new Big('0.001'),
      ladder: DEFAULT_POOL_CONFIG.ladder,
      guardMid: true,
      maxOrderNotional: new Big(1_000_000),
    };
  });
}

/** The same states as doubles, for the fast quoter. */
function fastInputs(data: QuoteInput[]): FastQuoteInput[] {
  return data.map((d) => ({
    mid: d.mid.toNumber(),
    reserveBase: d.reserveBase.toNumber(),
    reserveQuote: d.reserveQuote.toNumber(),
    targetInventoryShare: d.targetInventoryShare,
    spreadBps: d.spreadBps.toNumber(),
    volatility: d.volatility,
    volatilityHorizonSeconds: d.volatilityHorizonSeconds,
    bestBid: d.bestBid?.toNumber(),
    bestAsk: d.bestAsk?.toNumber(),
    minSpreadBps: d.minSpreadBps?.toNumber(),
    maxSpreadBps: d.maxSpreadBps?.toNumber(),
  }));
}

/** Market and ladder of inputs(), as the fast quoter takes them. */
const FAST_MARKET = { tickSize: '0.01', lotSize: '0.001', minSize: '0.001', maxOrderNotional: '1000000' };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// Results are accumulated here so the JIT cannot drop the work as dead code.
let sink = 0;

function measure(op: (i: number) => void, o: Required<DomainQuoteBenchOptions>): number {
  for (let i = 0; i < o.warmupIterations; i++) op(i);
  const rates: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    const start = performance.now();
    for (let i = 0; i < o.iterations; i++) op(i);
    const seconds = (performance.now() - start) / 1000;
    rates.push(o.iterations / seconds);
  }
  return median(rates);
}

export function runDomainQuoteBench(options: DomainQuoteBenchOptions = {}): DomainQuoteBenchRow[] {
  const o = { warmupIterations: 2_000, iterations: 5_000, repeats: 7, ...options };
  const cases: Array<[string, StrategyConfig]> = [
    ['rule_based', parsePoolConfig({ strategy: { kind: 'rule_based' } }).strategy],
    ['avellaneda_stoikov (infinite)', parsePoolConfig({ strategy: { kind: 'avellaneda_stoikov' } }).strategy],
    ['glft', parsePoolConfig({ strategy: { kind: 'glft' } }).strategy],
  ];
  const data = inputs();

  // Baseline: one Big multiplication per op, on operands of the same size as a price x size.
  const a = new Big('2000.37');
  const factors = data.map((d) => d.reserveBase);
  const baselineOps = measure(
    (i) => {
      sink += a.times(factors[i % factors.length]!).c.length;
    },
    { ...o, iterations: o.iterations * 20 },
  );

  const row = (name: string, ops: number, iterations: number): DomainQuoteBenchRow => ({
    case: name,
    opsPerSecond: ops,
    microsPerOp: 1e6 / ops,
    bigMulEquivalent: baselineOps / ops,
    iterations,
    repeats: o.repeats,
  });

  const rows = [row('baseline: Big multiplication', baselineOps, o.iterations * 20)];
  const fast = fastInputs(data);
  // The fast quoter is ~100x quicker: more iterations keep each timed window comparable.
  const fastO = { ...o, warmupIterations: o.warmupIterations * 20, iterations: o.iterations * 20 };
  for (const [name, cfg] of cases) {
    const strategy = strategyFor(cfg);
    const ops = measure((i) => {
      const ladder = strategy.compute(data[i % data.length]!);
      sink += ladder.bids.length + ladder.asks.length;
    }, o);
    rows.push(row(`quote ladder: ${name}`, ops, o.iterations));
    const quoter = createFastQuoter({ strategy: cfg, ladder: DEFAULT_POOL_CONFIG.ladder }, FAST_MARKET);
    const fastOps = measure((i) => {
      const ladder = quoter(fast[i % fast.length]!);
      sink += ladder.bidCount + ladder.askCount;
    }, fastO);
    const { quotes, exactDecisions, decimalFallbacks } = quoter.stats;
    rows.push({
      ...row(`fast quote ladder: ${name}`, fastOps, fastO.iterations),
      exactShare: exactDecisions / quotes,
      fallbackShare: decimalFallbacks / quotes,
    });
  }
  return rows;
}

export function machineDescription(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu} (${cpus().length} logical CPUs), ${platform()} ${release()}, Node ${process.version}`;
}

export function toMarkdown(rows: DomainQuoteBenchRow[]): string {
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    '| case | ops/s (median) | µs/op | cost in Big multiplications | iterations x repeats |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${fmt(r.opsPerSecond)} | ${fmt(r.microsPerOp, 2)} | ${fmt(r.bigMulEquivalent, 0)} | ${fmt(r.iterations)} x ${r.repeats} |`,
    ),
  ];
  return lines.join('\n');
}

/** Decimal vs fast per strategy, from the rows of one run. */
export function speedupMarkdown(rows: DomainQuoteBenchRow[]): string {
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    '| strategy | decimal ladders/s | fast ladders/s | fast / decimal | fast quotes with a value decided in decimals | whole ladder from decimals |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const name = r.case.replace(/^quote ladder: /, '');
    const f = rows.find((x) => x.case === `fast quote ladder: ${name}`);
    if (!r.case.startsWith('quote ladder: ') || !f) continue;
    lines.push(
      `| ${name} | ${fmt(r.opsPerSecond)} | ${fmt(f.opsPerSecond)} | ${fmt(f.opsPerSecond / r.opsPerSecond, 1)}x | ${fmt(100 * (f.exactShare ?? 0), 2)}% | ${fmt(100 * (f.fallbackShare ?? 0), 2)}% |`,
    );
  }
  return lines.join('\n');
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const loadBefore = loadavg();
  const rows = runDomainQuoteBench(quick ? { warmupIterations: 1_000, iterations: 2_000, repeats: 3 } : {});
  const table = toMarkdown(rows);
  const ladder = DEFAULT_POOL_CONFIG.ladder;
  const report = [
    '# Domain quote benchmark',
    '',
    `Machine: ${machineDescription()}`,
    `Load average (1/5/15 min) before: ${load(loadBefore)}, after: ${load(loadavg())}${quick ? ' (--quick)' : ''}`,
    '',
    `One op = one full quote ladder (${ladder.levels} levels per side, default ladder config): model, ladder building, tick/lot rounding, guards, notional cap.`,
    'Each figure is the median of the repeats after a warm-up; the baseline is one `Big#times` per op, measured in the same run.',
    '',
    table,
    '',
    'Fast quoter (domain/strategies/fast) on the same 16 pool states, same model cores; its ladders equal the decimal ones (test/unit/domain/fast-quoter.test.ts):',
    '',
    speedupMarkdown(rows),
    '',
  ].join('\n');
  console.log(report);
  // A quick run is a smoke check: it does not replace the recorded full-run figures.
  if (quick) {
    console.log(`--quick: not written to results/ (sink ${sink % 10})`);
    return;
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'domain-quotes.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  console.log(`written to ${out} (sink ${sink % 10})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
