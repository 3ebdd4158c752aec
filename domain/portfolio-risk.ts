import { z } from 'zod';
import { parseAssetSymbol } from './assets';
import { DomainValidationError, describeValue } from './errors';
import { AMOUNT_LIMITS, Big, formatDecimal, parseDecimal } from './money';
import type { PortfolioView } from './portfolio';
import { checkStorable } from './text';

/*
 * Portfolio limits, evaluated by a supervisor (a workflow, later) over the portfolio view. Pure and
 * deterministic: the time is an input, and the state that must survive between evaluations (and a
 * continueAsNew) is plain JSON with decimal strings.
 *
 * Limits, all in the numeraire:
 * - maxNetExposure per asset (or defaultMaxNetExposure for unlisted ones): |net exposure value| above
 *   it is a breach of that asset in that direction (long or short). It acts on the pools that ADD to
 *   it: their own exposure to the asset has the breach's sign. Pools on the other side are reducing
 *   it and keep quoting.
 * - maxTotalLoss: total P&L below -maxTotalLoss. Acts on every pool.
 * - maxDrawdown: the fall of total P&L from its highest value seen. Acts on every pool.
 *
 * Resuming, and why it does not flap: a breach entered above its limit clears only once the value is
 * at or below limit x (1 - resumeBand), AND it has been active for at least minActionSeconds. While a
 * breach is active, the pools it acts on only grow (a pool that added to it when it began stays held
 * even if its own exposure changes sign meanwhile); they are all released together when it clears.
 * A pool is released when no active breach holds it. A 'stop' is final: a stopped pool is never
 * resumed by the supervisor (an operator restarts it).
 */

export type PortfolioAction = 'continue' | 'skew' | 'pause' | 'stop';

const SEVERITY: Readonly<Record<PortfolioAction, number>> = { continue: 0, skew: 1, pause: 2, stop: 3 };

const action = (dflt: Exclude<PortfolioAction, 'continue'>) =>
  z.enum(['skew', 'pause', 'stop'], { error: "must be 'skew', 'pause' or 'stop'" }).default(dflt);

// Skewing shifts quotes toward shedding one asset; a portfolio-wide loss has no asset to shed.
const haltAction = (dflt: 'pause' | 'stop') =>
  z.enum(['pause', 'stop'], { error: "must be 'pause' or 'stop'" }).default(dflt);

const amount = () =>
  z.unknown().transform((value, ctx) => {
    try {
      return formatDecimal(parseDecimal(value, 'value', { allowZero: false, ...AMOUNT_LIMITS }));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^value /, '') });
      return z.NEVER;
    }
  });

