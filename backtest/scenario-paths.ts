/*
 * Price paths of the scenario library beyond plain GBM: Merton jumps, Markov volatility regimes,
 * CSV replay and one pair of a set of correlated assets. Same shape as the engine's generatePath: `steps + 1` mids, index 0 at s0 (CSV: the
 * file's first price), one every dtSeconds, drawn only from the injected uniform generator so a
 * seed fixes the path. Relative parameters are per year (365-day, the simulated feed's basis).
 */
import { readFileSync } from 'node:fs';
import { CsvFormatError, parseCsvTicks } from '../adapters/price-feed/csv-replay';
import { choleskyFactor, correlateShocks } from '../adapters/price-feed/correlated';
import { normalSampler, SECONDS_PER_YEAR } from '../adapters/price-feed/simulated-gbm';
import { legCorrelationMatrix } from '../domain/desk';
import { parseDecimal } from '../domain/money';
import { parsePairSymbol } from '../domain/pairs';
import { poissonSample } from '../sim/takers';
import type { PriceProcessSpec, Rng } from './types';

export type JumpSpec = Extract<PriceProcessSpec, { kind: 'jump' }>;
export type RegimeSwitchSpec = Extract<PriceProcessSpec, { kind: 'regime_switch' }>;
export type CsvSpec = Extract<PriceProcessSpec, { kind: 'csv' }>;
export type CorrelatedSpec = Extract<PriceProcessSpec, { kind: 'correlated' }>;
export type ScenarioPriceSpec = JumpSpec | RegimeSwitchSpec | CsvSpec | CorrelatedSpec;

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

interface CorrelatedModel {
  assets: string[];
  factor: number[][];
  matrix: number[][];
  /** Index of the pair's base leg, and of its quote leg (null when the quote is the numeraire). */
  base: number;
  quote: number | null;
  /** The pair's price at the legs' initial prices. */
  start: number;
}

/*
 * How far the pool's s0 may sit from the legs' ratio: a ratio rounded to a pair's tick, which
 * domain/pairs.ts keeps within 1 bp of the price (MAX_TICK_BPS).
 */
const S0_TOLERANCE = 1e-4;

/** Checks a correlated spec and builds its Cholesky factor (the run command's, with its messages). */
export function correlatedModel(spec: CorrelatedSpec): CorrelatedModel {
  need(typeof spec.numeraire === 'string' && spec.numeraire !== '', 'numeraire', spec.numeraire, 'an asset');
  need(
    Array.isArray(spec.assets) && spec.assets.length >= 1,
    'assets',
    spec.assets?.length,
    'a list of legs',
  );
  const assets = spec.assets.map((a, i) => {
    need(
      typeof a.asset === 'string' && a.asset !== spec.numeraire,
      `assets[${i}].asset`,
      a.asset,
      `an asset other than the numeraire ${spec.numeraire}`,
    );
    need(
      Number.isFinite(a.initialPrice) && a.initialPrice > 0,
      `assets[${i}].initialPrice`,
      a.initialPrice,
      '> 0',
    );
    need(Number.isFinite(a.volatility) && a.volatility >= 0, `assets[${i}].volatility`, a.volatility, '>= 0');
    need(Number.isFinite(a.drift ?? 0), `assets[${i}].drift`, a.drift, 'a finite number');
    return a.asset;
  });
  assets.forEach((a, i) => need(assets.indexOf(a) === i, `assets[${i}].asset`, a, 'listed once'));
  const matrix =
    typeof spec.correlation === 'number'
      ? legCorrelationMatrix(assets, spec.correlation)
      : spec.correlation.map((row) => [...row]);
  need(
    matrix.length === assets.length,
    'correlation',
    `${matrix.length} rows`,
    `${assets.length} x ${assets.length}, one row and column per asset (${assets.join(', ')})`,
  );
  const factor = choleskyFactor(matrix, assets);
  const { base, quote } = parsePairSymbol(spec.pair, 'price.pair');
  const baseAt = assets.indexOf(base);
  const quoteAt = quote === spec.numeraire ? null : assets.indexOf(quote);
  need(
    baseAt >= 0 && quoteAt !== -1 && base !== quote,
    'pair',
    spec.pair,
    `two of the assets (${assets.join(', ')}) or one over the numeraire ${spec.numeraire}`,
  );
  const price = (at: number | null) => (at === null ? 1 : spec.assets[at]!.initialPrice);
  return { assets, factor, matrix, base: baseAt, quote: quoteAt, start: price(baseAt) / price(quoteAt) };
}

