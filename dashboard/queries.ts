import { sql } from 'kysely';
import type { Db } from '../db/connection';
import { marketMakerStream, poolStream } from '../domain/streams';
import type { TimeRange } from './params';

/*
 * Every read the dashboard makes, as the read-only role. Amounts stay decimal strings; the browser
 * turns them into chart coordinates. Each page load reads one window of one pool through indexes
 * ((stream_id, created_at) on events, (pool_id, created_at) on trades); each live update reads
 * only what is past the cursor the page already has ((stream_id, stream_version)).
 */

/** Rows of one kind a page load returns at most; the newest are kept and the page says so. */
export const ROW_CAP = 5000;

export interface OverviewRow {
  id: string;
  baseAsset: string;
  quoteAsset: string;
  status: string;
  reserveBase: string;
  reserveQuote: string;
  spreadBps: string;
  priceFeed: string;
  /** The market maker's latest quotes (mid, quoted spread), null before its first cycle. */
  mid: string | null;
  quotedSpreadBps: string | null;
  quotedAtMs: number | null;
  /**
   * Fills in the last 5 minutes: the overview refreshes up to once a second, and counting a longer
   * window would read that many more trade index entries each time.
   */
  recentFills: number;
  lastFillAtMs: number | null;
  targetInventoryShare: number;
}

const ms = (d: Date | string | null | undefined): number | null =>
  d === null || d === undefined ? null : new Date(d).getTime();

function targetShare(config: unknown): number {
  const v = (config as { spreadPolicy?: { targetInventoryShare?: unknown } } | null)?.spreadPolicy
    ?.targetInventoryShare;
  return typeof v === 'number' ? v : 0.5;
}

export async function readOverview(db: Db): Promise<OverviewRow[]> {
  const { rows } = await sql<{
    id: string;
    base_asset: string;
    quote_asset: string;
    status: string;
    reserve_base: string;
    reserve_quote: string;
    spread_bps: string;
    price_feed: string;
    config: unknown;
    quotes: { mid?: string; spreadBps?: string } | null;
    quoted_at: Date | null;
    fills: number;
    last_fill_at: Date | null;
  }>`
    select p.id, p.base_asset, p.quote_asset, p.status, p.reserve_base, p.reserve_quote, p.spread_bps,
           p.price_feed, p.config, q.payload as quotes, q.created_at as quoted_at,
           coalesce(f.fills, 0)::int as fills, l.created_at as last_fill_at
      from pools p
      left join lateral (
        select e.payload, e.created_at from events e
         where e.stream_id = 'market-maker-' || p.id and e.type = 'quotes_updated'
         order by e.stream_version desc limit 1) q on true
      left join lateral (
        select count(*) as fills from trades t
         where t.pool_id = p.id and t.created_at > now() - interval '5 minutes') f on true
      left join lateral (
        select t.created_at from trades t where t.pool_id = p.id order by t.created_at desc limit 1) l on true
     order by p.id`.execute(db);
  return rows.map((r) => ({
    id: r.id,
    baseAsset: r.base_asset,
    quoteAsset: r.quote_asset,
    status: r.status,
    reserveBase: r.reserve_base,
    reserveQuote: r.reserve_quote,
    spreadBps: r.spread_bps,
    priceFeed: r.price_feed,
    mid: r.quotes?.mid ?? null,
    quotedSpreadBps: r.quotes?.spreadBps ?? null,
    quotedAtMs: ms(r.quoted_at),
    recentFills: r.fills,
    lastFillAtMs: ms(r.last_fill_at),
    targetInventoryShare: targetShare(r.config),
  }));
}

export interface PoolInfo {
  id: string;
  baseAsset: string;
  quoteAsset: string;
  status: string;
  reserveBase: string;
  reserveQuote: string;
  spreadBps: string;
  priceFeed: string;
  thresholds: { target: number; moderate: number; critical: number };
}

