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
  volatilityRegimeHysteresis: z
    .number({ error: (iss) => `must be a number from 0 to below 1, got ${describeValue(iss.input)}` })
    .gte(0, 'must not be negative')
    .lt(1, 'must be less than 1')
    .default(0.1),
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
    z.strictObject({ type: z.literal('finite'), horizonSeconds: seconds(3600) }),
    // Infinite horizon approximated by a rolling window of constant length.
    z.strictObject({ type: z.literal('infinite'), rollingWindowSeconds: seconds(60) }),
  ],
  { error: "must be 'finite' (with horizonSeconds) or 'infinite' (with rollingWindowSeconds)" },
);

const intensitySchema = z.strictObject({ A: positive(), k: positive() });

const avellanedaStoikovSchema = z.strictObject({
  kind: z.literal('avellaneda_stoikov'),
  gamma: positive().default(0.1),
  k: positive().default(1.5),
  horizon: horizonSchema.prefault({ type: 'infinite' }),
});

const glftSchema = z.strictObject({
  kind: z.literal('glft'),
  gamma: positive().default(0.1),
  k: positive().default(1.5),
  A: positive().default(1),
  /** A fitted order-arrival intensity; when present it replaces A and k. */
  intensity: intensitySchema.optional(),
});

export const strategySchema = z.discriminatedUnion(
  'kind',
  [ruleBasedSchema, avellanedaStoikovSchema, glftSchema],
  {
    error: "must be 'rule_based', 'avellaneda_stoikov' or 'glft'",
  },
);

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
  minSpreadFloorBps: decimalField({ allowZero: true, ...BPS_LIMITS }).optional(),
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
    .enum(['reference', 'book_mid', 'reserve_ratio'], {
      error: "must be 'reference', 'book_mid' or 'reserve_ratio'",
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
  .transform((c) => ({
    ...c,
    ladder: { ...c.ladder, minSpreadFloorBps: c.ladder.minSpreadFloorBps ?? c.spreadPolicy.minSpreadBps },
  }));

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
 * `ladder.minSpreadFloorBps` keeps its current value unless the patch sets it.
 */
export function mergePoolConfig(current: PoolConfig, patch: unknown): PoolConfig {
  if (!isPlainObject(patch)) {
    throw new DomainValidationError(
      'patch',
      `patch must be a JSON object of configuration fields, got ${describeValue(patch)}`,
    );
  }
  checkStorable(patch, '');
  return parsePoolConfig(deepMerge(current as unknown as Record<string, unknown>, patch, ''));
}
