import { Big } from '../domain/money';
import type { PoolConfig } from '../domain/config';
import { inventoryShare, tvl } from '../domain/pool';
import { cycleRisk } from '../domain/quote-cycle';
import type { RiskEvaluation } from '../domain/risk';
import { evaluateSpread, type ImbalanceLevel, type SpreadEvaluation } from '../domain/spread-policy';
import type { VolatilityRegime } from '../domain/volatility';

/*
 * The risk verdict and the spread policy at every step without a second copy of their rules.
 * Both functions compare each input against fixed thresholds (strictly greater or smaller) and
 * their outcome depends on the inputs only through those comparisons (and, for the spread
 * policy, the previous regime, level and spread). So the engine takes each comparison in floats
 * when the value is farther from the threshold than the float error (a relative 1e-12, far above
 * the few roundings between the engine's doubles and the decimals the live code computes), and
 * reuses the decimal function's own result for that pattern of comparisons. When any value sits
 * within that distance, the decimal function decides from the same decimal inputs the decimal
 * engine builds. The differential test (test/unit/backtest/fast-engine.test.ts) checks the result.
 */

const REL = 1e-12;

/** Whether `value > threshold` when they are clearly apart; undefined when too close to tell. */
function above(value: number, threshold: number): boolean | undefined {
  const d = value - threshold;
  const eps = REL * (Math.abs(threshold) + Math.abs(value)) + 1e-300;
  return d > eps ? true : d < -eps ? false : undefined;
}

/** The step's values as the decimal engine hands them to the live code (12-digit doubles). */
export interface StepValues {
  mid: number;
  /** The reserves the inventory share is taken from (the step's, before any hedge). */
  shareBase: number;
  shareQuote: number;
  /** The reserves after the step's hedge (the spread policy's TVL). */
  base: number;
  quote: number;
  pnl: number;
  volatility: number;
  largestNotional: number;
}

const big = (x: number) => new Big(x);

export class FastRisk {
  private readonly cache: Array<RiskEvaluation | undefined> = Array.from({ length: 32 }, () => undefined);
  private readonly maxLoss: number;
  private readonly maxNotional: number;
  private readonly priceAgeBit: number;
  private readonly targetShare: number;
  private readonly maxDeviation: number;
  private readonly maxVolatility: number;
  /** Decimal evaluations (a value near its threshold, or a new pattern). */
  decimalCalls = 0;

  constructor(private readonly cfg: PoolConfig) {
    this.maxLoss = Number(cfg.risk.maxLoss);
    this.maxNotional = Number(cfg.risk.maxOrderNotional);
    this.targetShare = cfg.spreadPolicy.targetInventoryShare;
    this.maxDeviation = cfg.risk.maxInventoryDeviation;
    this.maxVolatility = cfg.risk.maxVolatility;
    // The engine's price is always fresh (age 0).
    this.priceAgeBit = 0 > cfg.risk.maxPriceAgeSeconds ? 8 : 0;
  }

  evaluate(v: StepValues): RiskEvaluation {
    const share = shareOf(v);
    const loss = v.pnl < 0 ? -v.pnl : 0;
    const l = above(loss, this.maxLoss);
    const d = share === undefined ? undefined : above(Math.abs(share - this.targetShare), this.maxDeviation);
    const n = above(v.largestNotional, this.maxNotional);
    if (l === undefined || d === undefined || n === undefined) return this.decimal(v);
    const key =
      (l ? 1 : 0) |
      (d ? 2 : 0) |
      (v.volatility > this.maxVolatility ? 4 : 0) |
      this.priceAgeBit |
      (n ? 16 : 0);
    let hit = this.cache[key];
    if (!hit) {
      hit = this.decimal(v);
      this.cache[key] = hit;
    }
    return hit;
  }

  private decimal(v: StepValues): RiskEvaluation {
    this.decimalCalls++;
    return cycleRisk(
      {
        inventoryShare: inventoryShare(big(v.shareBase), big(v.shareQuote), big(v.mid)),
        targetShare: this.cfg.spreadPolicy.targetInventoryShare,
        pnl: big(v.pnl),
        volatility: v.volatility,
        largestOrderNotional: big(v.largestNotional),
        priceAgeSeconds: 0,
      },
      this.cfg,
    );
  }
}