/**
 * Every leg's path and the pair's: each step draws one independent normal per leg from `rng`,
 * correlates them through the Cholesky factor, moves each leg's log price as GBM, and divides the
 * base leg by the quote leg, so the pair's mid is its legs' ratio at every step (no triangular
 * arbitrage against the legs). Index 0 is the legs' initial prices.
 */
export function correlatedSimulation(
  spec: CorrelatedSpec,
  rng: Rng,
  steps: number,
  dtSeconds: number,
  s0: number,
): { prices: Float64Array; legs: Record<string, Float64Array> } {
  checkGrid(steps, dtSeconds, s0);
  const m = correlatedModel(spec);
  if (Math.abs(s0 / m.start - 1) > S0_TOLERANCE) {
    throw new RangeError(
      `price.pair ${spec.pair} starts at its legs' ratio ${m.start} but the pool's s0 is ${s0}; set pool.s0 to that ratio (on the pair's tick) or change the assets' initialPrice`,
    );
  }
  const normal = normalSampler(rng);
  const dt = dtSeconds / SECONDS_PER_YEAR;
  const sqrtDt = Math.sqrt(dt);
  const driftPerStep = spec.assets.map((a) => ((a.drift ?? 0) - (a.volatility * a.volatility) / 2) * dt);
  const logS = spec.assets.map((a) => Math.log(a.initialPrice));
  const legs = spec.assets.map((a) => {
    const path = new Float64Array(steps + 1);
    path[0] = a.initialPrice;
    return path;
  });
  for (let i = 1; i <= steps; i++) {
    const z = correlateShocks(
      m.factor,
      m.assets.map(() => normal()),
    );
    for (let j = 0; j < legs.length; j++) {
      logS[j]! += driftPerStep[j]! + spec.assets[j]!.volatility * sqrtDt * z[j]!;
      legs[j]![i] = Math.exp(logS[j]!);
    }
  }
  const baseLeg = legs[m.base]!;
  const quoteLeg = m.quote === null ? null : legs[m.quote]!;
  const prices = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) prices[i] = quoteLeg ? baseLeg[i]! / quoteLeg[i]! : baseLeg[i]!;
  return { prices, legs: Object.fromEntries(m.assets.map((a, j) => [a, legs[j]!])) };
}

export function correlatedPath(
  spec: CorrelatedSpec,
  rng: Rng,
  steps: number,
  dtSeconds: number,
  s0: number,
): Float64Array {
  return correlatedSimulation(spec, rng, steps, dtSeconds, s0).prices;
}

/**
 * The pair's volatility per year: the base leg's when the quote is the numeraire, else that of
 * the log ratio, sqrt(sb^2 + sq^2 - 2 rho sb sq). What `view.volatility: 'known'` tells a strategy.
 */
export function correlatedPairVolatility(spec: CorrelatedSpec): number {
  const m = correlatedModel(spec);
  const sb = spec.assets[m.base]!.volatility;
  if (m.quote === null) return sb;
  const sq = spec.assets[m.quote]!.volatility;
  const rho = m.matrix[m.base]![m.quote]!;
  return Math.sqrt(Math.max(0, sb * sb + sq * sq - 2 * rho * sb * sq));
}

/** The scenario kinds this module draws; gbm and binomial_walk are the engine's (backtest/paths.ts). */
export function isScenarioPriceSpec(spec: PriceProcessSpec): spec is ScenarioPriceSpec {
  return (
    spec.kind === 'jump' || spec.kind === 'regime_switch' || spec.kind === 'csv' || spec.kind === 'correlated'
  );
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
    case 'correlated':
      return correlatedPath(spec, rng, steps, dtSeconds, s0);
  }
}
