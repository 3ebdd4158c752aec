import { z } from 'zod';
import {
  AMOUNT_LIMITS,
  BPS_LIMITS,
  Big,
  parseDecimal,
  formatDecimal,
  type ParseDecimalOptions,
} from './money';
import { DomainValidationError, describeValue } from './errors';
import { checkStorable } from './text';

/*
 * Pool configuration. Plain JSON only (it travels in Temporal workflow inputs and updates):
 * every money or basis-point amount is a decimal string, every model parameter a number.
 * Objects are strict so that a typo such as `maxSpreadBP` is refused instead of silently ignored.
 */

/** A decimal-string field, normalised to its canonical form ("30.0" -> "30"). */
function decimalField(opts: ParseDecimalOptions) {
  return z.unknown().transform((value, ctx) => {
    try {
      return formatDecimal(parseDecimal(value, 'value', opts));
    } catch (error) {
      const message = error instanceof Error ? error.message.replace(/^value /, '') : String(error);
      ctx.addIssue({ code: 'custom', message, input: value });
      return z.NEVER;
    }
  });
}

const bps = (dflt: string, opts: { allowZero?: boolean } = {}) =>
  decimalField({ allowZero: opts.allowZero ?? false, ...BPS_LIMITS })
    .refine((v) => new Big(v).lte(10_000), { message: 'must be at most 10000 bps (100%)' })
    .default(dflt);

const money = (dflt: string) => decimalField({ allowZero: false, ...AMOUNT_LIMITS }).default(dflt);

const num = () => z.number({ error: (iss) => `must be a finite number, got ${describeValue(iss.input)}` });

const positive = (what = 'a positive number') =>
  z.number({ error: (iss) => `must be ${what}, got ${describeValue(iss.input)}` }).gt(0, `must be ${what}`);

const fraction = (dflt: number) =>
  z
    .number({ error: (iss) => `must be a number between 0 and 1, got ${describeValue(iss.input)}` })
    .gt(0, 'must be greater than 0')
    .lt(1, 'must be less than 1')
    .default(dflt);

const multiplier = (dflt: number) =>
  z
    .number({ error: (iss) => `must be a multiplier (number >= 1), got ${describeValue(iss.input)}` })
    .gte(1, 'must be at least 1 (a multiplier widens, it never narrows)')
    .lte(100, 'must be at most 100')
    .default(dflt);

const seconds = (dflt: number, min = 1) =>
  z
    .number({ error: (iss) => `must be a number of seconds, got ${describeValue(iss.input)}` })
    .gte(min, `must be at least ${min} second(s)`)
    .lte(31_536_000, 'must be at most one year (31536000 seconds)')
    .default(dflt);

/** A hysteresis band as a fraction of its threshold; 0 disables it. */
const band = (dflt: number) =>
  z
    .number({ error: (iss) => `must be a number from 0 to below 1, got ${describeValue(iss.input)}` })
    .gte(0, 'must not be negative')
    .lt(1, 'must be less than 1')
    .default(dflt);

export const spreadPolicySchema = z.strictObject({
  minSpreadBps: bps('10'),
  maxSpreadBps: bps('500'),
  defaultSpreadBps: bps('30'),
  targetInventoryShare: fraction(0.5),
  imbalanceThreshold: fraction(0.2),
  criticalImbalanceThreshold: fraction(0.4),
  moderateImbalanceMultiplier: multiplier(1.25),
  criticalImbalanceMultiplier: multiplier(1.5),
  highVolatilityThreshold: positive().default(0.05),
  extremeVolatilityThreshold: positive().default(0.1),
  highVolatilityMultiplier: multiplier(2),
  extremeVolatilityMultiplier: multiplier(3),
  /**
   * Leaving a volatility regime takes a fall this far below its threshold (0.1: high is left
   * below 4.5% when entered above 5%), so an estimate hovering at a threshold does not flip the
   * spread back and forth every few seconds. 0 disables it.
   */
  volatilityRegimeHysteresis: band(0.1),
  /**
   * The same band for the imbalance tiers: a tier entered above its threshold is left only at or
   * below threshold x (1 - band) (0.1: moderate, entered above 0.2, is left at 0.18), so a share
   * hovering at 0.70 neither flips the spread nor records an imbalance on every evaluation.
   */
  imbalanceHysteresis: band(0.1),
  /**
   * And for the TVL tiers, whose worse side is below: a tier entered below its threshold is left
   * only at or above threshold x (1 + band) (0.1: low, entered below 10,000, is left at 11,000).
   */
  tvlHysteresis: band(0.1),
  lowTvlThreshold: money('10000'),
  lowTvlMultiplier: multiplier(1.5),
  mediumTvlThreshold: money('50000'),
  mediumTvlMultiplier: multiplier(1.2),
  hysteresis: z
    .number({
      error: (iss) => `must be a fraction of the current spread in [0, 1), got ${describeValue(iss.input)}`,
    })
    .gte(0, 'must not be negative')
    .lt(1, 'must be less than 1')
    .default(0.1),
});

