import { parseAssetSymbol } from '../../domain/assets';
import { DomainValidationError } from '../../domain/errors';
import { Big, divideAt, formatDecimal, modelNumberToBig, parseDecimal } from '../../domain/money';
import { SECONDS_PER_YEAR, mulberry32, normalSampler } from './simulated-gbm';
import type { Clock, PriceFeed, PriceTick } from './port';

/*
 * Several assets moving together: one geometric Brownian motion per asset priced in the numeraire
 * (the legs, e.g. BTC/USDC, ETH/USDC, SOL/USDC), their shocks correlated through the Cholesky factor
 * of a correlation matrix, and cross rates (ETH/BTC) derived from the legs as emitted, so a cross is
 * always its legs' ratio rounded to its own tick and no triangular arbitrage appears between feeds.
 *
 * Every feed of a market shares one path: polling any of them advances the market to the clock, and
 * each feed emits the market's current step once. Like SimulatedGbmFeed, whole elapsed steps are
 * taken as one draw of the combined interval (exact for GBM with constant parameters), and the path
 * is kept unrounded; only emitted prices are rounded (half-even) to the pair's tick.
 */

export interface CorrelatedLeg {
  /** Priced in the market's numeraire: the leg of "ETH" is ETH/USDC. */
  asset: string;
  initialPrice: string;
  /** sigma per `timeBasis` unit (annualised by default). */
  volatility: number;
  drift?: number;
  tickSize: string;
}

export interface CrossRate {
  /** Both must be legs of the market: ETH/BTC is the ETH leg over the BTC leg. */
  base: string;
  quote: string;
  tickSize: string;
}

export interface CorrelatedGbmOptions {
  seed: number;
  numeraire: string;
  legs: readonly CorrelatedLeg[];
  /** Correlation of the legs' log returns, in the order of `legs`: symmetric, unit diagonal, positive definite. */
  correlation: readonly (readonly number[])[];
  crosses?: readonly CrossRate[];
  stepMs: number;
  timeBasis?: 'year' | 'second';
  clock?: Clock;
  /** Feed names; default "ETH-USDC-SIM", as the demo's single feed is named. */
  feedName?: (base: string, quote: string) => string;
}

/** Symmetry and unit-diagonal tolerance for a matrix typed by hand or computed in floating point. */
const MATRIX_TOLERANCE = 1e-9;
/** A pivot this small means the matrix is singular for practical purposes (a correlation of 1). */
const MIN_PIVOT = 1e-12;

/**
 * Lower-triangular L with L Lᵀ = matrix. Refuses, naming the first offending entry, any matrix that
 * is not a correlation matrix a set of assets can have: not square, not symmetric, a diagonal other
 * than 1, an entry outside [-1, 1], or not positive definite (e.g. A and B and B and C at +0.9 but
 * A and C at -0.9; or two assets at exactly 1, which makes them one asset: use one leg, or 0.9999).
 */
export function choleskyFactor(
  matrix: readonly (readonly number[])[],
  names?: readonly string[],
): number[][] {
  const n = matrix.length;
  const name = (i: number) => names?.[i] ?? `#${i}`;
  const fail = (message: string): never => {
    throw new DomainValidationError('correlation', `correlation ${message}`);
  };
  if (n === 0) fail('must have at least one row');
  matrix.forEach((row, i) => {
    if (row.length !== n)
      fail(`must be square (${n} x ${n}, one row and column per leg), row ${i} has ${row.length} entries`);
    row.forEach((v, j) => {
      if (!Number.isFinite(v) || v < -1 || v > 1)
        fail(`[${i}][${j}] (${name(i)}, ${name(j)}) must be a number from -1 to 1, got ${String(v)}`);
    });
  });
  for (let i = 0; i < n; i++) {
    if (Math.abs(matrix[i]![i]! - 1) > MATRIX_TOLERANCE)
      fail(`[${i}][${i}] (${name(i)} with itself) must be 1, got ${matrix[i]![i]}`);
    for (let j = 0; j < i; j++) {
      if (Math.abs(matrix[i]![j]! - matrix[j]![i]!) > MATRIX_TOLERANCE) {
        fail(
          `must be symmetric: [${i}][${j}] is ${matrix[i]![j]} but [${j}][${i}] is ${matrix[j]![i]} (${name(i)}, ${name(j)})`,
        );
      }
    }
  }
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = matrix[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (s <= MIN_PIVOT) {
          fail(
            `is not positive definite: ${name(i)}'s returns are (almost) fully determined by the legs before it ` +
              `(remaining variance ${s.toPrecision(3)}); these correlations cannot hold together. Lower the largest ` +
              `ones, or check signs: a and b at +0.9 and b and c at +0.9 require a and c well above 0`,
          );
        }
        L[i]![i] = Math.sqrt(s);
      } else {
        L[i]![j] = s / L[j]![j]!;
      }
    }
  }
  return L;
}

