import { z } from 'zod';
import { DomainValidationError, describeValue } from './errors';
import { POOL_ID } from './text';
import { AMOUNT_LIMITS, Big, formatDecimal, isOnGrid, notional, parseDecimal } from './money';

/*
 * An order request as it crosses a boundary (client, activity, HTTP): strict, decimal strings only.
 * Market-rule checks need the pool (tick, lot, minimum size, notional cap) and live in checkOrderRules.
 */

export type Side = 'buy' | 'sell';
export type OrderType = 'limit' | 'ioc' | 'post_only';

export interface OrderRequest {
  poolId: string;
  owner: string;
  clientOrderId: string;
  side: Side;
  type: OrderType;
  price: Big;
  quantity: Big;
}

const identifier = (what: string) =>
  z
    .string({ error: (i) => `must be a string ${what}, got ${describeValue(i.input)}` })
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(/^[A-Za-z0-9_.:/@-]+$/, 'may contain only letters, digits and _ . : / @ -');

const orderRequestSchema = z.strictObject({
  poolId: z
    .string({ error: (i) => `must be a string pool id, got ${describeValue(i.input)}` })
    .regex(POOL_ID, 'must be 1-64 letters, digits, _ . - starting with a letter or digit'),
  owner: identifier('owner id'),
  clientOrderId: identifier('client order id'),
  side: z.enum(['buy', 'sell'], { error: "must be 'buy' or 'sell'" }),
  type: z
    .enum(['limit', 'ioc', 'post_only'], { error: "must be 'limit', 'ioc' or 'post_only'" })
    .default('limit'),
  price: z.unknown(),
  quantity: z.unknown(),
});

export function parseOrderRequest(input: unknown): OrderRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainValidationError('order', `order must be a JSON object, got ${describeValue(input)}`);
  }
  const result = orderRequestSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new DomainValidationError(
        issue.keys[0]!,
        `${issue.keys.join(', ')} is not a known order field; known: poolId, owner, clientOrderId, side, type, price, quantity`,
      );
    }
    const field = issue.path.map(String).join('.') || 'order';
    throw new DomainValidationError(field, `${field} ${issue.message}`);
  }
  const r = result.data;
  return {
    poolId: r.poolId,
    owner: r.owner,
    clientOrderId: r.clientOrderId,
    side: r.side,
    type: r.type,
    price: parseDecimal(r.price, 'price', { allowZero: false, ...AMOUNT_LIMITS }),
    quantity: parseDecimal(r.quantity, 'quantity', { allowZero: false, ...AMOUNT_LIMITS }),
  };
}

export interface MarketRules {
  tickSize: Big;
  lotSize: Big;
  minSize: Big;
  maxOrderNotional: Big;
}

/** The pool's grid and size limits; refusing here means nothing is written. */
export function checkOrderRules(order: Pick<OrderRequest, 'price' | 'quantity'>, rules: MarketRules): void {
  if (!isOnGrid(order.price, rules.tickSize)) {
    throw new DomainValidationError(
      'price',
      `price ${formatDecimal(order.price)} is not on the pool's tick grid of ${formatDecimal(rules.tickSize)}; round it to a multiple of the tick`,
    );
  }
  if (!isOnGrid(order.quantity, rules.lotSize)) {
    throw new DomainValidationError(
      'quantity',
      `quantity ${formatDecimal(order.quantity)} is not a multiple of the pool's lot size ${formatDecimal(rules.lotSize)}`,
    );
  }
  if (order.quantity.lt(rules.minSize)) {
    throw new DomainValidationError(
      'quantity',
      `quantity ${formatDecimal(order.quantity)} is below the pool's minimum size ${formatDecimal(rules.minSize)}`,
    );
  }
  const value = notional(order.price, order.quantity);
  if (value.gt(rules.maxOrderNotional)) {
    throw new DomainValidationError(
      'quantity',
      `order notional ${formatDecimal(value)} exceeds the pool's maximum order notional ${formatDecimal(rules.maxOrderNotional)}; split the order`,
    );
  }
}

/** Whether an incoming order at `price` would trade against a resting order at `restingPrice`. */
export function crosses(side: Side, price: Big, restingPrice: Big): boolean {
  return side === 'buy' ? price.gte(restingPrice) : price.lte(restingPrice);
}

export function oppositeSide(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}