const ruleBasedSchema = z.strictObject({
  kind: z.literal('rule_based'),
  /** Reservation-price shift per unit of (share - target), measured in full spreads. */
  skewFactor: num().gte(0, 'must not be negative').lte(10, 'must be at most 10').default(1),
  /** Continuous widening within a regime: total spread x (1 + factor x volatility). */
  volatilitySpreadFactor: num().gte(0, 'must not be negative').lte(100, 'must be at most 100').default(1),
});

const horizonSchema = z.discriminatedUnion(
  'type',
  [
    // Sessions of this length, aligned to UTC multiples of it, each counting T - t down to 0.
    // gamma sigma^2 T grows with the session: 300 s keeps the default gamma in tens of bps.
    z.strictObject({ type: z.literal('finite'), horizonSeconds: seconds(300) }),
    // Infinite horizon approximated by a rolling window of constant length.
    z.strictObject({ type: z.literal('infinite'), rollingWindowSeconds: seconds(60) }),
  ],
  { error: "must be 'finite' (with horizonSeconds) or 'infinite' (with rollingWindowSeconds)" },
);

const intensitySchema = z.strictObject({ A: positive(), k: positive() });

/*
 * Units of the Avellaneda-Stoikov and GLFT parameters.
 *
 * 'mid_relative' (the default): distances are measured in basis points of the mid. The intensity
 * is lambda(d) = A exp(-k d_bps) with A per second and k per basis point, gamma is the risk
 * aversion per (basis point x order size) and volatility is relative (bps per sqrt(second)). The
 * formulas run unchanged in that unit; every output (offset, spread, depth) comes out in bps and
 * is turned into price by x mid / 10,000. In price units this is gamma_abs = gamma x 10^4 / mid and
 * k_abs = k x 10^4 / mid with sigma_abs = sigma_rel x mid, so
 *   gamma_abs sigma_abs^2 tau = gamma sigma_rel^2 tau x 10^4 x mid      (proportional to mid)
 *   (2 / gamma_abs) ln(1 + gamma_abs / k_abs) = (mid / 10^4) (2 / gamma) ln(1 + gamma / k)
 * and the same parameters quote the same bps at any price.
 *
 * 'price': the textbook form, distances in quote units (k per quote unit, gamma per quote unit,
 * sigma = relative volatility x mid). It quotes a different width in bps at every price level and
 * is kept to reproduce published results (Avellaneda-Stoikov 2008: s0 100, k 1.5, gamma 0.1) and
 * for configurations written by the previous release.
 */
export const PARAMETER_UNITS = ['mid_relative', 'price'] as const;
export type ParameterUnits = (typeof PARAMETER_UNITS)[number];

const parameterUnitsSchema = z.enum(PARAMETER_UNITS, {
  error: "must be 'mid_relative' (k per basis point of mid) or 'price' (k per quote unit)",
});

