import { DomainValidationError } from '../../domain/errors';
import { Big, formatDecimal, modelNumberToBig, parseDecimal } from '../../domain/money';
import type { Clock, PriceFeed, PriceTick } from './port';

/** Seconds in a 365-day year: crypto venues trade around the clock, so no trading-day calendar. */
export const SECONDS_PER_YEAR = 365 * 24 * 60 * 60;

/** A scheduled change, relative to the first tick, so a demo can script a volatility spike or a crash. */
export interface GbmRegimeChange {
  /** Milliseconds after the first tick; applied at the first step boundary at or after it. */
  atElapsedMs: number;
  /** Replaces the scheduled multiplier (the run-time one from setVolatilityMultiplier still applies on top). */
  volatilityMultiplier?: number;
  /** One-off jump of the price by this fraction: -0.1 is a 10% drop. Must be greater than -1. */
  jumpFraction?: number;
}

export interface SimulatedGbmOptions {
  name: string;
  /** Same seed and same clock readings give the same series. Coerced to an unsigned 32-bit integer. */
  seed: number;
  /** Decimal string, e.g. "2000". */
  initialPrice: string;
  /** mu, per `timeBasis` unit (default 0). The expected price grows as exp(mu * t). */
  drift?: number;
  /**
   * sigma, the standard deviation of log returns per `timeBasis` unit: with the default basis
   * 'year', 0.8 means 80% annualised volatility, i.e. 0.8 * sqrt(stepSeconds / SECONDS_PER_YEAR)
   * per step; with 'second', sigma * sqrt(stepSeconds).
   */
  volatility: number;
  timeBasis?: 'year' | 'second';
  /** Simulated time step. Timestamps sit on a grid of this step anchored at the first tick. */
  stepMs: number;
  /** Emitted prices are rounded (half-even) to this many decimals. */
  decimals: number;
  clock?: Clock;
  regimes?: readonly GbmRegimeChange[];
}

/** mulberry32: tiny, fast, good enough for simulation, and identical on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box-Muller; both outputs of each pair are used so no entropy is wasted. */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    // 1 - u lies in (0, 1], so the log is finite.
    const u1 = 1 - uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

function requireFinite(value: number, field: string, min?: number): void {
  if (!Number.isFinite(value) || (min !== undefined && value < min)) {
    const bound = min === undefined ? '' : ` >= ${min}`;
    throw new DomainValidationError(field, `${field} must be a finite number${bound}, got ${String(value)}`);
  }
}

