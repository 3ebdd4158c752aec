import { sql } from 'kysely';
import type { ExposureBin } from '../domain/intensity';
import type { Executor } from './event-store';

/*
 * The exposure of a pool's best quotes per distance bin and the fills against them
 * (migrations/0005_intensity_and_capital.ts): written by the quoting session, read by its fit.
 */

export interface MakerTrade {
  tradeId: string;
  takerOrderId: string;
  /** The market maker's side: a taker selling fills its bid. */
  side: 'bid' | 'ask';
  atMs: number;
}

/**
 * Trades against the market maker's quotes stamped after `sinceMs` (database clock). A trade is
 * stamped when its transaction starts and seen when it commits, so callers look back a little and
 * skip the trades they have already counted.
 */
export async function makerTradesSince(
  db: Executor,
  poolId: string,
  owner: string,
  sinceMs: number,
): Promise<MakerTrade[]> {
  const rows = await db
    .selectFrom('trades')
    .select([
      'id',
      'taker_order_id',
      'taker_side',
      sql<number>`(extract(epoch from created_at) * 1000)::float8`.as('at_ms'),
    ])
    .where('pool_id', '=', poolId)
    .where('maker_owner', '=', owner)
    .where('created_at', '>', new Date(sinceMs))
    .execute();
  return rows.map((r) => ({
    tradeId: r.id,
    takerOrderId: r.taker_order_id,
    side: r.taker_side === 'sell' ? 'bid' : 'ask',
    atMs: r.at_ms,
  }));
}

/**
 * Stores one refresh's accumulated bins under `sampleKey` (the session's generation and refresh
 * number): a repeated write of the same key adds nothing.
 */
export async function recordExposure(
  db: Executor,
  poolId: string,
  sampleKey: string,
  bins: readonly ExposureBin[],
): Promise<void> {
  const rows = bins
    .filter((b) => b.exposureSeconds > 0)
    .map((b) => ({
      pool_id: poolId,
      sample_key: sampleKey,
      bin: b.bin,
      exposure_seconds: b.exposureSeconds,
      distance_seconds: b.distanceSeconds,
      fills: b.fills,
    }));
  if (rows.length === 0) return;
  await db
    .insertInto('intensity_exposure')
    .values(rows)
    .onConflict((oc) => oc.columns(['sample_key', 'bin']).doNothing())
    .execute();
}

/** The pool's exposure inside the window, per stored bin, and forgets what has left the window. */
export async function readExposure(
  db: Executor,
  poolId: string,
  windowSeconds: number,
): Promise<ExposureBin[]> {
  const since = sql<Date>`now() - make_interval(secs => ${windowSeconds})`;
  await db
    .deleteFrom('intensity_exposure')
    .where('pool_id', '=', poolId)
    .where('recorded_at', '<', since)
    .execute();
  const rows = await db
    .selectFrom('intensity_exposure')
    .select([
      'bin',
      sql<number>`sum(exposure_seconds)`.as('exposure'),
      sql<number>`sum(distance_seconds)`.as('distance'),
      sql<string>`sum(fills)`.as('fills'),
    ])
    .where('pool_id', '=', poolId)
    .where('recorded_at', '>=', since)
    .groupBy('bin')
    .orderBy('bin')
    .execute();
  return rows.map((r) => ({
    bin: r.bin,
    exposureSeconds: Number(r.exposure),
    distanceSeconds: Number(r.distance),
    fills: Number(r.fills),
  }));
}