/**
 * Defaults per unit. Mid-relative: k 0.1 per bp (the fill rate falls by e every 10 bps) and gamma
 * 0.002. At 5% volatility per hour (sigma 8.3 bps per sqrt(second)) the liquidity term
 * (2 / gamma) ln(1 + gamma / k) is 19.8 bps and the inventory term gamma sigma^2 tau is 8.3 bps
 * over the 60 s rolling window, so A-S quotes about 28 bps and moves its reservation price 8.3 bps
 * per order size of inventory; a 300 s finite session starts at 62 bps and narrows to 20. GLFT
 * (A 1 per second) quotes about 21 bps, skewing 1.4 bps per order size. The same at every price.
 * Price units keep the previous release's values.
 */
export const MODEL_PARAMETER_DEFAULTS = {
  mid_relative: { gamma: 0.002, k: 0.1, A: 1 },
  price: { gamma: 0.1, k: 1.5, A: 1 },
} as const satisfies Record<ParameterUnits, { gamma: number; k: number; A: number }>;

const avellanedaStoikovSchema = z.strictObject({
  kind: z.literal('avellaneda_stoikov'),
  parameterUnits: parameterUnitsSchema.optional(),
  /** Risk aversion per (distance unit x order size); default per parameterUnits. */
  gamma: positive().optional(),
  /** Intensity decay per distance unit (a basis point of mid, or a quote unit). */
  k: positive().optional(),
  horizon: horizonSchema.prefault({ type: 'infinite' }),
});

const glftSchema = z.strictObject({
  kind: z.literal('glft'),
  parameterUnits: parameterUnitsSchema.optional(),
  gamma: positive().optional(),
  k: positive().optional(),
  /** Order arrivals per second at zero distance. */
  A: positive().optional(),
  /** A fitted order-arrival intensity (k in the same units as `k`); when present it replaces A and k. */
  intensity: intensitySchema.optional(),
});

type RawStrategy = z.output<typeof strategyUnion>;
type RawModelStrategy = Exclude<RawStrategy, { kind: 'rule_based' }>;

/** Input without `parameterUnits` is mid-relative; stored blocks of the previous release are upgraded first (upgradeStored). */
function unitsOf(s: RawModelStrategy): ParameterUnits {
  return s.parameterUnits ?? 'mid_relative';
}

function fillModelParameters(s: RawStrategy) {
  switch (s.kind) {
    case 'rule_based':
      return s;
    case 'avellaneda_stoikov': {
      const units = unitsOf(s);
      const d = MODEL_PARAMETER_DEFAULTS[units];
      return {
        kind: s.kind,
        parameterUnits: units,
        gamma: s.gamma ?? d.gamma,
        k: s.k ?? d.k,
        horizon: s.horizon,
      };
    }
    case 'glft': {
      const units = unitsOf(s);
      const d = MODEL_PARAMETER_DEFAULTS[units];
      const filled: {
        kind: 'glft';
        parameterUnits: ParameterUnits;
        gamma: number;
        k: number;
        A: number;
        intensity?: { A: number; k: number };
      } = { kind: s.kind, parameterUnits: units, gamma: s.gamma ?? d.gamma, k: s.k ?? d.k, A: s.A ?? d.A };
      if (s.intensity !== undefined) filled.intensity = s.intensity;
      return filled;
    }
  }
}

const strategyUnion = z.discriminatedUnion('kind', [ruleBasedSchema, avellanedaStoikovSchema, glftSchema], {
  error: "must be 'rule_based', 'avellaneda_stoikov' or 'glft'",
});

export const strategySchema = strategyUnion.transform(fillModelParameters);

export const ladderSchema = z.strictObject({
  levels: num()
    .int('must be an integer')
    .gte(1, 'must be at least 1')
    .lte(10, 'must be at most 10')
    .default(3),
  levelSpacingBps: bps('10', { allowZero: false }),
  baseOrderSize: money('1'),
  sizeDecay: num().gt(0, 'must be greater than 0').lte(1, 'must be at most 1').default(0.7),
  /** 0 keeps sizes symmetric; 1 shrinks the inventory-growing side to zero at full imbalance. */
  inventorySizeShape: num().gte(0, 'must not be negative').lte(10, 'must be at most 10').default(1),
  guardMid: z.boolean().default(true),
  /**
   * Smallest width of the best bid/ask, in bps of mid. Absent, the pool's live
   * spreadPolicy.minSpreadBps is the floor (resolved at quote time, so raising it reaches the quotes).
   */
  minSpreadFloorBps: decimalField({ allowZero: true, ...BPS_LIMITS }).optional(),
  /**
   * Hummingbot's price_ceiling / price_floor, in quote per base (domain/price-band.ts): with the
   * mid above the ceiling the pool only sells, below the floor it only buys, and no bid rests
   * above the ceiling nor any ask below the floor. Optional: absent means no bound, so a
   * configuration stored before these fields existed parses unchanged.
   */
  priceCeiling: decimalField({ allowZero: false, ...AMOUNT_LIMITS }).optional(),
  priceFloor: decimalField({ allowZero: false, ...AMOUNT_LIMITS }).optional(),
});

