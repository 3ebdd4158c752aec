import type { Db } from '../db/connection';
import { readPoolMarket, type PoolMarketView } from '../db/market-view';
import type { TickBook } from '../db/tick-book';
import type { PoolState } from '../db/pools';
import { Big, formatDecimal } from '../domain/money';
import { inventoryShare, tvl } from '../domain/pool';
import { computePnl } from '../domain/pnl';
import { estimateVolatility, volatilityRegime } from '../domain/volatility';
import type { MarketSnapshot, PnlBaseline } from './types';

function chooseMid(pool: PoolState, reference: Big | null, bestBid?: string, bestAsk?: string): Big | null {
  switch (pool.config.priceSource) {
    case 'reference':
      return reference;
    case 'book_mid':
      return bestBid && bestAsk ? new Big(bestBid).plus(bestAsk).div(2) : reference;
  }
}

const RECENT_VOLUME_WINDOW_MS = 60_000;

export async function readMarketSnapshot(
  db: Db,
  poolId: string,
  nowMs: number,
  baseline?: PnlBaseline,
): Promise<MarketSnapshot> {
  return (await readMarketState(db, poolId, nowMs, baseline)).snapshot;
}

/** Where a session's worker keeps its feeds' ticks, and which feed (and how deep) the pool uses. */
export interface TickHint {
  book: TickBook;
  feed?: string;
  window?: number;
}

/** The snapshot a cycle quotes from, with the raw view it came from (own orders, fence, db clock). */
export async function readMarketState(
  db: Db,
  poolId: string,
  nowMs: number,
  baseline?: PnlBaseline,
  tickHint?: TickHint,
): Promise<{ snapshot: MarketSnapshot; view: PoolMarketView }> {
  // Ticks from the worker's memory when it has the feed that deep; otherwise the view reads them.
  const known =
    tickHint?.feed && tickHint.window ? tickHint.book.recent(tickHint.feed, tickHint.window + 1) : undefined;
  const view = await readPoolMarket(db, poolId, nowMs - RECENT_VOLUME_WINDOW_MS, { withTicks: !known });
  const { pool } = view;
  if (!known) tickHint?.book.load(pool.priceFeed, view.ticks, pool.config.volatility.window + 1);
  // A pool's feed is fixed at creation, so the hint's feed is this pool's.
  const recent = known ?? view.ticks;
  const top = {
    bestBid: view.bestBid === undefined ? undefined : formatDecimal(new Big(view.bestBid)),
    bestAsk: view.bestAsk === undefined ? undefined : formatDecimal(new Big(view.bestAsk)),
  };
  const trades = { volume: view.recentVolumeBase, count: view.recentTrades };
  const openOrders = view.resting.length;
  const latest = recent[recent.length - 1];
  const reference = latest ? new Big(latest.price) : null;
  const mid = chooseMid(pool, reference, top.bestBid, top.bestAsk);
  if (!mid || mid.lte(0)) {
    throw new Error(
      `Pool "${poolId}" has no price to quote around: feed "${pool.priceFeed}" has no tick and the ${pool.config.priceSource} source gave none. Start the price feed.`,
    );
  }
  const volatility = estimateVolatility(
    recent.map((t) => ({ ts: t.observedAtMs, price: t.price })),
    pool.config.volatility,
  );
  const base = baseline ?? {
    reserveBase: '0',
    reserveQuote: '0',
    netBaseContributed: '0',
    netQuoteContributed: '0',
  };
  const pnl = computePnl({
    initialBase: new Big(base.reserveBase),
    initialQuote: new Big(base.reserveQuote),
    netBaseContributed: pool.netBaseContributed.minus(base.netBaseContributed),
    netQuoteContributed: pool.netQuoteContributed.minus(base.netQuoteContributed),
    currentBase: pool.reserveBase,
    currentQuote: pool.reserveQuote,
    mid,
    // The order book charges no trading fee: the pool earns only the spread.
    tradingFeesEarned: new Big(0),
    hedgeFeesPaid: pool.hedgeFeesPaid.minus(base.hedgeFeesPaid ?? '0'),
    peakCapital: pool.peakCapital,
  });
  const snapshot: MarketSnapshot = {
    poolId,
    status: pool.status,
    priceFeed: pool.priceFeed,
    observedAtMs: nowMs,
    mid: formatDecimal(mid),
    midSource: pool.config.priceSource,
    referencePrice: reference ? formatDecimal(reference) : null,
    priceAgeSeconds: latest ? Math.max(0, (nowMs - latest.observedAtMs) / 1000) : null,
    bestBid: top.bestBid ?? null,
    bestAsk: top.bestAsk ?? null,
    reserveBase: formatDecimal(pool.reserveBase),
    reserveQuote: formatDecimal(pool.reserveQuote),
    totalShares: formatDecimal(pool.totalShares),
    netBaseContributed: formatDecimal(pool.netBaseContributed),
    netQuoteContributed: formatDecimal(pool.netQuoteContributed),
    hedgeFeesPaid: formatDecimal(pool.hedgeFeesPaid),
    peakCapital: formatDecimal(pool.peakCapital),
    inventoryShare: formatDecimal(
      inventoryShare(pool.reserveBase, pool.reserveQuote, mid).round(18, Big.roundHalfEven),
    ),
    tvl: formatDecimal(tvl(pool.reserveBase, pool.reserveQuote, mid).round(18, Big.roundHalfEven)),
    spreadBps: formatDecimal(pool.spreadBps),
    tickSize: formatDecimal(pool.tickSize),
    lotSize: formatDecimal(pool.lotSize),
    minSize: formatDecimal(pool.minSize),
    volatility,
    volatilityRegime: volatilityRegime(volatility, pool.config.spreadPolicy),
    pnl: {
      holdValue: formatDecimal(pnl.holdValue.round(8, Big.roundHalfEven)),
      currentValue: formatDecimal(pnl.currentValue.round(8, Big.roundHalfEven)),
      totalPnl: formatDecimal(pnl.totalPnl.round(8, Big.roundHalfEven)),
      tradePnl: formatDecimal(pnl.tradePnl.round(8, Big.roundHalfEven)),
      fees: formatDecimal(pnl.fees),
      feesEarned: formatDecimal(pnl.feesEarned),
      feesPaid: formatDecimal(pnl.feesPaid),
      returnPct: pnl.returnPct === null ? null : formatDecimal(pnl.returnPct),
    },
    recentVolumeBase: formatDecimal(trades.volume),
    recentTrades: trades.count,
    openOrders,
    config: pool.config,
  };
  return { snapshot, view };
}
