import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultsFileHeader } from '../backtest/types';

/*
 * The backtester's results files (backtest/types.ts: a `ResultsFileHeader` at the top level, then
 * whatever the tournament, sweep or paper reproduction writes). The page is built from shapes, not
 * from field names, so a field added later shows up instead of breaking it: every array of records
 * becomes a table, every object holding `t` and `equity` arrays (a `PathSeries`) a set of curves,
 * every long array of numbers under a name saying P&L a distribution.
 */

const KINDS = ['tournament', 'sweep', 'paper', 'run'] as const;
/** Larger files are listed but not opened: the page would not draw them usefully anyway. */
export const MAX_RESULTS_BYTES = 64 * 1024 * 1024;

export interface ResultsFileSummary {
  file: string;
  sizeBytes: number;
  header: ResultsFileHeader | null;
  /** Why the file is not shown, when it is not a results file the page can read. */
  problem: string | null;
}

export interface TableView {
  title: string;
  columns: string[];
  rows: Array<Record<string, string | number | boolean | null>>;
  truncated: boolean;
}

/**
 * Curves and distributions come in groups (a tournament's scenarios; P&L and P&L vs hold): the page
 * draws one group at a time, each member named by what tells it apart (its strategy, setting, path).
 */
export interface SeriesView {
  label: string;
  group: string;
  name: string;
  t: number[];
  equity: number[];
  inventory: number[] | null;
  mid: number[] | null;
}

export interface DistributionView {
  label: string;
  group: string;
  name: string;
  values: number[];
}

export interface BacktestView {
  file: string;
  header: ResultsFileHeader;
  tables: TableView[];
  series: SeriesView[];
  distributions: DistributionView[];
}

function headerProblem(json: unknown): string | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const h = json as Record<string, unknown>;
  if (!KINDS.includes(h.kind as (typeof KINDS)[number])) {
    return `kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(h.kind ?? null)}`;
  }
  if (typeof h.createdAt !== 'string') return 'createdAt is missing';
  return null;
}

function headerOf(json: Record<string, unknown>): ResultsFileHeader {
  return {
    kind: json.kind as ResultsFileHeader['kind'],
    createdAt: String(json.createdAt),
    command: typeof json.command === 'string' ? json.command : '',
    seed: typeof json.seed === 'number' ? json.seed : NaN,
  };
}

export async function listResults(dir: string): Promise<ResultsFileSummary[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ResultsFileSummary[] = [];
  for (const file of names.sort()) {
    const path = join(dir, file);
    const size = (await stat(path)).size;
    if (size > MAX_RESULTS_BYTES) {
      out.push({
        file,
        sizeBytes: size,
        header: null,
        problem: `larger than ${MAX_RESULTS_BYTES >> 20} MiB`,
      });
      continue;
    }
    try {
      const json = JSON.parse(await readFile(path, 'utf8')) as unknown;
      const problem = headerProblem(json);
      out.push({
        file,
        sizeBytes: size,
        header: problem ? null : headerOf(json as Record<string, unknown>),
        problem,
      });
    } catch (err) {
      out.push({ file, sizeBytes: size, header: null, problem: `not valid JSON: ${(err as Error).message}` });
    }
  }
  // Newest first: the run someone just made is the one they came to see.
  return out.sort((a, b) => (b.header?.createdAt ?? '').localeCompare(a.header?.createdAt ?? ''));
}

const isNumArray = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isPathSeries = (v: unknown): v is Record<string, unknown> & { t: number[]; equity: number[] } =>
  isRecord(v) && isNumArray(v.t) && isNumArray(v.equity);

const MAX_ROWS = 500;
const MAX_SERIES = 120;
/** Tables deeper than this are parts of a spec, not results. */
const MAX_TABLE_DEPTH = 2;
const MAX_DEPTH = 6;