export const riskLimitsSchema = z.strictObject({
  maxInventoryDeviation: num().gt(0, 'must be greater than 0').lte(1, 'must be at most 1').default(0.45),
  maxLoss: money('100000'),
  maxVolatility: positive().default(0.2),
  maxOrderNotional: money('1000000'),
  maxPriceAgeSeconds: seconds(30),
  cooldownSeconds: seconds(60, 0),
  /**
   * After a hedge (a flatten, or the saga's rebalance), the pool hedges again only this much later:
   * a breach that outlasts the hedge (the price kept moving) must not trade every cycle. 0 disables it.
   */
  hedgeCooldownSeconds: seconds(60, 0),
});

export const volatilityConfigSchema = z.strictObject({
  method: z.enum(['rolling', 'ewma'], { error: "must be 'rolling' or 'ewma'" }).default('ewma'),
  window: num()
    .int('must be an integer')
    .gte(2, 'must be at least 2 returns')
    .lte(100_000, 'must be at most 100000')
    .default(60),
  ewmaLambda: fraction(0.94),
  horizonSeconds: seconds(3600),
});

const millis = (dflt: number, min: number, max: number) =>
  num()
    .int('must be an integer number of milliseconds')
    .gte(min, `must be at least ${min} ms`)
    .lte(max, `must be at most ${max} ms`)
    .default(dflt);

/** The quoting session's pacing and the lifetime of its quotes (DESIGN section 4). */
export const quotingSchema = z.strictObject({
  /**
   * How long a market-maker order lives unless a reconcile renews it: the longest a dead worker's
   * quotes can still be filled. Renewed when less than half of it is left.
   */
  quoteTtlMs: millis(5000, 1000, 3_600_000),
  /** Wake-ups closer together than this wait: a burst of trades costs one requote, not one each. */
  minRequoteIntervalMs: millis(50, 0, 10_000),
  /** A resting order older than this is replaced even when it still matches (Hummingbot's max_order_age). */
  maxOrderAgeMs: millis(300_000, 1000, 86_400_000),
});

/**
 * Where A-S and GLFT take the order-arrival intensity lambda(d) = A exp(-k d) from (d in bps of
 * mid, A per second). 'configured': the strategy's own A and k. 'fitted': A and k fitted from the
 * pool's own fills (Poisson maximum likelihood over the exposure of its best quotes, see
 * domain/intensity.ts), refreshed every `refreshSeconds` from the last `windowSeconds`, with the
 * strategy's values as the fallback while the data cannot support a fit. Hummingbot's A-S
 * strategy estimates its intensity online the same way. Ignored by rule_based.
 */
export const intensityFitSchema = z.strictObject({
  source: z
    .enum(['configured', 'fitted'], { error: "must be 'configured' or 'fitted'" })
    .default('configured'),
  windowSeconds: seconds(3600, 60),
  refreshSeconds: seconds(60, 1),
  minFills: num()
    .int('must be an integer')
    .gte(1, 'must be at least 1')
    .lte(1_000_000, 'must be at most 1000000')
    .default(20),
  binWidthBps: num().gt(0, 'must be greater than 0').lte(1000, 'must be at most 1000 bps').default(1),
  /** A fit whose k has a larger relative standard error is not used. */
  maxRelativeStdError: num().gt(0, 'must be greater than 0').lte(10, 'must be at most 10').default(0.5),
});

