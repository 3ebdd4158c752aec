import { z } from 'zod';

/**
 * The registry of domain events: every type that may be appended, its payload schema and version.
 * Amounts are decimal strings so nothing is lost to binary floating point on the way through JSON.
 */
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string such as "12.5"');
const positiveDecimal = decimal.refine(
  (s) => !s.startsWith('-') && /[1-9]/.test(s),
  'must be greater than zero',
);
const poolId = z.string().min(1);
const side = z.enum(['buy', 'sell']);
const level = z.object({ price: decimal, size: decimal }).strict();
const riskReason = z.object({ limit: z.string(), value: z.string(), threshold: z.string() }).strict();
const finitePositive = z.number().positive().finite();
/** The intensity a cycle quoted with: fitted from the pool's fills, or the configured prior (and why). */
const quotedIntensity = z
  .object({
    source: z.enum(['fitted', 'configured']),
    A: finitePositive,
    k: finitePositive,
    reason: z.string().optional(),
  })
  .strict();

export const EVENT_SCHEMAS = {
  pool_created: z
    .object({
      poolId,
      baseAsset: z.string().min(1),
      quoteAsset: z.string().min(1),
      tickSize: positiveDecimal,
      lotSize: positiveDecimal,
      minSize: positiveDecimal,
      spreadBps: positiveDecimal,
      config: z.record(z.string(), z.unknown()),
    })
    .strict(),
  pool_config_updated: z.object({ poolId, config: z.record(z.string(), z.unknown()) }).strict(),
  liquidity_added: z
    .object({
      poolId,
      provider: z.string().min(1),
      baseAmount: decimal,
      quoteAmount: decimal,
      sharesMinted: decimal,
      reserveBase: decimal,
      reserveQuote: decimal,
      totalShares: decimal,
    })
    .strict(),
  liquidity_removed: z
    .object({
      poolId,
      provider: z.string().min(1),
      baseAmount: decimal,
      quoteAmount: decimal,
      sharesBurned: decimal,
      reserveBase: decimal,
      reserveQuote: decimal,
      totalShares: decimal,
    })
    .strict(),
  spread_adjusted: z
    .object({
      poolId,
      oldSpreadBps: decimal,
      newSpreadBps: decimal,
      reasons: z.array(z.string()),
      sagaId: z.string().optional(),
    })
    .strict(),
  spread_adjustment_compensated: z
    .object({
      poolId,
      attemptedSpreadBps: decimal,
      restoredSpreadBps: decimal,
      error: z.string(),
      sagaId: z.string(),
    })
    .strict(),
  /**
   * A compensation the saga asked for and the database did not carry out, with why: it would have
   * narrowed the spread while the imbalance it was widened for persists, or someone else changed
   * the spread since the saga set it.
   */
  spread_compensation_withheld: z
    .object({
      poolId,
      attemptedSpreadBps: decimal,
      restoreToBps: decimal,
      currentSpreadBps: decimal,
      reason: z.enum(['would_narrow', 'changed_since']),
      error: z.string(),
      sagaId: z.string(),
    })
    .strict(),
  inventory_imbalance_detected: z
    .object({
      poolId,
      inventoryShare: decimal,
      targetShare: decimal,
      imbalance: decimal,
      severity: z.enum(['moderate', 'critical']),
      recommendedAction: z.enum(['monitor', 'rebalance']),
    })
    .strict(),
  market_volatility_changed: z
    .object({
      poolId,
      volatility: z.number().nonnegative(),
      oldRegime: z.enum(['normal', 'high', 'extreme']),
      newRegime: z.enum(['normal', 'high', 'extreme']),
    })
    .strict(),
  /** The saga asks the pool's hedging owner (its market maker) to bring inventory back to target. */
  hedge_requested: z
    .object({ poolId, requestId: z.string().min(1), requestedBy: z.string().min(1) })
    .strict(),
  inventory_adjusted: z
    .object({
      poolId,
      venue: z.string(),
      /** Why the owner hedged (absent on hedges booked before there were two triggers). */
      trigger: z.enum(['risk_flatten', 'saga_request']).optional(),
      side,
      baseAmount: positiveDecimal,
      quoteAmount: positiveDecimal,
      price: positiveDecimal,
      fee: decimal,
      inventoryShareBefore: decimal,
      inventoryShareAfter: decimal,
      reserveBase: decimal,
      reserveQuote: decimal,
    })
    .strict(),
  market_maker_started: z
    .object({
      poolId,
      workflowId: z.string(),
      strategy: z.string(),
      refreshIntervalMs: z.number().int().positive(),
    })
    .strict(),
  market_maker_stopped: z
    .object({
      poolId,
      workflowId: z.string(),
      reason: z.string(),
      cancelledOrders: z.number().int().nonnegative(),
    })
    .strict(),
  market_maker_paused: z.object({ poolId, reason: z.string(), untilMs: z.number().optional() }).strict(),
  market_maker_resumed: z.object({ poolId, reason: z.string() }).strict(),
  quotes_updated: z
    .object({
      poolId,
      cycle: z.number().int().nonnegative(),
      mid: positiveDecimal,
      reservationPrice: decimal,
      spreadBps: decimal,
      bids: z.array(level),
      asks: z.array(level),
      placed: z.number().int().nonnegative(),
      cancelled: z.number().int().nonnegative(),
      kept: z.number().int().nonnegative(),
      /** Present when the pool fits its intensity (config intensityFit.source 'fitted'). */
      intensity: quotedIntensity.optional(),
    })
    .strict(),
  /** A refresh of the pool's fitted intensity (domain/intensity.ts): what A-S/GLFT quote with next. */
  intensity_fitted: z
    .object({
      poolId,
      /** 'fitted' when the fit is used; 'configured' when it fell back to the strategy's values. */
      source: z.enum(['fitted', 'configured']),
      A: finitePositive,
      k: finitePositive,
      stdErrorA: finitePositive.nullable(),
      stdErrorK: finitePositive.nullable(),
      reason: z.string().nullable(),
      detail: z.string().nullable(),
      fills: z.number().int().nonnegative(),
      exposureSeconds: z.number().nonnegative().finite(),
      distances: z.number().int().nonnegative(),
      windowSeconds: finitePositive,
    })
    .strict(),
  risk_limit_breached: z
    .object({
      poolId,
      action: z.enum(['widen', 'pause', 'flatten', 'stop']),
      reasons: z.array(riskReason).min(1),
    })
    .strict(),
  // The portfolio supervisor of a desk (workflows/portfolio-supervisor.ts), on the desk's stream.
  portfolio_supervisor_started: z
    .object({ deskId: z.string().min(1), workflowId: z.string().min(1), pools: z.array(poolId) })
    .strict(),
  portfolio_limit_breached: z
    .object({
      deskId: z.string().min(1),
      key: z.string().min(1),
      value: decimal,
      threshold: decimal,
      action: z.enum(['skew', 'pause', 'stop']),
      pools: z.array(poolId),
    })
    .strict(),
  portfolio_limit_cleared: z
    .object({
      deskId: z.string().min(1),
      key: z.string().min(1),
      /** Null when the limit was removed from the configuration. */
      value: decimal.nullable(),
      threshold: decimal.nullable(),
      pools: z.array(poolId),
    })
    .strict(),
  portfolio_action_taken: z
    .object({
      deskId: z.string().min(1),
      poolId,
      from: z.enum(['continue', 'skew', 'pause', 'stop']),
      to: z.enum(['continue', 'skew', 'pause', 'stop']),
      reasons: z.array(z.string()),
      /** What the market maker was told: a pause, resume or stop signal, or why it could not be. */
      outcome: z.string(),
      /**
       * A skew or its undoing: the pool's spreadPolicy.targetInventoryShare before and after
       * (after equals before when the supervisor left it: not delivered, or an operator changed it).
       */
      target: z.object({ from: z.number(), to: z.number() }).strict().optional(),
    })
    .strict(),
  desk_hedge_filled: z
    .object({
      deskId: z.string().min(1),
      asset: z.string().min(1),
      pair: z.string().min(1),
      venue: z.string(),
      clientOrderId: z.string().min(1),
      side,
      baseAmount: positiveDecimal,
      quoteAmount: positiveDecimal,
      price: positiveDecimal,
      fee: decimal,
      /** The pools' requests added up (signed, + buys) and their gross: what per-pool hedging would have sent. */
      net: decimal,
      gross: decimal,
      pools: z.array(poolId),
    })
    .strict(),
  desk_hedge_failed: z
    .object({
      deskId: z.string().min(1),
      asset: z.string().min(1),
      clientOrderId: z.string().min(1),
      reason: z.string(),
    })
    .strict(),
  order_placed: z
    .object({
      orderId: z.string(),
      poolId,
      owner: z.string(),
      clientOrderId: z.string(),
      side,
      type: z.enum(['limit', 'ioc', 'post_only']),
      price: positiveDecimal,
      quantity: positiveDecimal,
    })
    .strict(),
  order_cancelled: z
    .object({
      orderId: z.string(),
      poolId,
      owner: z.string(),
      remainingQuantity: decimal,
      reason: z.string(),
    })
    .strict(),
  order_executed: z
    .object({
      tradeId: z.string(),
      poolId,
      makerOrderId: z.string(),
      takerOrderId: z.string(),
      makerOwner: z.string(),
      takerOwner: z.string(),
      takerSide: side,
      price: positiveDecimal,
      quantity: positiveDecimal,
      quoteAmount: positiveDecimal,
      makerIsPool: z.boolean(),
      reserveBase: decimal.optional(),
      reserveQuote: decimal.optional(),
    })
    .strict(),
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventPayload<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/** Bumped when a payload's shape changes; readers upcast older versions. */
export const EVENT_VERSIONS: Record<EventType, number> = Object.fromEntries(
  Object.keys(EVENT_SCHEMAS).map((t) => [t, 1]),
) as Record<EventType, number>;

export interface NewEvent<T extends EventType = EventType> {
  /** Deterministic id (from workflow, run and step) so a retried write is recognised. */
  eventId: string;
  type: T;
  payload: EventPayload<T>;
  metadata?: Record<string, unknown>;
}

export class EventValidationError extends Error {
  constructor(
    message: string,
    readonly eventType: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'EventValidationError';
  }
}

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, type);
}

/** Refuses unknown types and payloads that fail their schema, naming the offending field. */
export function validateEventPayload<T extends EventType>(type: string, payload: unknown): EventPayload<T> {
  if (!isEventType(type)) {
    throw new EventValidationError(
      `Unknown event type "${type}". Known types: ${Object.keys(EVENT_SCHEMAS).join(', ')}.`,
      type,
    );
  }
  const result = EVENT_SCHEMAS[type].safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field =
      issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(payload)');
    const what =
      issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    throw new EventValidationError(`Invalid ${type} event: field "${field}": ${what}.`, type, field);
  }
  return result.data as EventPayload<T>;
}

export function newEvent<T extends EventType>(
  eventId: string,
  type: T,
  payload: EventPayload<T>,
): NewEvent<T> {
  return { eventId, type, payload };
}
