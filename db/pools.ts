import { sql } from 'kysely';
import { parsePoolConfig, parseStoredPoolConfig, type PoolConfig } from '../domain/config';
import { DomainValidationError, describeValue } from '../domain/errors';
import type { NewEvent } from '../domain/events';
import { AMOUNT_LIMITS, BPS_LIMITS, Big, formatDecimal, parseDecimal } from '../domain/money';
import { parseName, parsePoolId } from '../domain/text';
import { sharesForDeposit, withdrawalForShares } from '../domain/pool';
import { poolStream } from '../domain/streams';
import type { Db } from './connection';
import { NotFoundError, ConflictError } from './errors';
import { appendToStream, type Executor } from './event-store';
import type { PoolRow } from './types';

export interface PoolState {
  id: string;
  baseAsset: string;
  quoteAsset: string;
  reserveBase: Big;
  reserveQuote: Big;
  totalShares: Big;
  netBaseContributed: Big;
  netQuoteContributed: Big;
  spreadBps: Big;
  tickSize: Big;
  lotSize: Big;
  minSize: Big;
  status: 'active' | 'paused' | 'closed';
  config: PoolConfig;
  priceFeed: string;
  /** The market maker's fence (generation, attempt): see db/fence.ts. */
  mmGeneration: string;
  mmAttempt: number;
  /** The spread saga asked the market maker to hedge; cleared when the market maker answers. */
  hedgeRequestedAt: Date | null;
  /** Fees paid to the hedge venue over the pool's life, in quote. */
  hedgeFeesPaid: Big;
  /** The most capital ever contributed (each change valued in quote when it happened): what is at risk. */
  peakCapital: Big;
  /** Set while a desk's supervisor hedges this pool's exposure, netted: the pool does not hedge itself. */
  hedgedByDesk: string | null;
}

export function toPoolState(row: PoolRow): PoolState {
  return {
    id: row.id,
    baseAsset: row.base_asset,
    quoteAsset: row.quote_asset,
    reserveBase: new Big(row.reserve_base),
    reserveQuote: new Big(row.reserve_quote),
    totalShares: new Big(row.total_shares),
    netBaseContributed: new Big(row.net_base_contributed),
    netQuoteContributed: new Big(row.net_quote_contributed),
    spreadBps: new Big(row.spread_bps),
    tickSize: new Big(row.tick_size),
    lotSize: new Big(row.lot_size),
    minSize: new Big(row.min_size),
    status: row.status,
    config: parseStoredPoolConfig(row.config),
    priceFeed: row.price_feed,
    mmGeneration: String(row.mm_generation),
    mmAttempt: Number(row.mm_attempt),
    hedgeRequestedAt: row.hedge_requested_at ? new Date(row.hedge_requested_at) : null,
    hedgeFeesPaid: new Big(row.hedge_fees_paid),
    peakCapital: new Big(row.peak_capital),
    hedgedByDesk: row.hedged_by_desk ?? null,
  };
}

export async function getPool(db: Executor, poolId: string): Promise<PoolState> {
  parsePoolId(poolId);
  const row = await db.selectFrom('pools').selectAll().where('id', '=', poolId).executeTakeFirst();
  if (!row) throw new NotFoundError(`Pool "${poolId}" does not exist; create it first or check the id.`);
  return toPoolState(row);
}