/*
 * 'reserve_ratio' quoted and valued the inventory at reserveQuote / reserveBase, the one price at
 * which both reserves are worth the same: the value share was 0.5 whatever the pool held. New
 * configurations refuse it; one stored or carried by a workflow from v0.1.0 is read as 'reference'
 * (parseStoredPoolConfig), the default, so a pool created with it keeps running and starts seeing
 * its imbalance.
 */
const RETIRED_PRICE_SOURCE = 'reserve_ratio';

const poolConfigObject = z.strictObject({
  spreadPolicy: spreadPolicySchema.prefault({}),
  strategy: strategySchema.prefault({ kind: 'rule_based' }),
  ladder: ladderSchema.prefault({}),
  risk: riskLimitsSchema.prefault({}),
  volatility: volatilityConfigSchema.prefault({}),
  quoting: quotingSchema.prefault({}),
  intensityFit: intensityFitSchema.prefault({}),
  refreshIntervalMs: num()
    .int('must be an integer')
    .gte(100, 'must be at least 100 ms')
    .lte(3_600_000, 'must be at most 3600000 ms')
    .default(1000),
  /**
   * Refresh tolerance in bps (Hummingbot's order_refresh_tolerance_pct): resting orders within it of
   * the desired price are kept, and a cycle whose whole ladder is within it writes nothing.
   */
  quoteTolerance: bps('2', { allowZero: true }),
  priceSource: z
    .enum(['reference', 'book_mid'], {
      error: (iss) =>
        iss.input === RETIRED_PRICE_SOURCE
          ? `'${RETIRED_PRICE_SOURCE}' is no longer accepted: it valued the inventory at the pool's own reserve ratio, which makes the base value share exactly 0.5, so the imbalance tiers, the skew and the inventory limit could never act; use 'reference' (the pool's price feed) or 'book_mid'`
          : "must be 'reference' or 'book_mid'",
    })
    .default('reference'),
});

type RawPoolConfig = z.output<typeof poolConfigObject>;

function crossFieldIssues(c: RawPoolConfig): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const sp = c.spreadPolicy;
  const b = (s: string) => new Big(s);
  if (b(sp.minSpreadBps).gt(sp.maxSpreadBps)) {
    issues.push({
      path: 'spreadPolicy.maxSpreadBps',
      message: `must be >= minSpreadBps (${sp.minSpreadBps}), got ${sp.maxSpreadBps}`,
    });
  }
  if (b(sp.defaultSpreadBps).lt(sp.minSpreadBps) || b(sp.defaultSpreadBps).gt(sp.maxSpreadBps)) {
    issues.push({
      path: 'spreadPolicy.defaultSpreadBps',
      message: `must lie within [minSpreadBps, maxSpreadBps] = [${sp.minSpreadBps}, ${sp.maxSpreadBps}], got ${sp.defaultSpreadBps}`,
    });
  }
  if (sp.criticalImbalanceThreshold <= sp.imbalanceThreshold) {
    issues.push({
      path: 'spreadPolicy.criticalImbalanceThreshold',
      message: `must be greater than imbalanceThreshold (${sp.imbalanceThreshold}), got ${sp.criticalImbalanceThreshold}`,
    });
  }
  if (sp.criticalImbalanceMultiplier < sp.moderateImbalanceMultiplier) {
    issues.push({
      path: 'spreadPolicy.criticalImbalanceMultiplier',
      message: `must be >= moderateImbalanceMultiplier (${sp.moderateImbalanceMultiplier}), got ${sp.criticalImbalanceMultiplier}`,
    });
  }
  if (sp.extremeVolatilityThreshold <= sp.highVolatilityThreshold) {
    issues.push({
      path: 'spreadPolicy.extremeVolatilityThreshold',
      message: `must be greater than highVolatilityThreshold (${sp.highVolatilityThreshold}), got ${sp.extremeVolatilityThreshold}`,
    });
  }
  if (sp.extremeVolatilityMultiplier < sp.highVolatilityMultiplier) {
    issues.push({
      path: 'spreadPolicy.extremeVolatilityMultiplier',
      message: `must be >= highVolatilityMultiplier (${sp.highVolatilityMultiplier}), got ${sp.extremeVolatilityMultiplier}`,
    });
  }
  if (b(sp.lowTvlThreshold).gte(sp.mediumTvlThreshold)) {
    issues.push({
      path: 'spreadPolicy.mediumTvlThreshold',
      message: `must be greater than lowTvlThreshold (${sp.lowTvlThreshold}), got ${sp.mediumTvlThreshold}`,
    });
  }
  if (sp.lowTvlMultiplier < sp.mediumTvlMultiplier) {
    issues.push({
      path: 'spreadPolicy.lowTvlMultiplier',
      message: `must be >= mediumTvlMultiplier (${sp.mediumTvlMultiplier}), got ${sp.lowTvlMultiplier}`,
    });
  }
  const { priceCeiling, priceFloor } = c.ladder;
  if (priceCeiling !== undefined && priceFloor !== undefined && b(priceFloor).gt(priceCeiling)) {
    issues.push({
      path: 'ladder.priceFloor',
      message: `must not be above ladder.priceCeiling (${priceCeiling}), got ${priceFloor}: nothing could be quoted between them`,
    });
  }
  const floor = c.ladder.minSpreadFloorBps;
  if (floor !== undefined && b(floor).gt(sp.maxSpreadBps)) {
    issues.push({
      path: 'ladder.minSpreadFloorBps',
      message: `must be <= spreadPolicy.maxSpreadBps (${sp.maxSpreadBps}), got ${floor}`,
    });
  }
  return issues;
}

