import { countOpenPoolOrders } from '../db/order-book';

import { sql } from 'kysely';
import type { Db } from '../db/connection';
import { getPool } from '../db/pools';
import { latestTick } from '../db/price-ticks';
import { Big, formatDecimal } from '../domain/money';
import { computePnl } from '../domain/pnl';
import { inventoryShare } from '../domain/pool';
import { marketMakerStream, orderBookStream, poolStream } from '../domain/streams';
import { INFORMED_OWNER } from '../sim/takers';

/*
 * The end-of-run report, in the spirit of Hummingbot's `history`: what the pool traded, what that
 * did to its inventory and value against simply holding, and how and why its spread moved.
 * Queries (collect*) and formatting (format*) are separate; formatting is pure.
 */

/** Where the run started, per pool: everything after it belongs to this run. */
export interface PoolBaseline {
  poolId: string;
  startedAtMs: number;
  reserveBase: string;
  reserveQuote: string;
  netBaseContributed: string;
  netQuoteContributed: string;
  /** The pool's hedge fees paid so far: the run's fees are what was added after. */
  hedgeFeesPaid: string;
  /** Last trade seq and event position before the run (strings: bigint columns). */
  tradeSeq: string;
  eventPosition: string;
}

export async function captureBaseline(
  db: Db,
  poolId: string,
  startedAtMs = Date.now(),
): Promise<PoolBaseline> {
  const pool = await getPool(db, poolId);
  const [trade, event] = await Promise.all([
    db
      .selectFrom('trades')
      .select(sql<string>`coalesce(max(seq), 0)`.as('seq'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('events')
      .select(sql<string>`coalesce(max(global_position), 0)`.as('pos'))
      .executeTakeFirstOrThrow(),
  ]);
  return {
    poolId,
    startedAtMs,
    reserveBase: formatDecimal(pool.reserveBase),
    reserveQuote: formatDecimal(pool.reserveQuote),
    netBaseContributed: formatDecimal(pool.netBaseContributed),
    netQuoteContributed: formatDecimal(pool.netQuoteContributed),
    hedgeFeesPaid: formatDecimal(pool.hedgeFeesPaid),
    tradeSeq: String(trade.seq),
    eventPosition: String(event.pos),
  };
}

export interface SideTotals {
  count: number;
  base: string;
  quote: string;
}

export interface SpreadChange {
  atMs: number;
  oldSpreadBps: string;
  newSpreadBps: string;
  reasons: string[];
}

export interface RegimeChange {
  atMs: number;
  oldRegime: string;
  newRegime: string;
  volatility: number;
}

export interface PoolReportData {
  poolId: string;
  baseAsset: string;
  quoteAsset: string;
  startedAtMs: number;
  endedAtMs: number;
  /** From the pool's side: it buys when a taker sells. */
  poolBought: SideTotals;
  poolSold: SideTotals;
  informedTrades: number;
  start: { base: string; quote: string };
  end: { base: string; quote: string };
  mid: string;
  pnl: {
    holdValue: string;
    currentValue: string;
    tradePnl: string;
    feesPaid: string;
    totalPnl: string;
    /** On the peak capital contributed; null ("n/a") when none was ever at risk. */
    returnPct: string | null;
    capitalAtRisk: string;
  };
  rebalances: number;
  spreadChanges: SpreadChange[];
  regimeChanges: RegimeChange[];
  imbalanceEvents: Array<{ atMs: number; severity: string; inventoryShare: string }>;
  riskBreaches: Array<{ atMs: number; action: string; limits: string[] }>;
  eventCounts: Record<string, number>;
  openPoolOrders: number;
}

export async function collectPoolReport(
  db: Db,
  b: PoolBaseline,
  endedAtMs = Date.now(),
): Promise<PoolReportData> {
  const pool = await getPool(db, b.poolId);
  const streams = [poolStream(b.poolId), orderBookStream(b.poolId), marketMakerStream(b.poolId)];
  const [trades, counts, poolEvents, mmEvents, openPoolOrders, tick] = await Promise.all([
    db
      .selectFrom('trades')
      .select([
        'taker_side',
        'taker_owner',
        sql<string>`count(*)`.as('n'),
        sql<string>`sum(quantity)`.as('base'),
        sql<string>`sum(price * quantity)`.as('quote'),
      ])
      .where('pool_id', '=', b.poolId)
      .where('maker_is_pool', '=', true)
      .where('seq', '>', b.tradeSeq)
      .groupBy(['taker_side', 'taker_owner'])
      .execute(),
    db
      .selectFrom('events')
      .select(['type', sql<string>`count(*)`.as('n')])
      .where('stream_id', 'in', streams)
      .where('global_position', '>', b.eventPosition)
      .groupBy('type')
      .execute(),
    db
      .selectFrom('events')
      .select(['type', 'payload', 'created_at'])
      .where('stream_id', '=', poolStream(b.poolId))
      .where('global_position', '>', b.eventPosition)
      .where('type', 'in', [
        'spread_adjusted',
        'market_volatility_changed',
        'inventory_imbalance_detected',
        'inventory_adjusted',
      ])
      .orderBy('global_position')
      .execute(),
    db
      .selectFrom('events')
      .select(['payload', 'created_at'])
      .where('stream_id', '=', marketMakerStream(b.poolId))
      .where('global_position', '>', b.eventPosition)
      .where('type', '=', 'risk_limit_breached')
      .orderBy('global_position')
      .execute(),
    countOpenPoolOrders(db, b.poolId),
    latestTick(db, pool.priceFeed),
  ]);

  const totals = (side: 'buy' | 'sell'): SideTotals => {
    const rows = trades.filter((t) => t.taker_side === side);
    return {
      count: rows.reduce((n, r) => n + Number(r.n), 0),
      base: formatDecimal(rows.reduce((s, r) => s.plus(r.base), new Big(0))),
      quote: formatDecimal(rows.reduce((s, r) => s.plus(r.quote), new Big(0)).round(8, Big.roundHalfEven)),
    };
  };

  let rebalances = 0;
  const spreadChanges: SpreadChange[] = [];
  const regimeChanges: RegimeChange[] = [];
  const imbalanceEvents: PoolReportData['imbalanceEvents'] = [];
  for (const e of poolEvents) {
    const p = e.payload as Record<string, unknown>;
    const atMs = e.created_at.getTime();
    if (e.type === 'spread_adjusted') {
      spreadChanges.push({
        atMs,
        oldSpreadBps: String(p.oldSpreadBps),
        newSpreadBps: String(p.newSpreadBps),
        reasons: (p.reasons as string[]) ?? [],
      });
    } else if (e.type === 'market_volatility_changed') {
      regimeChanges.push({
        atMs,
        oldRegime: String(p.oldRegime),
        newRegime: String(p.newRegime),
        volatility: Number(p.volatility),
      });
    } else if (e.type === 'inventory_imbalance_detected') {
      imbalanceEvents.push({ atMs, severity: String(p.severity), inventoryShare: String(p.inventoryShare) });
    } else if (e.type === 'inventory_adjusted') {
      rebalances++;
    }
  }

  const mid = tick
    ? new Big(tick.price)
    : pool.reserveBase.gt(0)
      ? pool.reserveQuote.div(pool.reserveBase)
      : new Big(1);
  const pnl = computePnl({
    initialBase: new Big(b.reserveBase),
    initialQuote: new Big(b.reserveQuote),
    netBaseContributed: pool.netBaseContributed.minus(b.netBaseContributed),
    netQuoteContributed: pool.netQuoteContributed.minus(b.netQuoteContributed),
    currentBase: pool.reserveBase,
    currentQuote: pool.reserveQuote,
    mid,
    // The order book charges no trading fee; the hedge venue's fees are a cost.
    tradingFeesEarned: new Big(0),
    hedgeFeesPaid: pool.hedgeFeesPaid.minus(b.hedgeFeesPaid),
    peakCapital: pool.peakCapital,
  });
  const r2 = (x: Big) => formatDecimal(x.round(2, Big.roundHalfEven));

  return {
    poolId: pool.id,
    baseAsset: pool.baseAsset,
    quoteAsset: pool.quoteAsset,
    startedAtMs: b.startedAtMs,
    endedAtMs,
    poolBought: totals('sell'),
    poolSold: totals('buy'),
    informedTrades: trades
      .filter((t) => t.taker_owner === INFORMED_OWNER)
      .reduce((n, r) => n + Number(r.n), 0),
    start: { base: b.reserveBase, quote: b.reserveQuote },
    end: { base: formatDecimal(pool.reserveBase), quote: formatDecimal(pool.reserveQuote) },
    mid: formatDecimal(mid),
    pnl: {
      holdValue: r2(pnl.holdValue),
      currentValue: r2(pnl.currentValue),
      tradePnl: r2(pnl.tradePnl),
      feesPaid: r2(pnl.feesPaid),
      totalPnl: r2(pnl.totalPnl),
      returnPct: pnl.returnPct === null ? null : formatDecimal(pnl.returnPct.round(4, Big.roundHalfEven)),
      capitalAtRisk: r2(pool.peakCapital),
    },
    rebalances,
    spreadChanges,
    regimeChanges,
    imbalanceEvents,
    riskBreaches: mmEvents.map((e) => {
      const p = e.payload as { action: string; reasons: Array<{ limit: string }> };
      return { atMs: e.created_at.getTime(), action: p.action, limits: p.reasons.map((r) => r.limit) };
    }),
    eventCounts: Object.fromEntries(
      counts.map((c) => [c.type, Number(c.n)]).sort((a, b) => Number(b[1]) - Number(a[1])),
    ),
    openPoolOrders,
  };
}

// ---------------------------------------------------------------- formatting (pure)

const num = (v: string | Big, dp: number) => {
  const [int, frac] = new Big(v).toFixed(dp).split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const grouped = int!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${frac ? `.${frac}` : ''}`;
};
const signed = (v: string, dp: number) => (new Big(v).gte(0) ? `+${num(v, dp)}` : num(v, dp));
const pad = (s: string, n: number) => s.padStart(n);
const padEnd = (s: string, n: number) => s.padEnd(n);
const at = (ms: number, start: number) => `+${((ms - start) / 1000).toFixed(1)}s`;
const share = (base: string, quote: string, mid: string) => {
  const b = new Big(base);
  const q = new Big(quote);
  if (b.eq(0) && q.eq(0)) return '-';
  return `${inventoryShare(b, q, new Big(mid)).times(100).toFixed(2)}%`;
};

/**
 * Decimals for amounts in the quote asset: cents when a unit of base costs at least one unit of
 * quote, more for a cross such as ETH/BTC at 0.033 (six places), so its prices and P&L do not
 * print as 0.03 and +0.00.
 */
export function quoteDecimals(mid: string): number {
  const m = Number(mid);
  if (!(m > 0) || m >= 1) return 2;
  return Math.min(12, 4 + Math.ceil(-Math.log10(m)));
}

export function formatPoolReport(r: PoolReportData): string {
  const lines: string[] = [];
  const B = r.baseAsset;
  const Q = r.quoteAsset;
  const qdp = quoteDecimals(r.mid);
  const secs = Math.round((r.endedAtMs - r.startedAtMs) / 1000);
  lines.push(`=== ${r.poolId} (${B}/${Q}), ${secs} s ===`);
  const avg = (t: SideTotals) => (new Big(t.base).gt(0) ? num(new Big(t.quote).div(t.base), qdp) : '-');
  const row = (label: string, t: SideTotals, withAvg = true) =>
    `  ${padEnd(label, 22)}${pad(String(t.count), 7)}${pad(num(t.base, 4), 14)}${pad(num(t.quote, qdp), 16)}${withAvg ? pad(avg(t), 12) : ''}`;
  const total: SideTotals = {
    count: r.poolBought.count + r.poolSold.count,
    base: new Big(r.poolBought.base).plus(r.poolSold.base).toFixed(),
    quote: new Big(r.poolBought.quote).plus(r.poolSold.quote).toFixed(),
  };
  lines.push(
    `  ${padEnd('Trades (pool side)', 22)}${pad('fills', 7)}${pad(B, 14)}${pad(Q, 16)}${pad('avg price', 12)}`,
  );
  lines.push(row('bought (takers sold)', r.poolBought));
  lines.push(row('sold (takers bought)', r.poolSold));
  lines.push(row('total', total, false));
  if (total.count > 0) {
    lines.push(
      `  ${r.informedTrades} fills (${((100 * r.informedTrades) / total.count).toFixed(1)}%) were against informed takers`,
    );
  }
  lines.push(`  ${padEnd('Inventory', 22)}${pad('start', 16)}${pad('end', 16)}`);
  lines.push(`  ${padEnd(B, 22)}${pad(num(r.start.base, 4), 16)}${pad(num(r.end.base, 4), 16)}`);
  lines.push(`  ${padEnd(Q, 22)}${pad(num(r.start.quote, qdp), 16)}${pad(num(r.end.quote, qdp), 16)}`);
  lines.push(
    `  ${padEnd(`${B} value share`, 22)}${pad(share(r.start.base, r.start.quote, r.mid), 16)}${pad(share(r.end.base, r.end.quote, r.mid), 16)}`,
  );
  lines.push(`  Performance, marked at the last reference price ${num(r.mid, qdp)} ${Q}:`);
  lines.push(`    hold value     ${pad(num(r.pnl.holdValue, qdp), 16)} ${Q}`);
  lines.push(`    current value  ${pad(num(r.pnl.currentValue, qdp), 16)} ${Q}`);
  lines.push(`    trade P&L      ${pad(signed(r.pnl.tradePnl, qdp), 16)} ${Q}`);
  lines.push(
    `    fees paid      ${pad(num(r.pnl.feesPaid, qdp), 16)} ${Q}  (${r.rebalances} inventory rebalance${r.rebalances === 1 ? '' : 's'} at the hedge venue; the pool charges no trading fee)`,
  );
  lines.push(`    total P&L      ${pad(signed(r.pnl.totalPnl, qdp), 16)} ${Q}`);
  lines.push(
    r.pnl.returnPct === null
      ? `    return         ${pad('n/a', 16)}    (no capital was ever contributed)`
      : `    return         ${pad(signed(r.pnl.returnPct, 4), 16)} %  on ${num(r.pnl.capitalAtRisk, qdp)} ${Q} of peak capital contributed`,
  );
  lines.push(`  Spread changes: ${r.spreadChanges.length}`);
  const shown =
    r.spreadChanges.length > 24
      ? [...r.spreadChanges.slice(0, 12), null, ...r.spreadChanges.slice(-12)]
      : r.spreadChanges;
  for (const c of shown) {
    if (c === null) {
      lines.push(`    ... ${r.spreadChanges.length - 24} more ...`);
      continue;
    }
    const reasons = c.reasons.length ? c.reasons.join(', ') : 'back to default (no condition applies)';
    lines.push(
      `    ${pad(at(c.atMs, r.startedAtMs), 8)}  ${pad(num(c.oldSpreadBps, 1), 6)} -> ${pad(num(c.newSpreadBps, 1), 6)} bps  ${reasons}`,
    );
  }
  if (r.spreadChanges.length) {
    const byReason = new Map<string, number>();
    for (const c of r.spreadChanges)
      for (const reason of c.reasons.length ? c.reasons : ['none'])
        byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    lines.push(`    by reason: ${[...byReason].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (r.regimeChanges.length) {
    lines.push(
      `  Volatility regime: ${r.regimeChanges.map((c) => `${c.oldRegime} -> ${c.newRegime} at ${at(c.atMs, r.startedAtMs)} (${(c.volatility * 100).toFixed(1)}%/h)`).join('; ')}`,
    );
  }
  if (r.imbalanceEvents.length) {
    lines.push(
      `  Inventory imbalance: ${r.imbalanceEvents.map((e) => `${e.severity} at ${at(e.atMs, r.startedAtMs)} (share ${(Number(e.inventoryShare) * 100).toFixed(1)}%)`).join('; ')}`,
    );
  }
  if (r.riskBreaches.length) {
    lines.push(
      `  Risk limits breached: ${r.riskBreaches.map((e) => `${e.action} (${e.limits.join(', ')}) at ${at(e.atMs, r.startedAtMs)}`).join('; ')}`,
    );
  }
  const counts = Object.entries(r.eventCounts);
  lines.push(`  Events by type (${counts.reduce((n, [, v]) => n + v, 0)}):`);
  for (let i = 0; i < counts.length; i += 3) {
    lines.push(
      `    ${counts
        .slice(i, i + 3)
        .map(([k, v]) => `${padEnd(k, 30)}${pad(String(v), 7)}`)
        .join('   ')}`,
    );
  }
  lines.push(`  Open market-maker orders after stop: ${r.openPoolOrders}`);
  return lines.join('\n');
}

export function formatReport(pools: PoolReportData[]): string {
  return pools.map(formatPoolReport).join('\n\n');
}
