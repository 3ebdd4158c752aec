/*
 * Price paths of the scenario library beyond plain GBM: Merton jumps, Markov volatility regimes and
 * CSV replay. Same shape as the engine's generatePath: `steps + 1` mids, index 0 at s0 (CSV: the
 * file's first price), one every dtSeconds, drawn only from the injected uniform generator so a
 * seed fixes the path. Relative parameters are per year (365-day, the simulated feed's basis).
 */
import { readFileSync } from 'node:fs';
import { CsvFormatError, parseCsvTicks } from '../adapters/price-feed/csv-replay';
import { normalSampler, SECONDS_PER_YEAR } from '../adapters/price-feed/simulated-gbm';
import { parseDecimal } from '../domain/money';
import { poissonSample } from '../sim/takers';
import type { PriceProcessSpec, Rng } from './types';

export type JumpSpec = Extract<PriceProcessSpec, { kind: 'jump' }>;
export type RegimeSwitchSpec = Extract<PriceProcessSpec, { kind: 'regime_switch' }>;
export type CsvSpec = Extract<PriceProcessSpec, { kind: 'csv' }>;
export type ScenarioPriceSpec = JumpSpec | RegimeSwitchSpec | CsvSpec;

function need(ok: boolean, field: string, got: unknown, what: string): void {
  if (!ok) throw new RangeError(`price.${field} must be ${what}, got ${String(got)}`);
}

function checkGrid(steps: number, dtSeconds: number, s0: number): void {
  need(Number.isInteger(steps) && steps >= 0, 'steps', steps, 'a whole number >= 0');
  need(Number.isFinite(dtSeconds) && dtSeconds > 0, 'dtSeconds', dtSeconds, 'a positive number of seconds');
  need(Number.isFinite(s0) && s0 > 0, 's0', s0, 'a positive price');
}

/**
 * Merton (1976) jump diffusion: GBM plus Poisson jumps whose log size is normal. The drift is
 * compensated (minus lambda kappa, kappa = E[e^J] - 1) so `drift` stays the expected growth rate
 * whatever the jumps, and a jump scenario differs from the calm one in risk, not in mean.
 */
export function jumpPath(
  spec: JumpSpec,
  rng: Rng,
  steps: number,
  dtSeconds: number,
  s0: number,
): Float64Array {
  checkGrid(steps, dtSeconds, s0);
  need(Number.isFinite(spec.volatility) && spec.volatility >= 0, 'volatility', spec.volatility, '>= 0');
  need(Number.isFinite(spec.drift), 'drift', spec.drift, 'a finite number');
  need(
    Number.isFinite(spec.jumpsPerYear) && spec.jumpsPerYear >= 0,
    'jumpsPerYear',
    spec.jumpsPerYear,
    '>= 0',
  );
  need(Number.isFinite(spec.jumpMean), 'jumpMean', spec.jumpMean, 'a finite log size');
  need(Number.isFinite(spec.jumpStd) && spec.jumpStd >= 0, 'jumpStd', spec.jumpStd, '>= 0');
  const normal = normalSampler(rng);
  const dt = dtSeconds / SECONDS_PER_YEAR;
  const kappa = Math.exp(spec.jumpMean + (spec.jumpStd * spec.jumpStd) / 2) - 1;
  const driftPerStep =
    (spec.drift - (spec.volatility * spec.volatility) / 2 - spec.jumpsPerYear * kappa) * dt;
  const volPerStep = spec.volatility * Math.sqrt(dt);
  const jumpsPerStep = spec.jumpsPerYear * dt;
  const out = new Float64Array(steps + 1);
  out[0] = s0;
  let logS = Math.log(s0);
  for (let i = 1; i <= steps; i++) {
    let x = driftPerStep + volPerStep * normal();
    const n = poissonSample(jumpsPerStep, rng);
    for (let j = 0; j < n; j++) x += spec.jumpMean + spec.jumpStd * normal();
    logS += x;
    out[i] = Math.exp(logS);
  }
  return out;
}

/**
 * GBM whose volatility follows a continuous-time Markov chain over the regimes: in regime i the
 * chain leaves at leaveRatePerYear (probability 1 - e^(-rate dt) per step) for one of the others,
 * uniformly. Starts in regime 0. Returns the regime of each step too, for charts and tests.
 */