const assetKey = z.string().refine(
  (s) => {
    try {
      parseAssetSymbol(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an asset symbol such as "ETH"' },
);

export const portfolioLimitsSchema = z.strictObject({
  /** The asset every limit is measured in; must be the portfolio view's numeraire. */
  numeraire: assetKey.default('USDC'),
  /** Per asset: the largest |net exposure| allowed, valued in the numeraire. */
  maxNetExposure: z.record(assetKey, amount()).default({}),
  /** For assets not in maxNetExposure; absent means unlimited. The numeraire itself is never limited. */
  defaultMaxNetExposure: amount().optional(),
  exposureAction: action('pause'),
  maxTotalLoss: amount().optional(),
  lossAction: haltAction('stop'),
  maxDrawdown: amount().optional(),
  drawdownAction: haltAction('pause'),
  /** A breach clears at or below limit x (1 - resumeBand). */
  resumeBand: z
    .number({ error: (iss) => `must be a number from 0 to below 1, got ${describeValue(iss.input)}` })
    .gte(0, 'must not be negative')
    .lt(1, 'must be less than 1')
    .default(0.1),
  /**
   * For 'skew': how far the supervisor moves a pool's spreadPolicy.targetInventoryShare toward
   * shedding the breached asset (0.5 -> 0.4 with 0.1 for a pool long its base).
   */
  skewShift: z
    .number({ error: (iss) => `must be a number above 0 and below 0.5, got ${describeValue(iss.input)}` })
    .gt(0, 'must be greater than 0 (a skew of 0 would leave the pools quoting as before)')
    .lt(0.5, 'must be less than 0.5 (a share target moves within 0 to 1)')
    .default(0.1),
  /** The shortest time a breach stays active, so a value crossing its limit back and forth does not flap. */
  minActionSeconds: z
    .number({ error: (iss) => `must be a number of seconds, got ${describeValue(iss.input)}` })
    .gte(0, 'must not be negative')
    .lte(86_400, 'must be at most one day (86400 seconds)')
    .default(60),
});

export type PortfolioLimits = z.output<typeof portfolioLimitsSchema>;
export type PortfolioLimitsInput = z.input<typeof portfolioLimitsSchema>;

export function parsePortfolioLimits(input: unknown): PortfolioLimits {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainValidationError('limits', `limits must be a JSON object, got ${describeValue(input)}`);
  }
  checkStorable(input, 'limits');
  const result = portfolioLimitsSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = ['limits', ...issue.path.map(String)].join('.');
  if (issue.code === 'invalid_key') {
    throw new DomainValidationError(
      path,
      `${path} is not an asset symbol such as "ETH" (1-32 letters, digits, '.', '_' or '-')`,
    );
  }
  if (issue.code === 'unrecognized_keys') {
    const field = `${path}.${issue.keys[0]}`;
    throw new DomainValidationError(
      field,
      `${field} is not a portfolio limit; known fields: ${Object.keys(portfolioLimitsSchema.shape).join(', ')}`,
    );
  }
  throw new DomainValidationError(path, `${path} ${issue.message}`);
}

/** 'exposure:ETH:long', 'loss', 'drawdown'. */
export type BreachKey = string;

export interface ActiveBreach {
  key: BreachKey;
  limit: 'maxNetExposure' | 'maxTotalLoss' | 'maxDrawdown';
  asset?: string;
  direction?: 'long' | 'short';
  action: Exclude<PortfolioAction, 'continue'>;
  sinceMs: number;
  /** The pools this breach holds, sorted. */
  pools: string[];
}

export interface PortfolioRiskState {
  /** Highest total P&L seen, the drawdown's reference; null before the first evaluation. */
  peakPnl: string | null;
  breaches: ActiveBreach[];
  /** What each pool was last told, for pools not at 'continue'. */
  poolActions: Record<string, PortfolioAction>;
  /** Stopped by the supervisor: never resumed by it. */
  stopped: string[];
}

export const INITIAL_PORTFOLIO_RISK_STATE: PortfolioRiskState = Object.freeze({
  peakPnl: null,
  breaches: [],
  poolActions: {},
  stopped: [],
}) as PortfolioRiskState;

const actionSchema = z.enum(['continue', 'skew', 'pause', 'stop'], {
  error: "must be 'continue', 'skew', 'pause' or 'stop'",
});

const portfolioRiskStateSchema = z.strictObject({
  peakPnl: z.unknown().transform((value, ctx) => {
    if (value === null) return null;
    try {
      return formatDecimal(
        parseDecimal(value, 'value', { allowNegative: true, maxIntegerDigits: 24, maxDecimals: 40 }),
      );
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^value /, '') });
      return z.NEVER;
    }
  }),
  breaches: z.array(
    z.strictObject({
      key: z.string().max(100),
      limit: z.enum(['maxNetExposure', 'maxTotalLoss', 'maxDrawdown']),
      asset: assetKey.optional(),
      direction: z.enum(['long', 'short']).optional(),
      action: z.enum(['skew', 'pause', 'stop']),
      sinceMs: z.number().refine(Number.isFinite, 'must be epoch milliseconds'),
      pools: z.array(z.string()),
    }),
  ),
  poolActions: z.record(z.string(), actionSchema),
  stopped: z.array(z.string()),
});

/**
 * The supervisor's carried state as it comes back from JSON (a workflow input, continueAsNew):
 * refused with the field named rather than half-trusted.
 */
export function parsePortfolioRiskState(input: unknown): PortfolioRiskState {
  const result = portfolioRiskStateSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = ['state', ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    throw new DomainValidationError(
      `${path}.${issue.keys[0]}`,
      `${path}.${issue.keys[0]} is not a field of the portfolio risk state`,
    );
  }
  throw new DomainValidationError(path, `${path} ${issue.message}`);
}

export interface Measurement {
  key: BreachKey;
  /** Null when the limit was removed from the configuration (which clears its breach). */
  value: string | null;
  threshold: string | null;
}

export interface PoolSkew {
  asset: string;
  /** The side of the pool's base its quotes should favour to shed the exposure. */
  favour: 'sell_base' | 'buy_base';
}

export interface PoolDecision {
  poolId: string;
  action: PortfolioAction;
  /** The active breaches that hold this pool, sorted. */
  reasons: BreachKey[];
  /** For 'skew': one per exposure breach that skews this pool. */
  skews?: PoolSkew[];
}