/** Takes the pool's row lock: every change to a pool's reserves or book is serialised per pool. */
export async function lockPool(trx: Executor, poolId: string): Promise<PoolState> {
  parsePoolId(poolId);
  const row = await trx
    .selectFrom('pools')
    .selectAll()
    .where('id', '=', poolId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Pool "${poolId}" does not exist; create it first or check the id.`);
  return toPoolState(row);
}

export async function writeReserves(trx: Executor, pool: PoolState): Promise<void> {
  await trx
    .updateTable('pools')
    .set({
      reserve_base: formatDecimal(pool.reserveBase),
      reserve_quote: formatDecimal(pool.reserveQuote),
      total_shares: formatDecimal(pool.totalShares),
      net_base_contributed: formatDecimal(pool.netBaseContributed),
      net_quote_contributed: formatDecimal(pool.netQuoteContributed),
      spread_bps: formatDecimal(pool.spreadBps),
      updated_at: sql`now()` as never,
    })
    .where('id', '=', pool.id)
    .execute();
}

/**
 * The payload of an event this request already wrote, if any: a retry returns the first outcome.
 * The request id is a promise that the request is the same one: a request id reused for another
 * kind of change, or for the same kind with other terms, is refused instead of answered with the
 * earlier outcome (or, worse, silently ignored).
 */
async function priorEvent(
  db: Executor,
  eventId: string,
  expected: { type: string; request: Record<string, unknown>; requestId: string },
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('events')
    .select(['type', 'payload', 'metadata'])
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  if (!row) return undefined;
  const stored = (row.metadata as { request?: Record<string, unknown> } | null)?.request;
  const same = row.type === expected.type && (stored === undefined || sameRequest(stored, expected.request));
  if (!same) {
    throw new ConflictError(
      `requestId "${expected.requestId}" was already used for a different request (${row.type}` +
        `${stored ? ` ${JSON.stringify(stored)}` : ''}); use a new requestId for a new change.`,
    );
  }
  return row.payload as Record<string, unknown>;
}

function sameRequest(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (
      typeof x === 'string' &&
      typeof y === 'string' &&
      /^-?\d+(\.\d+)?$/.test(x) &&
      /^-?\d+(\.\d+)?$/.test(y)
    ) {
      if (!new Big(x).eq(y)) return false;
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      return false;
    }
  }
  return true;
}

function provider(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:/@-]{1,128}$/.test(value)) {
    throw new DomainValidationError(
      'provider',
      'provider must be 1-128 characters of letters, digits and _ . : / @ -',
    );
  }
  return value;
}

function requireObject(input: unknown, what: string): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainValidationError(what, `${what} must be an object, got ${describeValue(input)}`);
  }
}

export interface CreatePoolInput {
  poolId: string;
  baseAsset: string;
  quoteAsset: string;
  tickSize: string;
  lotSize: string;
  minSize: string;
  priceFeed: string;
  config?: unknown;
  spreadBps?: string;
}

/** Idempotent by pool id: creating the same pool twice is a no-op, with other terms a conflict. */
export async function createPool(db: Db, input: CreatePoolInput): Promise<PoolState> {
  requireObject(input, 'pool');
  parsePoolId(input.poolId);
  for (const field of ['baseAsset', 'quoteAsset', 'priceFeed'] as const) parseName(input[field], field);
  const config = parsePoolConfig(input.config ?? {});
  const tick = parseDecimal(input.tickSize, 'tickSize', { allowZero: false, ...AMOUNT_LIMITS });
  const lot = parseDecimal(input.lotSize, 'lotSize', { allowZero: false, ...AMOUNT_LIMITS });
  const min = parseDecimal(input.minSize, 'minSize', { allowZero: false, ...AMOUNT_LIMITS });
  const spread = parseDecimal(input.spreadBps ?? config.spreadPolicy.defaultSpreadBps, 'spreadBps', {
    allowZero: false,
    ...BPS_LIMITS,
  });
  const { minSpreadBps, maxSpreadBps } = config.spreadPolicy;
  if (spread.lt(minSpreadBps) || spread.gt(maxSpreadBps)) {
    throw new DomainValidationError(
      'spreadBps',
      `spreadBps must lie within the pool's spread bounds [${minSpreadBps}, ${maxSpreadBps}] bps, got "${formatDecimal(spread)}"`,
    );
  }
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('pools')
      .selectAll()
      .where('id', '=', input.poolId)
      .executeTakeFirst();
    if (existing) {
      const p = toPoolState(existing);
      const same =
        p.baseAsset === input.baseAsset &&
        p.quoteAsset === input.quoteAsset &&
        p.tickSize.eq(tick) &&
        p.lotSize.eq(lot) &&
        p.minSize.eq(min);
      if (!same)
        throw new ConflictError(
          `Pool "${input.poolId}" already exists with different assets or market rules.`,
        );
      return p;
    }
    await trx
      .insertInto('pools')
      .values({
        id: input.poolId,
        base_asset: input.baseAsset,
        quote_asset: input.quoteAsset,
        reserve_base: '0',
        reserve_quote: '0',
        spread_bps: formatDecimal(spread),
        tick_size: formatDecimal(tick),
        lot_size: formatDecimal(lot),
        min_size: formatDecimal(min),
        config: JSON.stringify(config),
        price_feed: input.priceFeed,
      })
      .execute();
    await appendToStream(trx, poolStream(input.poolId), 'no_stream', [
      {
        eventId: `pool/${input.poolId}/created`,
        type: 'pool_created',
        payload: {
          poolId: input.poolId,
          baseAsset: input.baseAsset,
          quoteAsset: input.quoteAsset,
          tickSize: formatDecimal(tick),
          lotSize: formatDecimal(lot),
          minSize: formatDecimal(min),
          spreadBps: formatDecimal(spread),
          config: config as unknown as Record<string, unknown>,
        },
      },
    ]);
    return getPool(trx, input.poolId);
  });
}