/** The value share in floats, or undefined when the pool is empty (the decimal rule decides). */
function shareOf(v: StepValues): number | undefined {
  const value = v.shareBase * v.mid;
  const total = value + v.shareQuote;
  return total > 0 ? value / total : undefined;
}

export interface SpreadState {
  spreadBps: number;
  regime: VolatilityRegime;
  imbalance: ImbalanceLevel;
}

export class FastSpreadPolicy {
  private readonly imbalanceThresholds: number[];
  private readonly volatilityThresholds: number[];
  private readonly tvlThresholds: number[];
  private readonly targetShare: number;
  private lastKey = -1;
  private lastSpread = NaN;
  private lastRegime: VolatilityRegime | undefined;
  private lastImbalance: ImbalanceLevel | undefined;
  private last: SpreadEvaluation | undefined;
  decimalCalls = 0;

  constructor(private readonly cfg: PoolConfig) {
    const p = cfg.spreadPolicy;
    const imbalanceExit = 1 - (p.imbalanceHysteresis ?? 0);
    const volatilityStay = 1 - (p.volatilityRegimeHysteresis ?? 0);
    // Every threshold the policy compares against, entering and leaving a tier.
    this.imbalanceThresholds = [
      p.imbalanceThreshold,
      p.criticalImbalanceThreshold,
      p.imbalanceThreshold * imbalanceExit,
      p.criticalImbalanceThreshold * imbalanceExit,
    ];
    this.volatilityThresholds = [
      p.highVolatilityThreshold,
      p.extremeVolatilityThreshold,
      p.highVolatilityThreshold * volatilityStay,
      p.extremeVolatilityThreshold * volatilityStay,
    ];
    this.tvlThresholds = [Number(p.mediumTvlThreshold), Number(p.lowTvlThreshold)];
    this.targetShare = p.targetInventoryShare;
  }

  /** The policy's evaluation for this step (the caller applies regime, level and spread). */
  evaluate(v: StepValues, state: SpreadState): SpreadEvaluation {
    const key = this.key(v);
    if (
      key >= 0 &&
      key === this.lastKey &&
      state.spreadBps === this.lastSpread &&
      state.regime === this.lastRegime &&
      state.imbalance === this.lastImbalance
    ) {
      return this.last!;
    }
    this.decimalCalls++;
    const mid = big(v.mid);
    const ev = evaluateSpread(
      {
        currentSpreadBps: big(state.spreadBps),
        // As the decimal engine: the share before the step's hedge, the TVL after it.
        inventoryShare: inventoryShare(big(v.shareBase), big(v.shareQuote), mid),
        volatility: v.volatility,
        tvl: tvl(big(v.base), big(v.quote), mid),
        previousVolatilityRegime: state.regime,
        previousImbalanceLevel: state.imbalance,
      },
      this.cfg.spreadPolicy,
    );
    this.lastKey = key;
    this.lastSpread = state.spreadBps;
    this.lastRegime = state.regime;
    this.lastImbalance = state.imbalance;
    this.last = ev;
    return ev;
  }

  /** The pattern of comparisons as bits, or -1 when a value is too close to a threshold. */
  private key(v: StepValues): number {
    const share = shareOf(v);
    if (share === undefined) return -1;
    let key = 0;
    let bit = 1;
    const imbalance = Math.abs(share - this.targetShare);
    for (const t of this.imbalanceThresholds) {
      const a = above(imbalance, t);
      if (a === undefined) return -1;
      if (a) key |= bit;
      bit <<= 1;
    }
    for (const t of this.volatilityThresholds) {
      const a = above(v.volatility, t);
      if (a === undefined) return -1;
      if (a) key |= bit;
      bit <<= 1;
    }
    const total = v.base * v.mid + v.quote;
    for (const t of this.tvlThresholds) {
      const a = above(total, t);
      if (a === undefined) return -1;
      if (a) key |= bit;
      bit <<= 1;
    }
    return key;
  }
}