export interface PoolActionChange {
  poolId: string;
  from: PortfolioAction;
  to: PortfolioAction;
  reasons: BreachKey[];
  /** For a change to 'skew': the side its quotes should favour (the first skewing breach's, by key). */
  favour?: PoolSkew['favour'];
}

export interface PortfolioRiskEvaluation {
  state: PortfolioRiskState;
  /** Breaches that began at this evaluation: each is an event to record. */
  breached: (Measurement & { pools: string[]; action: PortfolioAction })[];
  /** Breaches that cleared at this evaluation. */
  cleared: (Measurement & { pools: string[] })[];
  /** Every pool of the view, sorted by id. */
  decisions: PoolDecision[];
  /** Only the pools whose action differs from the previous evaluation: what the supervisor must do. */
  changes: PoolActionChange[];
  drawdown: string;
}

interface Candidate {
  key: BreachKey;
  limit: ActiveBreach['limit'];
  asset?: string;
  direction?: 'long' | 'short';
  action: Exclude<PortfolioAction, 'continue'>;
  /** The measured amount, oriented so that larger is worse (>= 0 means on the breach's side). */
  value: Big;
  threshold: Big;
  /** Pools adding to it now. */
  adders: string[];
}

const ZERO = new Big(0);
/** Places kept in recorded measurements: an amount's precision (money.ts AMOUNT_LIMITS). */
const MEASUREMENT_DECIMALS = 18;

function candidates(
  view: PortfolioView,
  limits: PortfolioLimits,
  drawdown: Big,
  activeAssets: readonly string[],
): Candidate[] {
  const out: Candidate[] = [];
  const allPools = view.pools.map((p) => p.poolId).sort();
  // Every asset with a limit, held or not: a breach whose asset no pool holds any more clears.
  const assets = new Set([...view.exposure.keys(), ...Object.keys(limits.maxNetExposure), ...activeAssets]);
  for (const asset of [...assets].sort()) {
    if (asset === view.numeraire) continue;
    const limit = ownValue(limits.maxNetExposure, asset) ?? limits.defaultMaxNetExposure;
    if (limit === undefined) continue;
    const exposure = view.exposure.get(asset) ?? { quantity: ZERO, value: ZERO };
    for (const direction of ['long', 'short'] as const) {
      const sign = direction === 'long' ? 1 : -1;
      out.push({
        key: `exposure:${asset}:${direction}`,
        limit: 'maxNetExposure',
        asset,
        direction,
        action: limits.exposureAction,
        value: exposure.value.times(sign),
        threshold: new Big(limit),
        adders: view.pools
          .filter((p) => (p.exposure.get(asset)?.value ?? ZERO).times(sign).gt(0))
          .map((p) => p.poolId)
          .sort(),
      });
    }
  }
  if (limits.maxTotalLoss !== undefined) {
    out.push({
      key: 'loss',
      limit: 'maxTotalLoss',
      action: limits.lossAction,
      value: view.totalPnl.times(-1),
      threshold: new Big(limits.maxTotalLoss),
      adders: allPools,
    });
  }
  if (limits.maxDrawdown !== undefined) {
    out.push({
      key: 'drawdown',
      limit: 'maxDrawdown',
      action: limits.drawdownAction,
      value: drawdown,
      threshold: new Big(limits.maxDrawdown),
      adders: allPools,
    });
  }
  return out;
}

/**
 * One evaluation: which breaches begin, persist or clear, what every pool should do, and which
 * pools must change what they do. Feed the returned state to the next evaluation.
 */