/**
 * Correlated standard normal shocks from independent ones: z = L eps with L from choleskyFactor.
 * The backtester's correlated paths (backtest/scenario-paths.ts) draw their legs through this too,
 * so the run command's feeds and the backtests share one definition of "correlated".
 */
export function correlateShocks(factor: readonly (readonly number[])[], eps: readonly number[]): number[] {
  return factor.map((row, i) => {
    let z = 0;
    for (let k = 0; k <= i; k++) z += row[k]! * eps[k]!;
    return z;
  });
}

/** Half-even to the tick: a cross rate or a leg lands on its pair's grid without a bias either way. */
export function roundToTick(value: Big, tick: Big): Big {
  return divideAt(value, tick, 0, Big.roundHalfEven).times(tick);
}

interface LegState {
  asset: string;
  tick: Big;
  mu: number;
  sigma: number;
  value: number;
}

/** The shared path of a set of correlated feeds. */
export class CorrelatedGbmMarket {
  readonly numeraire: string;
  private readonly legs: LegState[];
  private readonly factor: number[][];
  private readonly crosses: { base: number; quote: number; tick: Big; pair: string }[];
  private readonly normal: () => number;
  private readonly clock: Clock;
  private readonly stepMs: number;
  private readonly stepInBasisUnits: number;
  private readonly names: (base: string, quote: string) => string;
  private startMs: number | null = null;
  private lastMs = 0;
  /** Advanced on every move; feeds emit when theirs lags it. */
  private step = -1;
  private prices: Map<string, Big> | null = null;

  constructor(opts: CorrelatedGbmOptions) {
    if (!Number.isFinite(opts.seed))
      throw new DomainValidationError('seed', `seed must be a finite number, got ${String(opts.seed)}`);
    if (!Number.isInteger(opts.stepMs) || opts.stepMs < 1) {
      throw new DomainValidationError(
        'stepMs',
        `stepMs must be an integer of at least 1, got ${String(opts.stepMs)}`,
      );
    }
    this.numeraire = parseAssetSymbol(opts.numeraire, 'numeraire');
    if (opts.legs.length === 0) throw new DomainValidationError('legs', 'legs must name at least one asset');
    const index = new Map<string, number>();
    this.legs = opts.legs.map((leg, i) => {
      const field = `legs[${i}]`;
      const asset = parseAssetSymbol(leg.asset, `${field}.asset`);
      if (asset === this.numeraire || index.has(asset)) {
        throw new DomainValidationError(
          `${field}.asset`,
          `${field}.asset "${asset}" ${asset === this.numeraire ? 'is the numeraire, which has no leg' : 'is listed twice'}`,
        );
      }
      index.set(asset, i);
      for (const key of ['volatility', 'drift'] as const) {
        const v = leg[key] ?? 0;
        if (!Number.isFinite(v) || (key === 'volatility' && v < 0)) {
          throw new DomainValidationError(
            `${field}.${key}`,
            `${field}.${key} must be a finite number${key === 'volatility' ? ' >= 0' : ''}, got ${String(v)}`,
          );
        }
      }
      const initial = parseDecimal(leg.initialPrice, `${field}.initialPrice`, { allowZero: false });
      const tick = parseDecimal(leg.tickSize, `${field}.tickSize`, { allowZero: false });
      return { asset, tick, mu: leg.drift ?? 0, sigma: leg.volatility, value: Number(initial.toFixed()) };
    });
    if (opts.correlation.length !== this.legs.length) {
      throw new DomainValidationError(
        'correlation',
        `correlation must be ${this.legs.length} x ${this.legs.length}, one row and column per leg (${this.legs.map((l) => l.asset).join(', ')}), got ${opts.correlation.length} rows`,
      );
    }
    this.factor = choleskyFactor(
      opts.correlation,
      this.legs.map((l) => l.asset),
    );
    this.names = opts.feedName ?? ((base, quote) => `${base}-${quote}-SIM`);
    this.crosses = (opts.crosses ?? []).map((c, i) => {
      const field = `crosses[${i}]`;
      const leg = (side: 'base' | 'quote') => {
        const asset = parseAssetSymbol(c[side], `${field}.${side}`);
        const at = index.get(asset);
        if (at === undefined) {
          throw new DomainValidationError(
            `${field}.${side}`,
            `${field}.${side} "${asset}" has no leg; a cross rate is derived from two legs (${[...index.keys()].join(', ')})`,
          );
        }
        return at;
      };
      const base = leg('base');
      const quote = leg('quote');
      if (base === quote)
        throw new DomainValidationError(`${field}.quote`, `${field}.quote must differ from its base`);
      return {
        base,
        quote,
        tick: parseDecimal(c.tickSize, `${field}.tickSize`, { allowZero: false }),
        pair: `${c.base}/${c.quote}`,
      };
    });
    this.normal = normalSampler(mulberry32(opts.seed));
    this.clock = opts.clock ?? Date.now;
    this.stepMs = opts.stepMs;
    const basisSeconds = (opts.timeBasis ?? 'year') === 'year' ? SECONDS_PER_YEAR : 1;
    this.stepInBasisUnits = opts.stepMs / 1000 / basisSeconds;
  }