export async function readPoolInfo(db: Db, poolId: string): Promise<PoolInfo | undefined> {
  const r = await db.selectFrom('pools').selectAll().where('id', '=', poolId).executeTakeFirst();
  if (!r) return undefined;
  const sp = (r.config as { spreadPolicy?: Record<string, unknown> } | null)?.spreadPolicy ?? {};
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
  return {
    id: r.id,
    baseAsset: r.base_asset,
    quoteAsset: r.quote_asset,
    status: r.status,
    reserveBase: r.reserve_base,
    reserveQuote: r.reserve_quote,
    spreadBps: r.spread_bps,
    priceFeed: r.price_feed,
    thresholds: {
      target: num(sp.targetInventoryShare, 0.5),
      moderate: num(sp.imbalanceThreshold, 0.2),
      critical: num(sp.criticalImbalanceThreshold, 0.4),
    },
  };
}

/** One event as the page gets it: its stream version (the live cursor), time, type and payload. */
export interface EventItem {
  stream: 'pool' | 'mm';
  v: number;
  t: number;
  type: string;
  payload: Record<string, unknown>;
}

export interface TradeItem {
  id: string;
  t: number;
  takerSide: 'buy' | 'sell';
  price: string;
  quantity: string;
  makerIsPool: boolean;
}

export interface Cursor {
  /** The last stream versions the page has seen of the pool's and the market maker's streams. */
  pool: number;
  mm: number;
  /** Trades are followed by time (their sequence can commit out of order); ids dedupe the overlap. */
  tradesMs: number;
}

export interface PoolWindow {
  /** The pool's reserves and the policy's target spread as they were when the window opened. */
  start: { reserveBase: string | null; reserveQuote: string | null; targetSpreadBps: string | null };
  events: EventItem[];
  trades: TradeItem[];
  truncated: { events: boolean; trades: boolean };
  cursor: Cursor;
}

type EventRowLite = { stream_version: string; created_at: Date; type: string; payload: unknown };

const RESERVE_EVENTS = ['order_executed', 'liquidity_added', 'liquidity_removed', 'inventory_adjusted'];

function toItem(stream: 'pool' | 'mm', r: EventRowLite): EventItem {
  return {
    stream,
    v: Number(r.stream_version),
    t: new Date(r.created_at).getTime(),
    type: r.type,
    payload: (r.payload ?? {}) as Record<string, unknown>,
  };
}

async function eventsInWindow(db: Db, streamId: string, range: TimeRange) {
  const rows = await db
    .selectFrom('events')
    .select(['stream_version', 'created_at', 'type', 'payload'])
    .where('stream_id', '=', streamId)
    .where('created_at', '>=', new Date(range.fromMs))
    .where('created_at', '<=', new Date(range.toMs))
    .orderBy('created_at', 'desc')
    .limit(ROW_CAP + 1)
    .execute();
  return { rows: rows.slice(0, ROW_CAP).reverse(), truncated: rows.length > ROW_CAP };
}

