import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/connection';
import type { DesiredLevel } from '../../db/order-book';
import { addLiquidity, createPool, getPool, type PoolState } from '../../db/pools';
import { Big, formatDecimal, roundPriceToTick } from '../../domain/money';

/** ETH/USDC market rules used across the order-book tests. */
export const TICK = '0.01';
export const LOT = '0.001';
export const MIN_SIZE = '0.01';

export interface TestPoolOptions {
  poolId?: string;
  /** Liquidity added right after creation; both '0' leaves the pool unfunded. */
  base?: string;
  quote?: string;
  config?: unknown;
  spreadBps?: string;
  /** The pool's price feed; pools share 'test:eth-usdc' unless a test moves one pool's price alone. */
  priceFeed?: string;
}

export function uniquePoolId(prefix = 'eth-usdc'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** A fresh ETH/USDC pool (tick 0.01, lot 0.001, min size 0.01) funded with `base` ETH and `quote` USDC. */
export async function createFundedPool(db: Db, opts: TestPoolOptions = {}): Promise<PoolState> {
  const poolId = opts.poolId ?? uniquePoolId();
  await createPool(db, {
    poolId,
    baseAsset: 'ETH',
    quoteAsset: 'USDC',
    tickSize: TICK,
    lotSize: LOT,
    minSize: MIN_SIZE,
    priceFeed: opts.priceFeed ?? 'test:eth-usdc',
    config: opts.config ?? {},
    ...(opts.spreadBps ? { spreadBps: opts.spreadBps } : {}),
  });
  const base = opts.base ?? '100';
  const quote = opts.quote ?? '200000';
  if (base !== '0' || quote !== '0') {
    await addLiquidity(db, { poolId, provider: 'lp-seed', base, quote, requestId: `seed-${poolId}` });
  }
  return getPool(db, poolId);
}

/**
 * A symmetric ladder around `mid`: `levels` per side, `stepBps` apart starting one step out,
 * bids rounded down and asks up to the tick, each of `size`.
 */
export function ladder(
  mid: string,
  opts: { levels?: number; stepBps?: string; size?: string; tick?: string } = {},
): DesiredLevel[] {
  const levels = opts.levels ?? 3;
  const step = new Big(opts.stepBps ?? '10').div(10_000);
  const tick = new Big(opts.tick ?? TICK);
  const m = new Big(mid);
  const size = opts.size ?? '1';
  const out: DesiredLevel[] = [];
  for (let i = 1; i <= levels; i++) {
    out.push({
      side: 'buy',
      price: formatDecimal(roundPriceToTick(m.times(new Big(1).minus(step.times(i))), tick, 'bid')),
      size,
    });
    out.push({
      side: 'sell',
      price: formatDecimal(roundPriceToTick(m.times(new Big(1).plus(step.times(i))), tick, 'ask')),
      size,
    });
  }
  return out;
}

export interface RowCounts {
  orders: number;
  trades: number;
  events: number;
}

/** Whole-database counts: a refused request must leave every one of them unchanged. */
export async function rowCounts(db: Db): Promise<RowCounts> {
  const r = await sql<{ orders: string; trades: string; events: string }>`
    select (select count(*) from orders) as orders,
           (select count(*) from trades) as trades,
           (select count(*) from events) as events`.execute(db);
  const row = r.rows[0]!;
  return { orders: Number(row.orders), trades: Number(row.trades), events: Number(row.events) };
}

/** Best open bid and ask over every owner, straight from the table. */
export async function bestPrices(db: Db, poolId: string): Promise<{ bid?: Big; ask?: Big }> {
  const r = await sql<{ bid: string | null; ask: string | null }>`
    select (select max(price) from orders where pool_id = ${poolId} and side = 'buy' and status = 'open') as bid,
           (select min(price) from orders where pool_id = ${poolId} and side = 'sell' and status = 'open') as ask`.execute(
    db,
  );
  const row = r.rows[0]!;
  return {
    bid: row.bid === null ? undefined : new Big(row.bid),
    ask: row.ask === null ? undefined : new Big(row.ask),
  };
}

export interface Deltas {
  base: Big;
  quote: Big;
}

/**
 * Each participant's base and quote change implied by the trades table: the taker and maker of a
 * trade exchange `quantity` base against `price * quantity` quote.
 */
export async function tradeDeltas(db: Db, poolId: string): Promise<Map<string, Deltas>> {
  const trades = await db
    .selectFrom('trades')
    .selectAll()
    .where('pool_id', '=', poolId)
    .orderBy('seq')
    .execute();
  const out = new Map<string, Deltas>();
  const add = (owner: string, base: Big, quote: Big) => {
    const d = out.get(owner) ?? { base: new Big(0), quote: new Big(0) };
    out.set(owner, { base: d.base.plus(base), quote: d.quote.plus(quote) });
  };
  for (const t of trades) {
    const q = new Big(t.quantity);
    const value = new Big(t.price).times(q);
    const takerBuys = t.taker_side === 'buy';
    add(t.taker_owner, takerBuys ? q : q.neg(), takerBuys ? value.neg() : value);
    add(t.maker_owner, takerBuys ? q.neg() : q, takerBuys ? value : value.neg());
  }
  return out;
}