  /** One feed per leg (ASSET/numeraire) and per cross, in that order. */
  feeds(): PriceFeed[] {
    return [...this.legs.map((l) => `${l.asset}/${this.numeraire}`), ...this.crosses.map((c) => c.pair)].map(
      (pair) => this.feed(pair),
    );
  }

  /** The feed of one pair, e.g. "ETH/BTC". */
  feed(pair: string): PriceFeed {
    const known = this.pairs();
    if (!known.includes(pair)) {
      throw new DomainValidationError(
        'pair',
        `pair "${pair}" is not simulated by this market; its pairs: ${known.join(', ')}`,
      );
    }
    const [base, quote] = pair.split('/') as [string, string];
    const name = this.names(base, quote);
    let emitted = -1;
    return {
      name,
      next: async (): Promise<PriceTick | null> => {
        const prices = this.advance();
        if (emitted === this.step) return null;
        emitted = this.step;
        return { feed: name, price: formatDecimal(prices.get(pair)!), observedAtMs: this.lastMs };
      },
    };
  }

  pairs(): string[] {
    return [...this.legs.map((l) => `${l.asset}/${this.numeraire}`), ...this.crosses.map((c) => c.pair)];
  }

  /** Every pair's price at the clock's current step: what a backtester reads once per step. */
  snapshot(): { observedAtMs: number; prices: Map<string, Big> } {
    const prices = this.advance();
    return { observedAtMs: this.lastMs, prices: new Map(prices) };
  }

  private advance(): Map<string, Big> {
    const now = this.clock();
    if (!Number.isFinite(now)) {
      throw new DomainValidationError('clock', `clock must return epoch milliseconds, got ${String(now)}`);
    }
    if (this.startMs === null) {
      this.startMs = now;
      this.lastMs = now;
      this.step = 0;
      this.prices = this.emit();
      return this.prices;
    }
    const steps = Math.floor((now - this.lastMs) / this.stepMs);
    if (steps > 0) {
      this.move(steps);
      this.prices = this.emit();
    }
    return this.prices!;
  }

  private move(steps: number): void {
    const dt = steps * this.stepInBasisUnits;
    const z = correlateShocks(
      this.factor,
      this.legs.map(() => this.normal()),
    );
    this.legs.forEach((leg, i) => {
      leg.value *= Math.exp((leg.mu - (leg.sigma * leg.sigma) / 2) * dt + leg.sigma * Math.sqrt(dt) * z[i]!);
    });
    this.lastMs += steps * this.stepMs;
    this.step++;
  }

  private emit(): Map<string, Big> {
    const out = new Map<string, Big>();
    const legPrices = this.legs.map((leg) => {
      const rounded = roundToTick(modelNumberToBig(leg.value, `${leg.asset}.price`), leg.tick);
      // A path this far down is a nonsense configuration; stay at one tick rather than emit zero.
      const price = rounded.gt(0) ? rounded : leg.tick;
      out.set(`${leg.asset}/${this.numeraire}`, price);
      return price;
    });
    for (const c of this.crosses) {
      const ratio = divideAt(legPrices[c.base]!, legPrices[c.quote]!, CROSS_DECIMALS, Big.roundHalfEven);
      const rounded = roundToTick(ratio, c.tick);
      out.set(c.pair, rounded.gt(0) ? rounded : c.tick);
    }
    return out;
  }
}

/*
 * The ratio is taken to far more places than any tick before it is rounded to the tick, so the
 * cross is the exact ratio rounded once (a double rounding could only differ on an exact tie at 40
 * places).
 */
const CROSS_DECIMALS = 40;