export const poolConfigSchema = poolConfigObject
  .superRefine((c, ctx) => {
    for (const issue of crossFieldIssues(c)) {
      ctx.addIssue({ code: 'custom', path: issue.path.split('.'), message: issue.message });
    }
  })
  .transform(withoutCopiedFloor);

/**
 * The previous release copied spreadPolicy.minSpreadBps into ladder.minSpreadFloorBps at parse time,
 * so every stored configuration carries a floor, frozen at the minimum of the day. A floor equal to
 * the minimum is read as that copy and dropped: the floor then follows the live minimum (the same
 * width today, and a later raise of minSpreadBps reaches the quotes). A floor set to another value
 * stays explicit.
 */
function withoutCopiedFloor<C extends { spreadPolicy: { minSpreadBps: string }; ladder: LadderShape }>(
  c: C,
): C {
  const floor = c.ladder.minSpreadFloorBps;
  if (floor === undefined || !new Big(floor).eq(c.spreadPolicy.minSpreadBps)) return c;
  const { minSpreadFloorBps: _copied, ...ladder } = c.ladder;
  return { ...c, ladder };
}

type LadderShape = { minSpreadFloorBps?: string };

export type PoolConfig = z.output<typeof poolConfigSchema>;
export type PoolConfigInput = z.input<typeof poolConfigSchema>;
export type SpreadPolicy = PoolConfig['spreadPolicy'];
export type StrategyConfig = PoolConfig['strategy'];
export type StrategyKind = StrategyConfig['kind'];
export type RuleBasedConfig = Extract<StrategyConfig, { kind: 'rule_based' }>;
export type AvellanedaStoikovConfig = Extract<StrategyConfig, { kind: 'avellaneda_stoikov' }>;
export type GlftConfig = Extract<StrategyConfig, { kind: 'glft' }>;
export type HorizonConfig = AvellanedaStoikovConfig['horizon'];
export type LadderConfig = PoolConfig['ladder'];
export type RiskLimits = PoolConfig['risk'];
export type VolatilityConfig = PoolConfig['volatility'];
export type PriceSource = PoolConfig['priceSource'];
export type QuotingConfig = PoolConfig['quoting'];
export type IntensityFitConfig = PoolConfig['intensityFit'];

function toDomainError(error: z.ZodError, root: string): DomainValidationError {
  const parts = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : root;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (path === root ? k : `${path}.${k}`));
      return {
        field: keys[0] ?? path,
        text: `${keys.join(', ')} ${keys.length > 1 ? 'are not known fields' : 'is not a known field'}; check the spelling against the documented configuration`,
      };
    }
    return { field: path, text: `${path} ${issue.message}` };
  });
  const first = parts[0] ?? { field: root, text: `${root} is invalid` };
  return new DomainValidationError(first.field, parts.map((p) => p.text).join('; '));
}