/** Builds the page's tables, curves and distributions from a parsed results file. */
export function viewOf(file: string, json: unknown): BacktestView {
  const problem = headerProblem(json);
  if (problem) throw new Error(`${file} is not a backtest results file: ${problem}`);
  const root = json as Record<string, unknown>;
  const view: BacktestView = { file, header: headerOf(root), tables: [], series: [], distributions: [] };
  const walk = (v: unknown, path: string[], depth: number) => {
    if (depth > MAX_DEPTH) return;
    const label = path.join(' › ') || 'results';
    const last = path[path.length - 1] ?? 'results';
    // A numbered sample path is named by its owner: "glft #0" in the group above it.
    const numbered = /^\d+$/.test(last) && path.length >= 2;
    const name = numbered ? `${path[path.length - 2]} #${last}` : last;
    const group = path.slice(0, numbered ? -2 : -1).join(' › ') || 'results';
    if (isPathSeries(v)) {
      if (view.series.length < MAX_SERIES) {
        view.series.push({
          label,
          group,
          name,
          t: v.t,
          equity: v.equity,
          inventory: isNumArray(v.inventory) ? v.inventory : null,
          mid: isNumArray(v.mid) ? v.mid : null,
        });
      }
      return;
    }
    if (isNumArray(v)) {
      if (v.length >= 2 && /pnl|p&l|distribution/i.test(path.join('.')))
        view.distributions.push({ label, group, name, values: v });
      return;
    }
    if (Array.isArray(v)) {
      // Records are a table; their nested objects may still hold curves, so the walk goes on.
      if (path.length <= MAX_TABLE_DEPTH && v.length && v.every(isRecord) && !v.some(isPathSeries)) {
        view.tables.push(tableOf(label, v as Array<Record<string, unknown>>));
      }
      v.slice(0, MAX_SERIES).forEach((x, i) => {
        const name = isRecord(x) && typeof x.strategy === 'string' ? x.strategy : String(i);
        walk(x, [...path, name], depth + 1);
      });
      return;
    }
    if (isRecord(v)) {
      // A top-level record of figures (a single run's metrics, its spec) is a table of one row.
      const scalars = Object.values(v).filter((x) => x === null || typeof x !== 'object').length;
      if (path.length === 1 && scalars >= 3) view.tables.push(tableOf(label, [v]));
      for (const [k, x] of Object.entries(v)) {
        if (depth === 0 && ['kind', 'createdAt', 'command', 'seed'].includes(k)) continue;
        walk(x, [...path, k], depth + 1);
      }
    }
  };
  walk(root, [], 0);
  if (!view.distributions.length) {
    // No P&L arrays: a table of paths with a P&L column is the distribution (a single run's file).
    for (const t of view.tables) {
      if (t.rows.length < 2) continue;
      for (const c of t.columns.filter((c) => /pnl/i.test(c))) {
        const values = t.rows
          .map((r) => r[c])
          .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
        if (values.length === t.rows.length)
          view.distributions.push({ label: `${t.title} › ${c}`, group: t.title, name: c, values });
      }
    }
  }
  return view;
}

function tableOf(title: string, rows: Array<Record<string, unknown>>): TableView {
  const columns: string[] = [];
  for (const r of rows.slice(0, 50)) {
    for (const [k, v] of Object.entries(r)) {
      if (
        !columns.includes(k) &&
        (v === null || ['string', 'number', 'boolean'].includes(typeof v) || Array.isArray(v))
      )
        columns.push(k);
    }
  }
  const cell = (v: unknown): string | number | boolean | null =>
    v === null || v === undefined
      ? null
      : typeof v === 'number' || typeof v === 'boolean'
        ? v
        : Array.isArray(v)
          ? v.map(String).join(', ')
          : String(v);
  return {
    title,
    columns,
    rows: rows.slice(0, MAX_ROWS).map((r) => Object.fromEntries(columns.map((c) => [c, cell(r[c])]))),
    truncated: rows.length > MAX_ROWS,
  };
}

export async function readResults(dir: string, file: string): Promise<BacktestView | undefined> {
  const path = join(dir, file);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return undefined;
  }
  if (size > MAX_RESULTS_BYTES) throw new Error(`${file} is larger than ${MAX_RESULTS_BYTES >> 20} MiB`);
  return viewOf(file, JSON.parse(await readFile(path, 'utf8')));
}
