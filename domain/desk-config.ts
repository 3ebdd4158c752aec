import { z } from 'zod';
import { parseAssetSymbol } from './assets';
import { DomainValidationError, describeValue } from './errors';
import { AMOUNT_LIMITS, Big, formatDecimal, parseDecimal } from './money';
import type { NettingRules } from './netting';
import { parsePortfolioLimits, type PortfolioLimits } from './portfolio-risk';
import { POOL_ID, checkStorable } from './text';

/*
 * What a desk's portfolio supervisor is told from outside (workflows/portfolio-supervisor.ts): its
 * pools, its limits (portfolio-risk.ts) and its netted hedging. Plain JSON with decimal strings, so
 * an operator drives it with the `temporal` CLI; pure, so the client checks the same rules first.
 */

/** A desk id is a pool-id-like name; "desk." + id is the desk's own entry among hedge requests. */
export const DESK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/;

export function parseDeskId(value: unknown, field = 'deskId'): string {
  if (typeof value !== 'string' || !DESK_ID.test(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be 1-48 letters, digits, '_', '.' or '-' starting with a letter or digit, got ${describeValue(value)}`,
    );
  }
  return value;
}

export const MAX_DESK_POOLS = 500;

export function parseDeskPools(value: unknown, field = 'pools'): string[] {
  if (!Array.isArray(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be an array of pool ids, got ${describeValue(value)}`,
    );
  }
  if (value.length > MAX_DESK_POOLS) {
    throw new DomainValidationError(
      field,
      `${field} has ${value.length} pools; a desk holds at most ${MAX_DESK_POOLS}`,
    );
  }
  value.forEach((p, i) => {
    if (typeof p !== 'string' || !POOL_ID.test(p)) {
      throw new DomainValidationError(
        `${field}[${i}]`,
        `${field}[${i}] is not a pool id, got ${describeValue(p)}`,
      );
    }
  });
  return [...new Set(value as string[])].sort();
}

const decimalString = (opts: { allowZero: boolean }) =>
  z.unknown().transform((value, ctx) => {
    try {
      return formatDecimal(parseDecimal(value, 'value', { ...AMOUNT_LIMITS, ...opts }));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^value /, '') });
      return z.NEVER;
    }
  });

const assetRules = z.strictObject({
  /** |net| at or below it, in units of the asset, is left alone. */
  tolerance: decimalString({ allowZero: true }).optional(),
  lotSize: decimalString({ allowZero: false }).optional(),
  minSize: decimalString({ allowZero: false }).optional(),
});

/** The venue's base precision (worker/create-worker.ts defaultHedgeVenue): orders default to that grid. */
export const DEFAULT_HEDGE_LOT = '0.00000001';

export const deskHedgingSchema = z.strictObject({
  /** On: the supervisor hedges the desk's net exposure, and the pools stop hedging themselves. */
  enabled: z.boolean({ error: 'must be true or false' }).default(false),
  /** After a round that traded, the next one waits this long. */
  cooldownSeconds: z
    .number({ error: (iss) => `must be a number of seconds, got ${describeValue(iss.input)}` })
    .int('must be a whole number of seconds')
    .gte(0, 'must not be negative')
    .lte(86_400, 'must be at most one day (86400 seconds)')
    .default(60),
  hedgeTo: z.enum(['zero', 'band_edge'], { error: "must be 'zero' or 'band_edge'" }).default('zero'),
  /** Per asset; unlisted assets take `defaults`. */
  assets: z
    .record(
      z.string().refine((s) => {
        try {
          parseAssetSymbol(s);
          return true;
        } catch {
          return false;
        }
      }, 'must be an asset symbol such as "ETH"'),
      assetRules,
    )
    .default({}),
  defaults: assetRules.default({}),
});

export type DeskHedging = z.output<typeof deskHedgingSchema>;
export type DeskHedgingInput = z.input<typeof deskHedgingSchema>;

function parseWith<T>(schema: z.ZodType<T>, input: unknown, root: string): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainValidationError(root, `${root} must be a JSON object, got ${describeValue(input)}`);
  }
  checkStorable(input, root);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [root, ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    throw new DomainValidationError(
      `${path}.${issue.keys[0]}`,
      `${path}.${issue.keys[0]} is not a known field`,
    );
  }
  throw new DomainValidationError(path, `${path} ${issue.message}`);
}

export function parseDeskHedging(input: unknown): DeskHedging {
  return parseWith(deskHedgingSchema, input, 'hedging');
}

/** The supervisor's limits: portfolio-risk.ts's rules, every action included. */
export function parseSupervisorLimits(input: unknown): PortfolioLimits {
  return parsePortfolioLimits(input);
}

/** A share target is kept this far inside (0, 1): the strategies refuse 0 and 1. */
const SKEW_TARGET_BOUNDS = { min: 0.05, max: 0.95 } as const;

/**
 * The inventory target the supervisor sets on a skewed pool: `shift` below its current target when
 * it should sell its base, above when it should buy, kept inside the bounds and rounded to 6 places
 * so the value written and the value compared later are the same number.
 */
export function skewedTargetShare(current: number, favour: 'sell_base' | 'buy_base', shift: number): number {
  const moved = favour === 'sell_base' ? current - shift : current + shift;
  const bounded = Math.min(SKEW_TARGET_BOUNDS.max, Math.max(SKEW_TARGET_BOUNDS.min, moved));
  return Math.round(bounded * 1e6) / 1e6;
}

/** The netting rules of netting.ts from the desk's hedging settings, in Big. */
export function nettingRules(hedging: DeskHedging, numeraire: string): NettingRules {
  const toRules = (r: z.output<typeof assetRules>) => ({
    ...(r.tolerance !== undefined ? { tolerance: new Big(r.tolerance) } : {}),
    lotSize: new Big(r.lotSize ?? DEFAULT_HEDGE_LOT),
    ...(r.minSize !== undefined ? { minSize: new Big(r.minSize) } : {}),
  });
  const defaults = toRules(hedging.defaults);
  const assets: Record<string, ReturnType<typeof toRules>> = {};
  for (const [asset, r] of Object.entries(hedging.assets)) {
    assets[asset] = { ...defaults, ...toRules({ ...hedging.defaults, ...r }) };
  }
  return { numeraire, defaults, assets, hedgeTo: hedging.hedgeTo };
}

export const SUPERVISOR_PERIOD_MS = { min: 200, max: 3_600_000, default: 5000 } as const;
export const SUPERVISOR_TICKS_PER_RUN = { min: 1, max: 100_000, default: 200 } as const;