/** Parses and validates a pool configuration, filling every default. */
export function parsePoolConfig(input: unknown): PoolConfig {
  if (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new DomainValidationError('config', `config must be a JSON object, got ${describeValue(input)}`);
  }
  checkStorable(input, '');
  const result = poolConfigSchema.safeParse(input);
  if (!result.success) throw toDomainError(result.error, 'config');
  return result.data;
}

/**
 * Parses a configuration this system wrote before (a pool row, a workflow's carried config): like
 * parsePoolConfig, but a value a previous release accepted and this one retired is mapped to its
 * replacement instead of refused, so an existing pool keeps loading. Never use it on user input.
 */
export function parseStoredPoolConfig(input: unknown): PoolConfig {
  return parsePoolConfig(upgradeStored(input));
}

function upgradeStored(input: unknown): unknown {
  if (!isPlainObject(input)) return input;
  let out = input;
  if (out.priceSource === RETIRED_PRICE_SOURCE) out = { ...out, priceSource: 'reference' };
  if (isLegacyModelBlock(out.strategy))
    out = { ...out, strategy: { ...out.strategy, parameterUnits: 'price' } };
  return out;
}

/**
 * A model block without `parameterUnits` that carries every model parameter (gamma and k, and A
 * for GLFT) is how the previous release stored a configuration (its parser filled them all, in
 * price units): it keeps that meaning. Only stored or carried configurations get this reading;
 * new input without units is mid-relative, whatever parameters it names.
 */
function isLegacyModelBlock(strategy: unknown): strategy is Record<string, unknown> {
  if (!isPlainObject(strategy) || strategy.parameterUnits !== undefined) return false;
  if (strategy.kind !== 'avellaneda_stoikov' && strategy.kind !== 'glft') return false;
  return (
    strategy.gamma !== undefined &&
    strategy.k !== undefined &&
    (strategy.kind !== 'glft' || strategy.A !== undefined)
  );
}

export const DEFAULT_POOL_CONFIG: PoolConfig = deepFreeze(parsePoolConfig({}));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys that would reach an object's prototype instead of a field of the configuration. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function deepMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
  path: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const field = path ? `${path}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) {
      throw new DomainValidationError(field, `${field} is not a configuration field`);
    }
    if (value === undefined) continue;
    const current = out[key];
    // A block whose discriminator changes (strategy `kind`, horizon `type`) is replaced, not
    // merged: the old variant's parameters mean nothing to the new one.
    const switchesVariant =
      isPlainObject(value) &&
      isPlainObject(current) &&
      (('kind' in value && value.kind !== current.kind) || ('type' in value && value.type !== current.type));
    if (isPlainObject(value) && isPlainObject(current) && !switchesVariant) {
      out[key] = deepMerge(current, value, field);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * Applies a partial configuration (the body of an "update configuration" command) and validates
 * the result as a whole, so a patch that is fine alone but breaks a cross-field rule is refused.
 * An explicit `ladder.minSpreadFloorBps` keeps its value unless the patch sets it; an absent one
 * follows spreadPolicy.minSpreadBps.
 */
export function mergePoolConfig(current: PoolConfig, patch: unknown): PoolConfig {
  if (!isPlainObject(patch)) {
    throw new DomainValidationError(
      'patch',
      `patch must be a JSON object of configuration fields, got ${describeValue(patch)}`,
    );
  }
  checkStorable(patch, '');
  // The current configuration (perhaps carried by a workflow from an older release) may hold a
  // retired value and is upgraded, and the floor the previous release copied from minSpreadBps is
  // dropped (or a patch raising minSpreadBps would leave the old minimum frozen in the ladder); the
  // patch is new input, and one naming a retired value is refused.
  const base = upgradeStored(withoutCopiedFloor(current));
  return parsePoolConfig(deepMerge(base as Record<string, unknown>, patch, ''));
}