export function evaluatePortfolioRisk(
  view: PortfolioView,
  limits: PortfolioLimits,
  previous: PortfolioRiskState,
  nowMs: number,
): PortfolioRiskEvaluation {
  if (!Number.isFinite(nowMs)) {
    throw new DomainValidationError('nowMs', `nowMs must be epoch milliseconds, got ${String(nowMs)}`);
  }
  if (view.numeraire !== limits.numeraire) {
    throw new DomainValidationError(
      'limits.numeraire',
      `limits.numeraire is ${limits.numeraire} but the portfolio is valued in ${view.numeraire}; value it in ${limits.numeraire} or restate the limits`,
    );
  }
  const previousPeak = previous.peakPnl === null ? null : new Big(previous.peakPnl);
  const peak = previousPeak === null || view.totalPnl.gt(previousPeak) ? view.totalPnl : previousPeak;
  const drawdown = peak.minus(view.totalPnl);
  const resumeFactor = new Big(1).minus(limits.resumeBand);
  const poolIds = new Set(view.pools.map((p) => p.poolId));
  const activeByKey = new Map(previous.breaches.map((b) => [b.key, b]));

  const breaches: ActiveBreach[] = [];
  const breached: PortfolioRiskEvaluation['breached'] = [];
  const cleared: PortfolioRiskEvaluation['cleared'] = [];
  const seen = new Set<BreachKey>();
  const activeAssets = previous.breaches.flatMap((b) => (b.asset === undefined ? [] : [b.asset]));
  for (const c of candidates(view, limits, drawdown, activeAssets)) {
    seen.add(c.key);
    // Rounded for the record only; decisions use the whole value.
    const measurement = {
      key: c.key,
      value: formatDecimal(c.value.round(MEASUREMENT_DECIMALS, Big.roundHalfEven)),
      threshold: formatDecimal(c.threshold),
    };
    const active = activeByKey.get(c.key);
    if (active === undefined) {
      if (c.value.gt(c.threshold)) {
        const b: ActiveBreach = { ...pick(c), sinceMs: nowMs, pools: c.adders };
        breaches.push(b);
        breached.push({ ...measurement, pools: b.pools, action: b.action });
      }
      continue;
    }
    const held = nowMs - active.sinceMs < limits.minActionSeconds * 1000;
    if (held || c.value.gt(c.threshold.times(resumeFactor))) {
      // Still active: keep every pool it held that still exists, and take on new adders. Its action
      // follows the limits in force (an operator may have changed them).
      const pools = [...new Set([...active.pools.filter((p) => poolIds.has(p)), ...c.adders])].sort();
      breaches.push({ ...active, action: c.action, pools });
    } else {
      cleared.push({ ...measurement, pools: active.pools });
    }
  }
  // A limit removed from the configuration clears its breach.
  for (const b of previous.breaches) {
    if (!seen.has(b.key)) cleared.push({ key: b.key, value: null, threshold: null, pools: b.pools });
  }

  const stopped = new Set(previous.stopped.filter((p) => poolIds.has(p)));
  const decisions: PoolDecision[] = [...poolIds].sort().map((poolId) => {
    const holding = breaches.filter((b) => b.pools.includes(poolId));
    let act: PortfolioAction = holding.reduce<PortfolioAction>(
      (worst, b) => (SEVERITY[b.action] > SEVERITY[worst] ? b.action : worst),
      'continue',
    );
    if (stopped.has(poolId)) act = 'stop';
    const decision: PoolDecision = { poolId, action: act, reasons: holding.map((b) => b.key).sort() };
    if (act === 'skew') decision.skews = skewsFor(view, poolId, holding);
    return decision;
  });

  const poolActions: Record<string, PortfolioAction> = {};
  const changes: PoolActionChange[] = [];
  for (const d of decisions) {
    if (d.action !== 'continue') poolActions[d.poolId] = d.action;
    if (d.action === 'stop') stopped.add(d.poolId);
    const from = ownValue(previous.poolActions, d.poolId) ?? 'continue';
    if (from !== d.action) {
      const change: PoolActionChange = { poolId: d.poolId, from, to: d.action, reasons: d.reasons };
      const favour = d.skews?.[0]?.favour;
      if (favour !== undefined) change.favour = favour;
      changes.push(change);
    }
  }

  return {
    state: { peakPnl: formatDecimal(peak), breaches, poolActions, stopped: [...stopped].sort() },
    breached,
    cleared,
    decisions,
    changes,
    drawdown: formatDecimal(drawdown.round(MEASUREMENT_DECIMALS, Big.roundHalfEven)),
  };
}

/*
 * Asset symbols and pool ids are user-chosen, and "constructor" or "toString" are valid ones: a
 * plain index would read Object.prototype's member instead of "no entry".
 */
function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function pick(c: Candidate): Omit<ActiveBreach, 'sinceMs' | 'pools'> {
  const b: Omit<ActiveBreach, 'sinceMs' | 'pools'> = { key: c.key, limit: c.limit, action: c.action };
  if (c.asset !== undefined) b.asset = c.asset;
  if (c.direction !== undefined) b.direction = c.direction;
  return b;
}

/** Shedding a long in the pool's base means favouring sells of base; a long in its quote, buys. */
function skewsFor(view: PortfolioView, poolId: string, holding: ActiveBreach[]): PoolSkew[] {
  const pool = view.pools.find((p) => p.poolId === poolId)!;
  const [base] = pool.pair.split('/');
  return holding
    .filter((b) => b.action === 'skew' && b.asset !== undefined && b.direction !== undefined)
    .map((b) => {
      const shedBase = (b.asset === base) === (b.direction === 'long');
      return { asset: b.asset!, favour: shedBase ? 'sell_base' : 'buy_base' };
    });
}