export function regimeSwitchSimulation(
  spec: RegimeSwitchSpec,
  rng: Rng,
  steps: number,
  dtSeconds: number,
  s0: number,
): { prices: Float64Array; regime: Uint8Array } {
  checkGrid(steps, dtSeconds, s0);
  need(Number.isFinite(spec.drift), 'drift', spec.drift, 'a finite number');
  need(
    Array.isArray(spec.regimes) && spec.regimes.length >= 1 && spec.regimes.length <= 255,
    'regimes',
    spec.regimes?.length,
    'a list of 1 to 255 regimes',
  );
  spec.regimes.forEach((r, i) => {
    need(
      Number.isFinite(r.volatility) && r.volatility >= 0,
      `regimes[${i}].volatility`,
      r.volatility,
      '>= 0',
    );
    need(
      Number.isFinite(r.leaveRatePerYear) && r.leaveRatePerYear >= 0,
      `regimes[${i}].leaveRatePerYear`,
      r.leaveRatePerYear,
      '>= 0',
    );
  });
  const normal = normalSampler(rng);
  const dt = dtSeconds / SECONDS_PER_YEAR;
  const sqrtDt = Math.sqrt(dt);
  const leaveProb = spec.regimes.map((r) =>
    spec.regimes.length > 1 ? 1 - Math.exp(-r.leaveRatePerYear * dt) : 0,
  );
  const prices = new Float64Array(steps + 1);
  const regime = new Uint8Array(steps + 1);
  prices[0] = s0;
  let logS = Math.log(s0);
  let r = 0;
  for (let i = 1; i <= steps; i++) {
    if (rng() < leaveProb[r]!) {
      // Uniform over the other regimes: draw among n - 1 and skip the current one.
      const to = Math.floor(rng() * (spec.regimes.length - 1));
      r = to >= r ? to + 1 : to;
    }
    const vol = spec.regimes[r]!.volatility;
    logS += (spec.drift - (vol * vol) / 2) * dt + vol * sqrtDt * normal();
    prices[i] = Math.exp(logS);
    regime[i] = r;
  }
  return { prices, regime };
}

export function regimeSwitchPath(
  spec: RegimeSwitchSpec,
  rng: Rng,
  steps: number,
  dtSeconds: number,
  s0: number,
): Float64Array {
  return regimeSwitchSimulation(spec, rng, steps, dtSeconds, s0).prices;
}

/** Prices of a CSV file in order, with their times when the file has them. */
export interface CsvPrices {
  source: string;
  prices: number[];
  /** Epoch milliseconds per row, or null for a `price`-only file (one row per step). */
  timesMs: number[] | null;
  /** 1-based line of each row, for messages. */
  lines: number[];
}

const HEADER_WORD = /^[A-Za-z_][A-Za-z0-9_ ()-]*$/;
const splitFields = (line: string) => line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));

/**
 * Reads `timestamp,price` (ISO-8601 with a zone, or epoch milliseconds; strictly increasing) or
 * `price` lines. Blank lines and `#` comments are skipped; a first line of plain words is a header.
 * A bad row is refused with its line number and what was expected.
 */