function requireInteger(value: number, field: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DomainValidationError(
      field,
      `${field} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
}

/**
 * Geometric Brownian motion: S(t+dt) = S(t) * exp((mu - sigma^2/2) dt + sigma sqrt(dt) Z).
 *
 * The path advances on the clock: each next() moves it by the whole steps elapsed since the last
 * tick and returns null when no step has elapsed. Several elapsed steps are taken as one draw of
 * the combined interval, which has exactly the same distribution for GBM, so a feed left unpolled
 * for hours does not replay millions of steps. The path itself is kept unrounded as a double;
 * only the emitted price is rounded, so rounding never accumulates along the path.
 */
export class SimulatedGbmFeed implements PriceFeed {
  readonly name: string;
  private readonly normal: () => number;
  private readonly clock: Clock;
  private readonly stepMs: number;
  private readonly decimals: number;
  private readonly minPrice: Big;
  private readonly mu: number;
  private readonly sigma: number;
  private readonly stepInBasisUnits: number;
  private readonly regimes: GbmRegimeChange[];
  private nextRegime = 0;
  private scheduledMultiplier = 1;
  private runtimeMultiplier = 1;
  private value: number;
  private startMs: number | null = null;
  private lastMs = 0;

  constructor(opts: SimulatedGbmOptions) {
    if (opts.name.trim() === '')
      throw new DomainValidationError('name', 'name must be a non-empty feed name');
    requireFinite(opts.seed, 'seed');
    requireInteger(opts.stepMs, 'stepMs', 1, Number.MAX_SAFE_INTEGER);
    requireInteger(opts.decimals, 'decimals', 0, 30);
    requireFinite(opts.volatility, 'volatility', 0);
    requireFinite(opts.drift ?? 0, 'drift');
    const initial = parseDecimal(opts.initialPrice, 'initialPrice', { allowZero: false });
    opts.regimes?.forEach((r, i) => {
      requireFinite(r.atElapsedMs, `regimes[${i}].atElapsedMs`, 0);
      if (r.volatilityMultiplier !== undefined)
        requireFinite(r.volatilityMultiplier, `regimes[${i}].volatilityMultiplier`, 0);
      if (r.jumpFraction !== undefined && (!Number.isFinite(r.jumpFraction) || r.jumpFraction <= -1)) {
        throw new DomainValidationError(
          `regimes[${i}].jumpFraction`,
          `regimes[${i}].jumpFraction must be a finite number greater than -1 (a price cannot fall by 100% or more), got ${String(r.jumpFraction)}`,
        );
      }
    });

    this.name = opts.name;
    this.normal = normalSampler(mulberry32(opts.seed));
    this.clock = opts.clock ?? Date.now;
    this.stepMs = opts.stepMs;
    this.decimals = opts.decimals;
    this.minPrice = new Big(1).div(new Big(10).pow(opts.decimals));
    this.mu = opts.drift ?? 0;
    this.sigma = opts.volatility;
    const basisSeconds = (opts.timeBasis ?? 'year') === 'year' ? SECONDS_PER_YEAR : 1;
    this.stepInBasisUnits = opts.stepMs / 1000 / basisSeconds;
    this.regimes = [...(opts.regimes ?? [])].sort((a, b) => a.atElapsedMs - b.atElapsedMs);
    this.value = Number(initial.toFixed());
  }

  /** Scales volatility from the next step on, on top of any scheduled regime. 1 is the configured volatility. */
  setVolatilityMultiplier(multiplier: number): void {
    requireFinite(multiplier, 'volatilityMultiplier', 0);
    this.runtimeMultiplier = multiplier;
  }

  /** sigma currently in force, in the configured time basis. */
  currentVolatility(): number {
    return this.sigma * this.scheduledMultiplier * this.runtimeMultiplier;
  }

  async next(): Promise<PriceTick | null> {
    const now = this.clock();
    if (!Number.isFinite(now)) {
      throw new DomainValidationError('clock', `clock must return epoch milliseconds, got ${String(now)}`);
    }
    if (this.startMs === null) {
      this.startMs = now;
      this.lastMs = now;
      this.applyRegimesUpTo(now);
      return this.tick();
    }
    const steps = Math.floor((now - this.lastMs) / this.stepMs);
    if (steps <= 0) return null;
    const target = this.lastMs + steps * this.stepMs;
    while (this.lastMs < target) {
      const regime = this.regimes[this.nextRegime];
      const regimeMs = regime === undefined ? Infinity : this.startMs + regime.atElapsedMs;
      if (regimeMs <= target) {
        this.advance(Math.max(0, Math.ceil((regimeMs - this.lastMs) / this.stepMs)));
        this.applyRegimesUpTo(this.lastMs);
      } else {
        this.advance((target - this.lastMs) / this.stepMs);
      }
    }
    return this.tick();
  }

  private advance(steps: number): void {
    if (steps <= 0) return;
    const dt = steps * this.stepInBasisUnits;
    const sigma = this.currentVolatility();
    this.value *= Math.exp((this.mu - (sigma * sigma) / 2) * dt + sigma * Math.sqrt(dt) * this.normal());
    this.lastMs += steps * this.stepMs;
  }

  private applyRegimesUpTo(ms: number): void {
    for (let r = this.regimes[this.nextRegime]; r !== undefined; r = this.regimes[this.nextRegime]) {
      if (this.startMs! + r.atElapsedMs > ms) break;
      if (r.volatilityMultiplier !== undefined) this.scheduledMultiplier = r.volatilityMultiplier;
      if (r.jumpFraction !== undefined) this.value *= 1 + r.jumpFraction;
      this.nextRegime++;
    }
  }

  private tick(): PriceTick {
    const rounded = modelNumberToBig(this.value, `${this.name}.price`).round(
      this.decimals,
      Big.roundHalfEven,
    );
    // price_ticks refuses non-positive prices; a path this far down is a nonsense config, but the
    // feed keeps running at the smallest representable price rather than wedging the ingester.
    const price = rounded.gt(0) ? rounded : this.minPrice;
    return { feed: this.name, price: formatDecimal(price), observedAtMs: this.lastMs };
  }
}
