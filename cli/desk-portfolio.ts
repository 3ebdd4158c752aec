import type { Db } from '../db/connection';
import { getPool } from '../db/pools';
import { latestTick } from '../db/price-ticks';
import { Big, formatDecimal } from '../domain/money';
import { computePortfolio, type PortfolioInput, type PortfolioView } from '../domain/portfolio';
import { historyReport, renderHistoryReport, type PoolTradeStats } from '../domain/portfolio-report';
import type { PriceQuote } from '../domain/price-graph';
import { DESK_NUMERAIRE, deskFeedName } from './desk-market';
import type { PoolReportData } from './report';

/*
 * The desk's portfolio view for the run command: net exposure per asset across every pool, valued
 * in USDC, and total P&L against holding what each pool started the run with (domain/portfolio.ts);
 * and at the end a history-style report across pools and pairs (domain/portfolio-report.ts).
 */

export interface DeskPoolRef {
  poolId: string;
  pair: string;
  /** The pool's holdings when the run started: the P&L benchmark. */
  start: { base: string; quote: string };
}

/** Every simulated pair's latest stored price (legs and crosses). */
async function latestPrices(db: Db, pairs: readonly string[]): Promise<PriceQuote[]> {
  const ticks = await Promise.all(pairs.map((p) => latestTick(db, deskFeedName(p))));
  return pairs.flatMap((pair, i) => (ticks[i] ? [{ pair, price: new Big(ticks[i].price) }] : []));
}

/** The portfolio input now: reserves, each pool's own inventory target, the latest prices. */
export async function readDeskPortfolio(
  db: Db,
  pools: readonly DeskPoolRef[],
  marketPairs: readonly string[],
): Promise<PortfolioInput> {
  const [states, prices] = await Promise.all([
    Promise.all(pools.map((p) => getPool(db, p.poolId))),
    latestPrices(db, marketPairs),
  ]);
  return {
    numeraire: DESK_NUMERAIRE,
    prices,
    pools: pools.map((p, i) => ({
      poolId: p.poolId,
      pair: p.pair,
      reserveBase: states[i]!.reserveBase,
      reserveQuote: states[i]!.reserveQuote,
      initialBase: new Big(p.start.base),
      initialQuote: new Big(p.start.quote),
      target: { kind: 'share', share: new Big(states[i]!.config.spreadPolicy.targetInventoryShare) },
    })),
  };
}

const signed = (b: Big, dp: number) => `${b.gte(0) ? '+' : ''}${b.toFixed(dp)}`;
const money = (b: Big) => signed(b.round(2), 2);

/** One line for the live display: net exposure per asset (the numeraire too) and the desk's P&L. */
export function formatPortfolioLine(view: PortfolioView): string {
  const exposure = [...view.exposure]
    .filter(([asset]) => asset !== view.numeraire)
    .map(([asset, a]) => `${asset} ${signed(a.quantity.round(6), 6)} (${money(a.value)})`)
    .join(', ');
  return (
    `desk: net exposure ${exposure || 'none'} ${view.numeraire}; ` +
    `value ${view.currentValue.round(2).toFixed(2)}, P&L ${money(view.totalPnl)} ${view.numeraire}`
  );
}

/** The end-of-run portfolio block: exposure per asset and the history-style report. */
export function formatDeskReport(input: PortfolioInput, reports: readonly PoolReportData[]): string {
  const view = computePortfolio(input);
  const trades = new Map<string, PoolTradeStats>(
    reports.map((r) => [
      r.poolId,
      {
        buys: r.poolBought.count,
        sells: r.poolSold.count,
        baseBought: new Big(r.poolBought.base),
        baseSold: new Big(r.poolSold.base),
        quotePaid: new Big(r.poolBought.quote),
        quoteReceived: new Big(r.poolSold.quote),
        // The market charges no trading fee: a pool earns its spread through its prices.
        fees: new Big(0),
      },
    ]),
  );
  const lines = [
    `Portfolio (valued in ${view.numeraire}; exposure = holdings minus each pool's inventory target)`,
    ...[...view.exposure].map(
      ([asset, a]) =>
        `  ${asset.padEnd(5)} net ${signed(a.quantity, 8).padStart(20)}  worth ${money(a.value).padStart(14)} ${view.numeraire}` +
        (view.valuationPaths.get(asset) ? `  (via ${view.valuationPaths.get(asset)})` : ''),
    ),
    `  value ${formatDecimal(view.currentValue.round(2))} ${view.numeraire}, holding the start ${formatDecimal(view.holdValue.round(2))}: P&L ${money(view.totalPnl)} ${view.numeraire}`,
    '',
    'History across pools and pairs',
    renderHistoryReport(historyReport(input, trades)),
  ];
  return lines.join('\n');
}