async function lastBefore(db: Db, streamId: string, types: string[], beforeMs: number) {
  return db
    .selectFrom('events')
    .select(['type', 'payload'])
    .where('stream_id', '=', streamId)
    .where('type', 'in', types)
    .where('created_at', '<', new Date(beforeMs))
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

async function streamHead(db: Db, streamId: string): Promise<number> {
  const r = await db
    .selectFrom('events')
    .select('stream_version')
    .where('stream_id', '=', streamId)
    .orderBy('stream_version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r ? Number(r.stream_version) : 0;
}

function toTrade(r: {
  id: string;
  created_at: Date;
  taker_side: 'buy' | 'sell';
  price: string;
  quantity: string;
  maker_is_pool: boolean;
}): TradeItem {
  return {
    id: r.id,
    t: new Date(r.created_at).getTime(),
    takerSide: r.taker_side,
    price: r.price,
    quantity: r.quantity,
    makerIsPool: r.maker_is_pool,
  };
}

const TRADE_COLUMNS = ['id', 'created_at', 'taker_side', 'price', 'quantity', 'maker_is_pool'] as const;

/** Everything a pool page draws for one time window. */
export async function readPoolWindow(db: Db, poolId: string, range: TimeRange): Promise<PoolWindow> {
  const [pool, mm, trades, reservesBefore, spreadBefore, poolHead, mmHead] = await Promise.all([
    eventsInWindow(db, poolStream(poolId), range),
    eventsInWindow(db, marketMakerStream(poolId), range),
    db
      .selectFrom('trades')
      .select(TRADE_COLUMNS)
      .where('pool_id', '=', poolId)
      .where('created_at', '>=', new Date(range.fromMs))
      .where('created_at', '<=', new Date(range.toMs))
      .orderBy('created_at', 'desc')
      .limit(ROW_CAP + 1)
      .execute(),
    lastBefore(db, poolStream(poolId), RESERVE_EVENTS, range.fromMs),
    lastBefore(db, poolStream(poolId), ['spread_adjusted'], range.fromMs),
    streamHead(db, poolStream(poolId)),
    streamHead(db, marketMakerStream(poolId)),
  ]);
  const reserves = (reservesBefore?.payload ?? {}) as { reserveBase?: string; reserveQuote?: string };
  const events = [...pool.rows.map((r) => toItem('pool', r)), ...mm.rows.map((r) => toItem('mm', r))].sort(
    (a, b) => a.t - b.t,
  );
  return {
    start: {
      reserveBase: reserves.reserveBase ?? null,
      reserveQuote: reserves.reserveQuote ?? null,
      targetSpreadBps: ((spreadBefore?.payload ?? {}) as { newSpreadBps?: string }).newSpreadBps ?? null,
    },
    events,
    trades: trades.slice(0, ROW_CAP).reverse().map(toTrade),
    truncated: { events: pool.truncated || mm.truncated, trades: trades.length > ROW_CAP },
    // A window that ends in the past is not followed live; its cursor is still the heads so a page
    // switching back to a live window starts from now.
    cursor: { pool: poolHead, mm: mmHead, tradesMs: range.toMs },
  };
}

export interface PoolDelta {
  events: EventItem[];
  trades: TradeItem[];
  cursor: Cursor;
  /** More changes lie past the cursor than one read returns. */
  truncated: boolean;
}

/** How far back trades are re-read: a trade's transaction may commit a moment after a later one's. */
const TRADE_OVERLAP_MS = 2000;
const DELTA_CAP = 1000;

/** What happened in a pool past a cursor: the live stream's one read per coalesced update. */
export async function readPoolDelta(db: Db, poolId: string, cursor: Cursor): Promise<PoolDelta> {
  const after = (streamId: string, v: number) =>
    db
      .selectFrom('events')
      .select(['stream_version', 'created_at', 'type', 'payload'])
      .where('stream_id', '=', streamId)
      .where('stream_version', '>', String(v))
      .orderBy('stream_version')
      .limit(DELTA_CAP)
      .execute();
  const [pool, mm, trades] = await Promise.all([
    after(poolStream(poolId), cursor.pool),
    after(marketMakerStream(poolId), cursor.mm),
    db
      .selectFrom('trades')
      .select(TRADE_COLUMNS)
      .where('pool_id', '=', poolId)
      .where('created_at', '>', new Date(cursor.tradesMs - TRADE_OVERLAP_MS))
      .orderBy('created_at')
      .limit(DELTA_CAP)
      .execute(),
  ]);
  const events = [...pool.map((r) => toItem('pool', r)), ...mm.map((r) => toItem('mm', r))].sort(
    (a, b) => a.t - b.t,
  );
  const items = trades.map(toTrade);
  return {
    events,
    trades: items,
    truncated: pool.length === DELTA_CAP || mm.length === DELTA_CAP || trades.length === DELTA_CAP,
    cursor: {
      pool: pool.length ? Number(pool[pool.length - 1]!.stream_version) : cursor.pool,
      mm: mm.length ? Number(mm[mm.length - 1]!.stream_version) : cursor.mm,
      tradesMs: Math.max(cursor.tradesMs, ...items.map((t) => t.t)),
    },
  };
}

/** Pools by price feed, so a tick notification reaches the pages of the pools quoting on it. */
export async function readFeeds(db: Db): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('pools').select(['id', 'price_feed']).execute();
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.price_feed, [...(out.get(r.price_feed) ?? []), r.id]);
  return out;
}
