import { DomainValidationError } from './errors';
import { Big, divideAt, formatDecimal } from './money';
import { computePortfolio, type PortfolioInput } from './portfolio';

/*
 * A `history`-style report across pools and pairs, the kind of summary Hummingbot users ask for:
 * per pool what it started with and holds now, what it traded, and how it did against holding;
 * then the same per pair and for the whole desk, every value in the numeraire. Pure: the trade
 * statistics come from the caller (a query over the trades table), the rest from the portfolio.
 */

export interface PoolTradeStats {
  buys: number;
  sells: number;
  /** Base the pool bought (takers sold to it) and sold. */
  baseBought: Big;
  baseSold: Big;
  /** Quote the pool paid and received for them. */
  quotePaid: Big;
  quoteReceived: Big;
  /** Fees earned, in quote. */
  fees: Big;
}

export interface PoolHistory {
  poolId: string;
  pair: string;
  start: { base: string; quote: string };
  current: { base: string; quote: string };
  trades: {
    buys: number;
    sells: number;
    volumeQuote: string;
    averageBuy: string | null;
    averageSell: string | null;
    fees: string;
  } | null;
  holdValue: string;
  currentValue: string;
  pnl: string;
  /** pnl / holdValue x 100, 4 decimals; null for an empty pool. */
  returnPct: string | null;
}

export interface GroupHistory {
  holdValue: string;
  currentValue: string;
  pnl: string;
  returnPct: string | null;
  trades: number;
}

export interface HistoryReport {
  numeraire: string;
  pools: PoolHistory[];
  pairs: (GroupHistory & { pair: string; pools: number })[];
  desk: GroupHistory & { deskHedgeValue: string };
}

/** Values in the report keep this many decimals (half-even); the underlying view is exact. */
export const REPORT_DECIMALS = 8;

const f = (b: Big) => formatDecimal(b.round(REPORT_DECIMALS, Big.roundHalfEven));
const pct = (pnl: Big, hold: Big) =>
  hold.eq(0) ? null : formatDecimal(divideAt(pnl.times(100), hold, 4, Big.roundHalfEven));

export function historyReport(
  input: PortfolioInput,
  trades: ReadonlyMap<string, PoolTradeStats> = new Map(),
): HistoryReport {
  for (const id of trades.keys()) {
    if (!input.pools.some((p) => p.poolId === id)) {
      throw new DomainValidationError(
        'trades',
        `trades are given for pool "${id}", which is not in the portfolio`,
      );
    }
  }
  const view = computePortfolio(input);
  const pools: PoolHistory[] = view.pools.map((v, i) => {
    const p = input.pools[i]!;
    const t = trades.get(p.poolId);
    return {
      poolId: p.poolId,
      pair: v.pair,
      start: { base: f(p.initialBase), quote: f(p.initialQuote) },
      current: { base: f(p.reserveBase), quote: f(p.reserveQuote) },
      trades:
        t === undefined
          ? null
          : {
              buys: t.buys,
              sells: t.sells,
              volumeQuote: f(t.quotePaid.plus(t.quoteReceived)),
              averageBuy: t.baseBought.eq(0)
                ? null
                : f(divideAt(t.quotePaid, t.baseBought, REPORT_DECIMALS, Big.roundHalfEven)),
              averageSell: t.baseSold.eq(0)
                ? null
                : f(divideAt(t.quoteReceived, t.baseSold, REPORT_DECIMALS, Big.roundHalfEven)),
              fees: f(t.fees),
            },
      holdValue: f(v.holdValue),
      currentValue: f(v.currentValue),
      pnl: f(v.pnl),
      returnPct: pct(v.pnl, v.holdValue),
    };
  });

  const byPair = new Map<string, { hold: Big; current: Big; trades: number; pools: number }>();
  view.pools.forEach((v) => {
    const g = byPair.get(v.pair) ?? { hold: new Big(0), current: new Big(0), trades: 0, pools: 0 };
    const t = trades.get(v.poolId);
    byPair.set(v.pair, {
      hold: g.hold.plus(v.holdValue),
      current: g.current.plus(v.currentValue),
      trades: g.trades + (t === undefined ? 0 : t.buys + t.sells),
      pools: g.pools + 1,
    });
  });
  const pairs = [...byPair.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([pair, g]) => {
      const pnl = g.current.minus(g.hold);
      return {
        pair,
        pools: g.pools,
        holdValue: f(g.hold),
        currentValue: f(g.current),
        pnl: f(pnl),
        returnPct: pct(pnl, g.hold),
        trades: g.trades,
      };
    });

  let deskHedgeValue = new Big(0);
  for (const a of view.deskExposure.values()) deskHedgeValue = deskHedgeValue.plus(a.value);
  return {
    numeraire: view.numeraire,
    pools,
    pairs,
    desk: {
      holdValue: f(view.holdValue),
      currentValue: f(view.currentValue),
      pnl: f(view.totalPnl),
      returnPct: pct(view.totalPnl, view.holdValue),
      trades: [...trades.values()].reduce((n, t) => n + t.buys + t.sells, 0),
      deskHedgeValue: f(deskHedgeValue),
    },
  };
}

/** Plain text for a terminal, one block per pool, then the pairs and the desk. */
export function renderHistoryReport(r: HistoryReport): string {
  const n = r.numeraire;
  const signed = (s: string) => (s.startsWith('-') ? s : `+${s}`);
  const ret = (p: string | null) => (p === null ? 'n/a' : `${signed(p)}%`);
  const lines: string[] = [];
  for (const p of r.pools) {
    const [base, quote] = p.pair.split('/');
    lines.push(`${p.poolId} (${p.pair})`);
    lines.push(
      `  ${base}: ${p.start.base} -> ${p.current.base}    ${quote}: ${p.start.quote} -> ${p.current.quote}`,
    );
    if (p.trades !== null) {
      const avg = (label: string, v: string | null) => (v === null ? '' : `, average ${label} ${v}`);
      lines.push(
        `  trades: ${p.trades.buys} buys, ${p.trades.sells} sells, volume ${p.trades.volumeQuote} ${quote}${avg('buy', p.trades.averageBuy)}${avg('sell', p.trades.averageSell)}, fees ${p.trades.fees} ${quote}`,
      );
    }
    lines.push(
      `  value: hold ${p.holdValue} ${n}, now ${p.currentValue} ${n}, P&L ${signed(p.pnl)} ${n} (${ret(p.returnPct)})`,
    );
  }
  lines.push('', 'by pair');
  for (const g of r.pairs) {
    lines.push(
      `  ${g.pair}: ${g.pools} pool(s), ${g.trades} trades, P&L ${signed(g.pnl)} ${n} (${ret(g.returnPct)}) on ${g.holdValue} ${n}`,
    );
  }
  const d = r.desk;
  lines.push(
    '',
    `desk: ${d.trades} trades, P&L ${signed(d.pnl)} ${n} (${ret(d.returnPct)}) on ${d.holdValue} ${n}; desk hedges worth ${d.deskHedgeValue} ${n}`,
  );
  return `${lines.join('\n')}\n`;
}
