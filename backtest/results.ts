import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PathSummary, ResultsFileHeader, StrategyMetrics } from './types';

/* Results files: JSON (header first, for the dashboard) and a CSV of the per-path summaries. */

export const RESULTS_DIR = 'backtest-results';

function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The summary line of one strategy on one scenario (the tournament's metrics module may refine it). */
export function aggregate(
  strategy: string,
  scenario: string,
  paths: readonly PathSummary[],
): StrategyMetrics {
  const pnl = paths.map((p) => p.pnl);
  const sd = std(pnl);
  return {
    strategy,
    scenario,
    paths: paths.length,
    meanPnl: mean(pnl),
    stdPnl: sd,
    sharpe: sd > 0 ? mean(pnl) / sd : 0,
    maxDrawdown: mean(paths.map((p) => p.maxDrawdown)),
    finalInventoryStd: std(paths.map((p) => p.finalInventory)),
    meanFills: mean(paths.map((p) => p.fills)),
    adverseSelection: mean(paths.map((p) => p.adverseSelection)),
    stopped: paths.filter((p) => p.stops.length > 0).length,
  };
}

const CSV_COLUMNS: Array<keyof PathSummary> = [
  'path',
  'pnl',
  'fees',
  'finalInventory',
  'maxDrawdown',
  'fills',
  'volume',
  'adverseSelection',
  'meanSpread',
  'meanSpreadBps',
  'haltedSteps',
  'hedges',
  'holdPnl',
  'stops',
];

export function summariesCsv(
  rows: ReadonlyArray<{ label: Record<string, string | number> } & { paths: readonly PathSummary[] }>,
): string {
  const labelKeys = rows[0] ? Object.keys(rows[0].label) : [];
  const lines = [[...labelKeys, ...CSV_COLUMNS].join(',')];
  for (const row of rows) {
    for (const p of row.paths) {
      const cells = CSV_COLUMNS.map((c) => (c === 'stops' ? p.stops.join('|') : String(p[c] ?? '')));
      lines.push([...labelKeys.map((k) => String(row.label[k])), ...cells].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `<dir>/<stem>.json` and `<dir>/<stem>.csv`; returns their paths. */
export function writeResults(
  dir: string,
  stem: string,
  json: ResultsFileHeader & Record<string, unknown>,
  csv: string,
): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, `${stem}.json`), csv: join(dir, `${stem}.csv`) };
  writeFileSync(files.json, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(files.csv, csv);
  return files;
}

/** A file-name-safe timestamp, e.g. 2026-11-27T20-10-03Z. */
export function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}
