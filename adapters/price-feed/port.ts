/**
 * One observation of a reference price. `price` is a canonical decimal string (never a float) so
 * the tick can cross any boundary (Postgres numeric, JSON, Temporal payloads) without losing digits.
 */
export interface PriceTick {
  feed: string;
  price: string;
  /** Epoch milliseconds at which the source observed the price (not when we received it). */
  observedAtMs: number;
}

/**
 * Pull-style source of reference prices, polled by the ingester.
 *
 * `next()` returns the next tick, or null when there is nothing new right now: a simulation whose
 * clock has not advanced a step yet, or a replay that has run out of rows. Pull rather than push so
 * the ingester alone decides the pace and back-pressure, and one loop serves a local simulation,
 * a file and a remote HTTP endpoint alike. Errors are thrown as `PriceFeedError`; the caller
 * decides whether to retry.
 */
export interface PriceFeed {
  /** Stored in `price_ticks.feed`; pools reference a feed by this name. */
  readonly name: string;
  next(): Promise<PriceTick | null>;
}

export type Clock = () => number;

/** A feed failed to produce a tick. The message names the source and says what to fix. */
export class PriceFeedError extends Error {
  readonly feed: string;

  constructor(feed: string, message: string, options?: { cause?: unknown }) {
    super(`price feed "${feed}": ${message}`, options);
    this.name = 'PriceFeedError';
    this.feed = feed;
  }
}
