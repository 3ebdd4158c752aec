import { mulberry32 } from '../adapters/price-feed/simulated-gbm';

/*
 * The seeded fault schedule (pure): which fault comes next, after what pause, against which pool
 * and with which parameters. The same seed always gives the same sequence of faults; the first
 * round holds every kind once, in a seeded order, so even a short run injects each of them.
 */

export const FAULT_KINDS = [
  'worker-sigkill',
  'worker-failover',
  'db-terminate',
  'temporal-restart',
  'pause-resume',
  'config-update',
  'risk-limits-update',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  'worker-sigkill': 'the only worker process SIGKILLed, then started again',
  'worker-failover': 'a second worker started, then the first (holding the sessions) SIGKILLed',
  'db-terminate': "a burst of pg_terminate_backend on every other connection to the run's database",
  'temporal-restart': 'the Temporal dev server stopped and started again on the same history file',
  'pause-resume': 'one pool paused, then resumed, through the client',
  'config-update': 'an updateConfig on one pool (ladder, spacing, refresh interval or requote pacing)',
  'risk-limits-update': 'a setRiskLimits on one pool (loose limits: quoting continues)',
};

/** After the first round, how often each kind comes up (relative weights). */
const WEIGHTS: Record<FaultKind, number> = {
  'worker-sigkill': 5,
  'worker-failover': 2,
  'db-terminate': 3,
  'temporal-restart': 1,
  'pause-resume': 2,
  'config-update': 2,
  'risk-limits-update': 1,
};

export type FaultParams =
  | { kind: 'worker-sigkill'; restartDelayMs: number }
  | { kind: 'worker-failover' }
  | { kind: 'db-terminate'; rounds: number; intervalMs: number }
  | { kind: 'temporal-restart'; downMs: number }
  | { kind: 'pause-resume'; poolIndex: number; holdMs: number }
  | { kind: 'config-update'; poolIndex: number; patch: Record<string, unknown> }
  | { kind: 'risk-limits-update'; poolIndex: number; limits: Record<string, unknown> };

export interface PlannedFault {
  /** 1-based position in the schedule. */
  seq: number;
  /** Steady quoting before this fault, after the previous one recovered. */
  gapMs: number;
  params: FaultParams;
}

export interface ScheduleOptions {
  seed: number;
  pools: number;
  /** Range of the steady gap between faults. */
  gapMs: [number, number];
}

export class FaultSchedule {
  private readonly rng: () => number;
  private readonly firstRound: FaultKind[];
  private seq = 0;

  constructor(private readonly opts: ScheduleOptions) {
    if (!Number.isInteger(opts.pools) || opts.pools < 1)
      throw new RangeError(`pools must be >= 1, got ${opts.pools}`);
    const [lo, hi] = opts.gapMs;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo >= 0 && hi >= lo))
      throw new RangeError(`gapMs must be [min, max] with 0 <= min <= max, got [${lo}, ${hi}]`);
    this.rng = mulberry32(opts.seed >>> 0);
    this.firstRound = [...FAULT_KINDS];
    // Fisher-Yates with the seeded generator.
    for (let i = this.firstRound.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [this.firstRound[i], this.firstRound[j]] = [this.firstRound[j]!, this.firstRound[i]!];
    }
  }

  /** A whole number in [min, max]. */
  private int(min: number, max: number): number {
    return min + Math.floor(this.rng() * (max - min + 1));
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }

  private weightedKind(): FaultKind {
    const total = FAULT_KINDS.reduce((s, k) => s + WEIGHTS[k], 0);
    let x = this.rng() * total;
    for (const k of FAULT_KINDS) {
      x -= WEIGHTS[k];
      if (x < 0) return k;
    }
    return FAULT_KINDS[FAULT_KINDS.length - 1]!;
  }

  next(): PlannedFault {
    const kind = this.seq < this.firstRound.length ? this.firstRound[this.seq]! : this.weightedKind();
    this.seq++;
    const [lo, hi] = this.opts.gapMs;
    const gapMs = this.int(lo, hi);
    return { seq: this.seq, gapMs, params: this.params(kind) };
  }

  private params(kind: FaultKind): FaultParams {
    const poolIndex = () => this.int(0, this.opts.pools - 1);
    switch (kind) {
      case 'worker-sigkill':
        // Mostly at once (a crash loop under a supervisor), sometimes after a while (a slow reschedule).
        return { kind, restartDelayMs: this.rng() < 0.7 ? 0 : this.int(500, 3000) };
      case 'worker-failover':
        return { kind };
      case 'db-terminate':
        return { kind, rounds: this.int(2, 5), intervalMs: this.int(100, 1000) };
      case 'temporal-restart':
        return { kind, downMs: this.int(0, 3000) };
      case 'pause-resume':
        return { kind, poolIndex: poolIndex(), holdMs: this.int(500, 4000) };
      case 'config-update':
        return { kind, poolIndex: poolIndex(), patch: this.configPatch() };
      case 'risk-limits-update':
        return { kind, poolIndex: poolIndex(), limits: this.riskLimits() };
    }
  }

  private configPatch(): Record<string, unknown> {
    switch (this.int(0, 3)) {
      case 0:
        return { ladder: { levels: this.int(2, 4) } };
      case 1:
        return { ladder: { levelSpacingBps: String(this.int(8, 15)) } };
      case 2:
        // Restarts the pool's quoting session (the start input's override gives way to it).
        return { refreshIntervalMs: this.pick([500, 750, 1000, 1500]) };
      default:
        return { quoting: { minRequoteIntervalMs: this.pick([25, 50, 100, 200]) } };
    }
  }

  /** One or two limits, each at or above its default, so quoting carries on. */
  private riskLimits(): Record<string, unknown> {
    const all: Array<[string, () => unknown]> = [
      ['maxLoss', () => String(this.int(10, 40) * 10_000)],
      ['maxInventoryDeviation', () => this.pick([0.45, 0.5, 0.55, 0.6])],
      ['maxVolatility', () => this.pick([0.2, 0.3, 0.5])],
      ['maxPriceAgeSeconds', () => this.pick([30, 45, 60])],
    ];
    const first = this.int(0, all.length - 1);
    const out: Record<string, unknown> = { [all[first]![0]]: all[first]![1]() };
    if (this.rng() < 0.5) {
      const second = (first + 1 + this.int(0, all.length - 2)) % all.length;
      out[all[second]![0]] = all[second]![1]();
    }
    return out;
  }
}
