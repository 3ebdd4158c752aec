import type { Kysely, Transaction } from 'kysely';
import { DomainValidationError } from '../domain/errors';
import { AMOUNT_LIMITS, Big, formatDecimal, parseDecimal } from '../domain/money';
import { parseName } from '../domain/text';
import type { Database } from './types';

type Executor = Kysely<Database> | Transaction<Database>;

export interface StoredPriceTick {
  feed: string;
  /** Canonical decimal string. */
  price: string;
  observedAtMs: number;
}

export interface PricePointRow {
  price: string;
  observedAtMs: number;
}

// Two bind parameters per row; well below Postgres's 65535-parameter limit per statement.
const INSERT_CHUNK = 5000;

function toRow(tick: StoredPriceTick, i: number): { feed: string; price: string; observed_at: Date } {
  parseName(tick.feed, `ticks[${i}].feed`);
  if (!Number.isSafeInteger(tick.observedAtMs)) {
    throw new DomainValidationError(
      `ticks[${i}].observedAtMs`,
      `ticks[${i}].observedAtMs must be integer epoch milliseconds, got ${String(tick.observedAtMs)}`,
    );
  }
  const price = parseDecimal(tick.price, `ticks[${i}].price`, { allowZero: false, ...AMOUNT_LIMITS });
  return { feed: tick.feed, price: formatDecimal(price), observed_at: new Date(tick.observedAtMs) };
}

function fromNumeric(value: string): string {
  // pg returns numeric with its stored scale ("2000.50"); callers compare canonical strings.
  return formatDecimal(new Big(value));
}

/**
 * Idempotent: a tick already stored for (feed, observed_at) is skipped, so a retried or repeated
 * ingest writes nothing twice. Returns how many rows were new.
 */
export async function insertTicks(db: Executor, ticks: readonly StoredPriceTick[]): Promise<number> {
  const rows = ticks.map(toRow);
  let inserted = 0;
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const result = await db
      .insertInto('price_ticks')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflict((oc) => oc.columns(['feed', 'observed_at']).doNothing())
      .returning('id')
      .execute();
    inserted += result.length;
  }
  return inserted;
}

export async function latestTick(db: Executor, feed: string): Promise<StoredPriceTick | null> {
  const row = await db
    .selectFrom('price_ticks')
    .select(['feed', 'price', 'observed_at'])
    .where('feed', '=', feed)
    .orderBy('observed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row
    ? { feed: row.feed, price: fromNumeric(row.price), observedAtMs: row.observed_at.getTime() }
    : null;
}

/** The newest `limit` ticks observed at or after `sinceMs`, oldest first (the order estimators expect). */
export async function recentTicks(
  db: Executor,
  feed: string,
  opts: { sinceMs?: number; limit: number },
): Promise<PricePointRow[]> {
  if (!Number.isInteger(opts.limit) || opts.limit <= 0) {
    throw new DomainValidationError('limit', `limit must be a positive integer, got ${String(opts.limit)}`);
  }
  let query = db.selectFrom('price_ticks').select(['price', 'observed_at']).where('feed', '=', feed);
  if (opts.sinceMs !== undefined) {
    if (!Number.isFinite(opts.sinceMs)) {
      throw new DomainValidationError(
        'sinceMs',
        `sinceMs must be epoch milliseconds, got ${String(opts.sinceMs)}`,
      );
    }
    query = query.where('observed_at', '>=', new Date(opts.sinceMs));
  }
  const rows = await query.orderBy('observed_at', 'desc').limit(opts.limit).execute();
  return rows.reverse().map((r) => ({ price: fromNumeric(r.price), observedAtMs: r.observed_at.getTime() }));
}

/**
 * Seconds between `nowMs` and the feed's newest observation; null when the feed has no tick.
 * Negative when the source's clock runs ahead of ours: reported as is rather than hidden.
 */
export async function tickAgeSeconds(db: Executor, feed: string, nowMs: number): Promise<number | null> {
  const latest = await latestTick(db, feed);
  return latest === null ? null : (nowMs - latest.observedAtMs) / 1000;
}
