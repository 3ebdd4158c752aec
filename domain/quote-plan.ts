import { Big } from './money';
import type { Side } from './orders';

/*
 * Which resting quotes a reconcile keeps, cancels and places. Pure, so the quoting session can ask
 * "would this cycle change anything?" without a transaction, and the order book applies the very
 * same answer under the pool lock.
 */

export interface RestingQuote {
  orderId: string;
  side: Side;
  price: Big;
  /** Quantity still open. */
  remaining: Big;
  createdAtMs: number;
  /** null for an order that never expires. */
  expiresAtMs: number | null;
}

export interface DesiredQuote {
  side: Side;
  price: Big;
  size: Big;
}

export interface QuotePlan {
  keep: RestingQuote[];
  cancel: Array<{ quote: RestingQuote; reason: 'requote' | 'expired' | 'max_order_age' }>;
  /** Indexes into the desired ladder. */
  place: number[];
}

export interface QuotePlanRules {
  /** Refresh tolerance as a fraction of the desired price (2 bps = 0.0002). */
  tolerance: Big;
  maxOrderAgeMs: number;
  nowMs: number;
}

/** A resting order is kept when it is still alive, young enough, on the passive side of the
 * desired price within the tolerance, and holds between 75% and 100% of the desired size. */
function keeps(q: RestingQuote, d: DesiredQuote, tolerance: Big): boolean {
  if (q.side !== d.side) return false;
  // Passive side only: a kept order may be less aggressive than wanted, never more (it could
  // otherwise sit across the mid guard).
  const gap = d.side === 'buy' ? d.price.minus(q.price) : q.price.minus(d.price);
  return (
    gap.gte(0) &&
    gap.lte(d.price.times(tolerance)) &&
    q.remaining.lte(d.size) &&
    q.remaining.gte(d.size.times('0.75'))
  );
}

export function planQuotes(
  resting: RestingQuote[],
  desired: DesiredQuote[],
  rules: QuotePlanRules,
): QuotePlan {
  const cancel: QuotePlan['cancel'] = [];
  const alive: RestingQuote[] = [];
  for (const q of resting) {
    if (q.expiresAtMs !== null && q.expiresAtMs <= rules.nowMs) cancel.push({ quote: q, reason: 'expired' });
    else if (rules.nowMs - q.createdAtMs >= rules.maxOrderAgeMs)
      cancel.push({ quote: q, reason: 'max_order_age' });
    else alive.push(q);
  }
  const unmatched = new Set(alive);
  const keep: RestingQuote[] = [];
  const place: number[] = [];
  desired.forEach((d, index) => {
    const match = alive.find((q) => unmatched.has(q) && keeps(q, d, rules.tolerance));
    if (match) {
      unmatched.delete(match);
      keep.push(match);
    } else {
      place.push(index);
    }
  });
  for (const q of unmatched) cancel.push({ quote: q, reason: 'requote' });
  return { keep, cancel, place };
}

export function isQuietPlan(plan: QuotePlan): boolean {
  return plan.cancel.length === 0 && plan.place.length === 0;
}

/** The earliest expiry among kept quotes: the session must renew before it. */
export function earliestExpiryMs(quotes: RestingQuote[]): number | null {
  let min: number | null = null;
  for (const q of quotes)
    if (q.expiresAtMs !== null && (min === null || q.expiresAtMs < min)) min = q.expiresAtMs;
  return min;
}