export function parseCsvPrices(text: string, source = 'CSV'): CsvPrices {
  const lines = text.split(/\r?\n/);
  let firstData: string[] | null = null;
  let firstDataLine = 0;
  let headerSeen = false;
  for (let i = 0; i < lines.length && firstData === null; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = splitFields(line);
    if (!headerSeen && fields.every((f) => HEADER_WORD.test(f))) {
      headerSeen = true;
      continue;
    }
    firstData = fields;
    firstDataLine = i + 1;
  }
  if (firstData === null) {
    throw new CsvFormatError(
      source,
      lines.length,
      'contains no data rows; expected "timestamp,price" or "price" lines',
    );
  }
  if (firstData.length === 2) {
    const rows = parseCsvTicks(text, source);
    return {
      source,
      prices: rows.map((r) => Number(r.price)),
      timesMs: rows.map((r) => r.observedAtMs),
      lines: rows.map((r) => r.line),
    };
  }
  if (firstData.length !== 1) {
    throw new CsvFormatError(
      source,
      firstDataLine,
      `has ${firstData.length} fields; expected "timestamp,price" or a single "price" per line`,
    );
  }
  const prices: number[] = [];
  const lineNos: number[] = [];
  let sawContent = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = splitFields(line);
    if (!sawContent) {
      sawContent = true;
      if (fields.every((f) => HEADER_WORD.test(f))) continue;
    }
    if (fields.length !== 1) {
      throw new CsvFormatError(
        source,
        i + 1,
        `has ${fields.length} fields (${JSON.stringify(line.slice(0, 60))}); this file is "price" per line, as its first row`,
      );
    }
    let price: number;
    try {
      price = Number(parseDecimal(fields[0]!, 'price', { allowZero: false }).toString());
    } catch (err) {
      throw new CsvFormatError(source, i + 1, `${(err as Error).message}; expected a positive decimal price`);
    }
    prices.push(price);
    lineNos.push(i + 1);
  }
  return { source, prices, timesMs: null, lines: lineNos };
}

/**
 * The file's prices on the backtest's grid: for a timed file the last price at or before each step
 * (t0 = the first row), for a price-only file one row per step. Refuses a file shorter than the run
 * rather than inventing prices past its end.
 */
export function resampleCsv(csv: CsvPrices, steps: number, dtSeconds: number): Float64Array {
  checkGrid(steps, dtSeconds, 1);
  const out = new Float64Array(steps + 1);
  if (csv.timesMs === null) {
    if (csv.prices.length < steps + 1) {
      throw new RangeError(
        `${csv.source} has ${csv.prices.length} prices but the run needs ${steps + 1} (steps + 1, one per step); lower --steps or use a longer file`,
      );
    }
    for (let i = 0; i <= steps; i++) out[i] = csv.prices[i]!;
    return out;
  }
  const t0 = csv.timesMs[0]!;
  const span = csv.timesMs[csv.timesMs.length - 1]! - t0;
  const needMs = steps * dtSeconds * 1000;
  if (span < needMs) {
    throw new RangeError(
      `${csv.source} spans ${span / 1000} s but the run needs ${needMs / 1000} s (${steps} steps of ${dtSeconds} s); lower --steps or use a longer file`,
    );
  }
  let row = 0;
  for (let i = 0; i <= steps; i++) {
    const t = t0 + i * dtSeconds * 1000;
    while (row + 1 < csv.timesMs.length && csv.timesMs[row + 1]! <= t) row++;
    out[i] = csv.prices[row]!;
  }
  return out;
}

// Worker threads replay one file over many paths: read and parse it once per thread.
const csvCache = new Map<string, CsvPrices>();

export function loadCsvPrices(file: string): CsvPrices {
  let csv = csvCache.get(file);
  if (!csv) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read price file ${file}: ${(err as Error).message}`);
    }
    csv = parseCsvPrices(text, file);
    csvCache.set(file, csv);
  }
  return csv;
}

/** A replayed file is one path: every path of the run sees the same prices, and s0 is the file's. */
export function csvPath(spec: CsvSpec, _rng: Rng, steps: number, dtSeconds: number): Float64Array {
  return resampleCsv(loadCsvPrices(spec.file), steps, dtSeconds);
}

/** The scenario kinds this module draws; gbm and binomial_walk are the engine's (backtest/paths.ts). */
export function isScenarioPriceSpec(spec: PriceProcessSpec): spec is ScenarioPriceSpec {
  return spec.kind === 'jump' || spec.kind === 'regime_switch' || spec.kind === 'csv';
}

export function scenarioPath(
  spec: ScenarioPriceSpec,
  rng: Rng,
  steps: number,
  dtSeconds: number,
  s0: number,
): Float64Array {
  switch (spec.kind) {
    case 'jump':
      return jumpPath(spec, rng, steps, dtSeconds, s0);
    case 'regime_switch':
      return regimeSwitchPath(spec, rng, steps, dtSeconds, s0);
    case 'csv':
      return csvPath(spec, rng, steps, dtSeconds);
  }
}