export interface LiquidityResult {
  poolId: string;
  provider: string;
  baseAmount: string;
  quoteAmount: string;
  shares: string;
  reserveBase: string;
  reserveQuote: string;
  totalShares: string;
}

export function validRequestId(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:/@-]{1,200}$/.test(value)) {
    throw new DomainValidationError(
      'requestId',
      'requestId must be 1-200 characters of letters, digits and _ . : / @ - (it makes the request idempotent)',
    );
  }
  return value;
}

export async function addLiquidity(
  db: Db,
  input: { poolId: string; provider: string; base: string; quote: string; requestId: string },
): Promise<LiquidityResult> {
  requireObject(input, 'deposit');
  parsePoolId(input.poolId);
  // A deposit needs both assets: the shares minted follow the smaller of the two ratios.
  const base = parseDecimal(input.base, 'base', { allowZero: false, ...AMOUNT_LIMITS });
  const quote = parseDecimal(input.quote, 'quote', { allowZero: false, ...AMOUNT_LIMITS });
  const request = {
    provider: provider(input.provider),
    base: formatDecimal(base),
    quote: formatDecimal(quote),
  };
  const eventId = `liquidity/${input.poolId}/${validRequestId(input.requestId)}`;
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const prior = await priorEvent(trx, eventId, {
      type: 'liquidity_added',
      request,
      requestId: input.requestId,
    });
    if (prior) return { ...(prior as unknown as LiquidityResult), shares: String(prior.sharesMinted) };
    const dep = sharesForDeposit({
      reserveBase: pool.reserveBase,
      reserveQuote: pool.reserveQuote,
      totalShares: pool.totalShares,
      base,
      quote,
    });
    pool.reserveBase = pool.reserveBase.plus(dep.baseTaken);
    pool.reserveQuote = pool.reserveQuote.plus(dep.quoteTaken);
    pool.totalShares = pool.totalShares.plus(dep.sharesMinted);
    pool.netBaseContributed = pool.netBaseContributed.plus(dep.baseTaken);
    pool.netQuoteContributed = pool.netQuoteContributed.plus(dep.quoteTaken);
    await writeReserves(trx, pool);
    await trx
      .insertInto('liquidity_positions')
      .values({ pool_id: pool.id, provider: input.provider, shares: formatDecimal(dep.sharesMinted) })
      .onConflict((oc) =>
        oc.columns(['pool_id', 'provider']).doUpdateSet({
          shares: sql`liquidity_positions.shares + excluded.shares`,
          updated_at: sql`now()` as never,
        }),
      )
      .execute();
    const payload = {
      poolId: pool.id,
      provider: input.provider,
      baseAmount: formatDecimal(dep.baseTaken),
      quoteAmount: formatDecimal(dep.quoteTaken),
      sharesMinted: formatDecimal(dep.sharesMinted),
      reserveBase: formatDecimal(pool.reserveBase),
      reserveQuote: formatDecimal(pool.reserveQuote),
      totalShares: formatDecimal(pool.totalShares),
    };
    await appendToStream(trx, poolStream(pool.id), 'any', [
      { eventId, type: 'liquidity_added', payload, metadata: { request } },
    ]);
    return { ...payload, shares: payload.sharesMinted };
  });
}

export async function removeLiquidity(
  db: Db,
  input: { poolId: string; provider: string; shares: string; requestId: string },
): Promise<LiquidityResult> {
  requireObject(input, 'withdrawal');
  parsePoolId(input.poolId);
  const shares = parseDecimal(input.shares, 'shares', { allowZero: false, ...AMOUNT_LIMITS });
  const request = { provider: provider(input.provider), shares: formatDecimal(shares) };
  const eventId = `liquidity/${input.poolId}/${validRequestId(input.requestId)}`;
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const prior = await priorEvent(trx, eventId, {
      type: 'liquidity_removed',
      request,
      requestId: input.requestId,
    });
    if (prior) return { ...(prior as unknown as LiquidityResult), shares: String(prior.sharesBurned) };
    const position = await trx
      .selectFrom('liquidity_positions')
      .select('shares')
      .where('pool_id', '=', pool.id)
      .where('provider', '=', input.provider)
      .forUpdate()
      .executeTakeFirst();
    const held = new Big(position?.shares ?? '0');
    if (held.lt(shares)) {
      throw new DomainValidationError(
        'shares',
        `provider "${input.provider}" holds ${formatDecimal(held)} shares of pool "${pool.id}", fewer than the ${formatDecimal(shares)} requested`,
      );
    }
    const out = withdrawalForShares({
      reserveBase: pool.reserveBase,
      reserveQuote: pool.reserveQuote,
      totalShares: pool.totalShares,
      shares,
    });
    pool.reserveBase = pool.reserveBase.minus(out.base);
    pool.reserveQuote = pool.reserveQuote.minus(out.quote);
    pool.totalShares = pool.totalShares.minus(shares);
    pool.netBaseContributed = pool.netBaseContributed.minus(out.base);
    pool.netQuoteContributed = pool.netQuoteContributed.minus(out.quote);
    await writeReserves(trx, pool);
    await trx
      .updateTable('liquidity_positions')
      .set({ shares: formatDecimal(held.minus(shares)), updated_at: sql`now()` as never })
      .where('pool_id', '=', pool.id)
      .where('provider', '=', input.provider)
      .execute();
    const payload = {
      poolId: pool.id,
      provider: input.provider,
      baseAmount: formatDecimal(out.base),
      quoteAmount: formatDecimal(out.quote),
      sharesBurned: formatDecimal(shares),
      reserveBase: formatDecimal(pool.reserveBase),
      reserveQuote: formatDecimal(pool.reserveQuote),
      totalShares: formatDecimal(pool.totalShares),
    };
    await appendToStream(trx, poolStream(pool.id), 'any', [
      { eventId, type: 'liquidity_removed', payload, metadata: { request } },
    ]);
    return { ...payload, shares: payload.sharesBurned };
  });
}

export interface SpreadChange {
  oldSpreadBps: string;
  newSpreadBps: string;
  /** False on a retry of a change that was already applied. */
  applied: boolean;
}

/** Sets the pool's spread and records `spread_adjusted` with the true old value, in one transaction. */
export async function setSpread(
  db: Db,
  input: { poolId: string; newSpreadBps: string; reasons: string[]; requestId: string; sagaId?: string },
): Promise<SpreadChange> {
  const next = parseDecimal(input.newSpreadBps, 'newSpreadBps', { allowZero: false, maxDecimals: 8 });
  const request = { newSpreadBps: formatDecimal(next) };
  const eventId = `spread/${input.poolId}/${validRequestId(input.requestId)}`;
  return db.transaction().execute(async (trx) => {
    const pool = await lockPool(trx, input.poolId);
    const prior = await priorEvent(trx, eventId, {
      type: 'spread_adjusted',
      request,
      requestId: input.requestId,
    });
    if (prior)
      return {
        oldSpreadBps: String(prior.oldSpreadBps),
        newSpreadBps: String(prior.newSpreadBps),
        applied: false,
      };
    const { minSpreadBps, maxSpreadBps } = pool.config.spreadPolicy;
    if (next.lt(minSpreadBps) || next.gt(maxSpreadBps)) {
      throw new DomainValidationError(
        'newSpreadBps',
        `newSpreadBps ${formatDecimal(next)} is outside the pool's bounds [${minSpreadBps}, ${maxSpreadBps}]`,
      );
    }
    const old = pool.spreadBps;
    pool.spreadBps = next;
    await writeReserves(trx, pool);
    await appendToStream(trx, poolStream(pool.id), 'any', [
      {
        eventId,
        type: 'spread_adjusted',
        payload: {
          poolId: pool.id,
          oldSpreadBps: formatDecimal(old),
          newSpreadBps: formatDecimal(next),
          reasons: input.reasons,
          ...(input.sagaId ? { sagaId: input.sagaId } : {}),
        },
        metadata: { request },
      },
    ]);
    return { oldSpreadBps: formatDecimal(old), newSpreadBps: formatDecimal(next), applied: true };
  });
}

/** Appends events to the pool's stream under the pool lock (used for detections that change no row). */
export async function recordPoolEvents(db: Db, poolId: string, events: NewEvent[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockPool(trx, poolId);
    return (await appendToStream(trx, poolStream(poolId), 'any', events)).written;
  });
}

export async function updatePoolConfig(
  db: Db,
  input: { poolId: string; config: PoolConfig; requestId: string },
): Promise<void> {
  const eventId = `config/${input.poolId}/${validRequestId(input.requestId)}`;
  await db.transaction().execute(async (trx) => {
    await lockPool(trx, input.poolId);
    if (
      await priorEvent(trx, eventId, { type: 'pool_config_updated', request: {}, requestId: input.requestId })
    )
      return;
    // Written by the market maker's workflow, which may carry a config from an older release.
    const config = parseStoredPoolConfig(input.config);
    await trx
      .updateTable('pools')
      .set({ config: JSON.stringify(config), updated_at: sql`now()` as never })
      .where('id', '=', input.poolId)
      .execute();
    await appendToStream(trx, poolStream(input.poolId), 'any', [
      {
        eventId,
        type: 'pool_config_updated',
        payload: { poolId: input.poolId, config: config as unknown as Record<string, unknown> },
      },
    ]);
  });
}
