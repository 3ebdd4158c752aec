import { sql, type Selectable } from 'kysely';
import { askVenue, type HedgeVenue } from '../adapters/hedge-venue/port';
import { parseDeskId, parseDeskPools, nettingRules, type DeskHedging } from '../domain/desk-config';
import { DomainValidationError } from '../domain/errors';
import { hedgeCooldownUntil } from '../domain/hedge';
import { Big, formatDecimal } from '../domain/money';
import { hedgeRequestsFromView, hedgeVolumeValue, netHedges, perPoolHedges } from '../domain/netting';
import { pairSymbol } from '../domain/pairs';
import { computePortfolio, type PortfolioView } from '../domain/portfolio';
import type { PortfolioInputJson } from '../domain/portfolio-input';
import { parsePortfolioInput } from '../domain/portfolio-input';
import { buildPriceGraph } from '../domain/price-graph';
import { deskStream } from '../domain/streams';
import type { Db } from './connection';
import { ConflictError, NotFoundError } from './errors';
import { appendToStream, type Executor } from './event-store';
import type { DeskHedgesTable } from './types';

/*
 * A desk: the pools one portfolio supervisor watches (workflows/portfolio-supervisor.ts). This module
 * reads the desk's portfolio (reserves, contributions, targets, latest prices, the desk's own
 * hedges) as decimal strings, marks the pools whose hedging the desk has taken over, and carries out
 * a netted hedge round.
 *
 * A round decides under the desk's advisory lock, from one read: whether a hedge is still in flight
 * (it finishes that one first), whether the cool-down since the last decision has passed, and what
 * the net is (domain/netting.ts). The decision is one row per asset, committed before the venue is
 * called, with a client order id made of desk, round and asset: a retried round finds its rows and
 * asks the venue again under the same ids (which answers with the first fill) instead of trading twice.
 */

type DeskHedgeRow = Selectable<DeskHedgesTable>;

/** The desk's own hedges take part in the netting as one more requester, under this name. */
export const deskRequester = (deskId: string) => `desk.${deskId}`;

export interface DeskPortfolioRead {
  portfolio: PortfolioInputJson;
  /** Listed pools that do not exist (deleted, or a typo): left out of the view. */
  missing: string[];
}

/** The desk's portfolio input, valued in `numeraire`, as decimal strings. */
export async function readDeskPortfolio(
  db: Executor,
  input: { deskId: string; pools: readonly string[]; numeraire: string },
): Promise<DeskPortfolioRead> {
  const deskId = parseDeskId(input.deskId);
  const ids = parseDeskPools(input.pools);
  const rows = ids.length
    ? await db.selectFrom('pools').selectAll().where('id', 'in', ids).orderBy('id').execute()
    : [];
  const found = new Set(rows.map((r) => r.id));
  const feeds = [...new Set(rows.map((r) => r.price_feed))];
  const ticks = feeds.length
    ? await sql<{ feed: string; price: string }>`
        select distinct on (feed) feed, price::text as price from price_ticks
         where feed in (${sql.join(feeds)}) order by feed, observed_at desc`.execute(db)
    : { rows: [] };
  const priceOfFeed = new Map(ticks.rows.map((t) => [t.feed, t.price]));
  // One price per pair: the first pool's (by id) that has one. Pools of a pair share a market.
  const prices = new Map<string, string>();
  for (const r of rows) {
    const pair = pairSymbol(r.base_asset, r.quote_asset);
    const p = priceOfFeed.get(r.price_feed);
    if (p !== undefined && !prices.has(pair)) prices.set(pair, p);
  }
  const hedges = await db
    .selectFrom('desk_hedges')
    .select(['pair', 'side', 'fill_base', 'fill_net_quote'])
    .where('desk_id', '=', deskId)
    .where('status', '=', 'filled')
    .orderBy('decided_at')
    .execute();
  return {
    portfolio: {
      numeraire: input.numeraire,
      prices: [...prices.entries()].map(([pair, price]) => ({ pair, price })),
      pools: rows.map((r) => {
        const config = r.config as { spreadPolicy?: { targetInventoryShare?: unknown } };
        const share = config.spreadPolicy?.targetInventoryShare;
        return {
          poolId: r.id,
          pair: pairSymbol(r.base_asset, r.quote_asset),
          reserveBase: r.reserve_base,
          reserveQuote: r.reserve_quote,
          // The buy-and-hold benchmark: liquidity added minus removed.
          initialBase: r.net_base_contributed,
          initialQuote: r.net_quote_contributed,
          target: { kind: 'share' as const, share: share === undefined ? '0.5' : String(share) },
        };
      }),
      deskHedges: hedges.map((h) => ({
        pair: h.pair,
        side: h.side,
        baseAmount: h.fill_base!,
        netQuoteAmount: h.fill_net_quote!,
      })),
    },
    missing: ids.filter((id) => !found.has(id)),
  };
}

/**
 * Marks the desk's pools as hedged by it (netting on) or by themselves (netting off), and releases
 * pools that left the desk. A pool another desk hedges is refused: its exposure would be hedged twice.
 */
export async function setDeskMembership(
  db: Db,
  input: { deskId: string; pools: readonly string[]; netting: boolean },
): Promise<{ hedgedByDesk: string[] }> {
  const deskId = parseDeskId(input.deskId);
  const ids = parseDeskPools(input.pools);
  return db.transaction().execute(async (trx) => {
    const rows = ids.length
      ? await trx
          .selectFrom('pools')
          .select(['id', 'hedged_by_desk'])
          .where('id', 'in', ids)
          .forUpdate()
          .execute()
      : [];
    const missing = ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length) {
      throw new NotFoundError(
        `pool${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} of desk "${deskId}" do${missing.length > 1 ? '' : 'es'} not exist; create ${missing.length > 1 ? 'them' : 'it'} first or remove ${missing.length > 1 ? 'them' : 'it'} from the desk`,
      );
    }
    const taken = rows.filter((r) => r.hedged_by_desk !== null && r.hedged_by_desk !== deskId);
    if (input.netting && taken.length) {
      throw new ConflictError(
        `pool "${taken[0]!.id}" is hedged by desk "${taken[0]!.hedged_by_desk}"; remove it from that desk (or turn its netting off) before adding it to desk "${deskId}"`,
      );
    }
    let release = trx.updateTable('pools').set({ hedged_by_desk: null }).where('hedged_by_desk', '=', deskId);
    if (input.netting && ids.length) release = release.where('id', 'not in', ids);
    await release.execute();
    if (input.netting && ids.length) {
      await trx.updateTable('pools').set({ hedged_by_desk: deskId }).where('id', 'in', ids).execute();
    }
    return { hedgedByDesk: input.netting ? ids : [] };
  });
}

export interface DeskHedgeResult {
  asset: string;
  clientOrderId: string;
  status: 'filled' | 'failed' | 'in_flight';
  side: 'buy' | 'sell';
  baseAmount: string;
  reason?: string;
}

export interface DeskHedgeRound {
  status: 'hedged' | 'nothing_to_hedge' | 'cool_down' | 'in_flight';
  reason: string;
  hedges: DeskHedgeResult[];
  /** The same round hedged pool by pool: orders and volume in the numeraire (absent when not computed). */
  comparison?: { perPoolOrders: number; perPoolVolume: string; nettedOrders: number; nettedVolume: string };
  untilMs?: number;
}

export interface DeskHedgeInput {
  deskId: string;
  pools: readonly string[];
  numeraire: string;
  /** Names this round (workflow, run, round number): a retry of the same round never trades twice. */
  roundKey: string;
  hedging: DeskHedging;
}

/** One netted hedge round of the desk (see the module comment). */
export async function hedgeDeskNet(
  db: Db,
  venue: HedgeVenue,
  input: DeskHedgeInput,
): Promise<DeskHedgeRound> {
  const deskId = parseDeskId(input.deskId);
  if (typeof input.roundKey !== 'string' || input.roundKey.length < 1 || input.roundKey.length > 200) {
    throw new DomainValidationError('roundKey', 'roundKey must be a string of 1-200 characters');
  }
  type Decision =
    | { answer: DeskHedgeRound }
    | { rows: DeskHedgeRow[]; comparison: DeskHedgeRound['comparison']; reason: string };
  const decision = await db.transaction().execute(async (trx): Promise<Decision> => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`desk-hedge:${deskId}`}, 0))`.execute(trx);
    const own = await trx
      .selectFrom('desk_hedges')
      .selectAll()
      .where('desk_id', '=', deskId)
      .where('round_key', '=', input.roundKey)
      .execute();
    if (own.length) return { rows: own, comparison: undefined, reason: 'this round was decided before' };
    const open = await trx
      .selectFrom('desk_hedges')
      .selectAll()
      .where('desk_id', '=', deskId)
      .where('status', '=', 'in_flight')
      .execute();
    if (open.length)
      return { rows: open, comparison: undefined, reason: 'a hedge decided earlier was still in flight' };
    const clock = await sql<{ last_ms: number | null; now_ms: number }>`
      select (select (extract(epoch from max(decided_at)) * 1000)::float8 from desk_hedges where desk_id = ${deskId}) as last_ms,
             (extract(epoch from clock_timestamp()) * 1000)::float8 as now_ms`.execute(trx);
    const { last_ms, now_ms } = clock.rows[0]!;
    const until = hedgeCooldownUntil(last_ms, input.hedging.cooldownSeconds);
    if (until !== null && now_ms < until) {
      return {
        answer: {
          status: 'cool_down',
          untilMs: until,
          hedges: [],
          reason: `desk "${deskId}" hedged ${((now_ms - last_ms!) / 1000).toFixed(1)} s ago; it hedges at most once per hedging.cooldownSeconds (${input.hedging.cooldownSeconds} s)`,
        },
      };
    }
    const read = await readDeskPortfolio(trx, input);
    const view = computePortfolio(parsePortfolioInput(read.portfolio));
    const rules = nettingRules(input.hedging, view.numeraire);
    const poolRequests = hedgeRequestsFromView(view);
    const requests = [...poolRequests, ...deskRequests(view, deskId)];
    const plan = netHedges(requests, rules);
    const graph = buildPriceGraph(parsePortfolioInput(read.portfolio).prices);
    const perPool = perPoolHedges(poolRequests, rules);
    const comparison = {
      perPoolOrders: perPool.reduce((n, p) => n + p.hedges.length, 0),
      perPoolVolume: fmt(hedgeVolumeValue(perPool, graph, view.numeraire)),
      nettedOrders: plan.hedges.length,
      nettedVolume: fmt(hedgeVolumeValue([plan], graph, view.numeraire)),
    };
    if (!plan.hedges.length) {
      const nets = [...plan.residual.entries()].map(([a, q]) => `${a} ${fmt(q)}`).join(', ');
      return {
        answer: {
          status: 'nothing_to_hedge',
          hedges: [],
          comparison,
          reason: `the desk's net requests are within tolerance or under a lot${nets ? ` (${nets})` : ''}`,
        },
      };
    }
    const rows: DeskHedgeRow[] = [];
    for (const h of plan.hedges) {
      rows.push(
        await trx
          .insertInto('desk_hedges')
          .values({
            client_order_id: `desk/${deskId}/${input.roundKey}/${h.asset}`,
            desk_id: deskId,
            round_key: input.roundKey,
            asset: h.asset,
            pair: pairSymbol(h.asset, view.numeraire),
            status: 'in_flight',
            side: h.side,
            base_amount: formatDecimal(h.quantity),
            reference_price: fmt(graph.convert(new Big(1), h.asset, view.numeraire)),
            net: fmt(h.net),
            gross: fmt(h.gross),
            pools: JSON.stringify(h.pools.filter((p) => p !== deskRequester(deskId))),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    }
    return { rows, comparison, reason: 'decided' };
  });
  if ('answer' in decision) return decision.answer;
  const hedges: DeskHedgeResult[] = [];
  for (const row of decision.rows) hedges.push(await settle(db, venue, row));
  const status = hedges.some((h) => h.status === 'in_flight') ? 'in_flight' : 'hedged';
  return {
    status,
    reason: decision.reason,
    hedges,
    ...(decision.comparison ? { comparison: decision.comparison } : {}),
  };
}

const fmt = (b: Big) => formatDecimal(b.round(18, Big.roundHalfEven));

/** The desk's own hedges want their position undone too: they hedged pools' exposure that may have gone. */
function deskRequests(view: PortfolioView, deskId: string) {
  return [...view.deskExposure.entries()]
    .filter(([asset, a]) => asset !== view.numeraire && !a.quantity.eq(0))
    .map(([asset, a]) => ({ poolId: deskRequester(deskId), asset, quantity: a.quantity.times(-1) }));
}

async function settle(db: Db, venue: HedgeVenue, row: DeskHedgeRow): Promise<DeskHedgeResult> {
  const result = (status: DeskHedgeResult['status'], reason?: string): DeskHedgeResult => ({
    asset: row.asset,
    clientOrderId: row.client_order_id,
    status,
    side: row.side,
    baseAmount: formatDecimal(new Big(row.base_amount)),
    ...(reason !== undefined ? { reason } : {}),
  });
  if (row.status !== 'in_flight') return result(row.status, row.failure ?? undefined);
  const answer = await askVenue(venue, row);
  if (answer.kind === 'unanswered') return result('in_flight', answer.reason);
  if (answer.kind === 'refused') {
    const reason = answer.reason;
    await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('desk_hedges')
        .set({ status: 'failed', settled_at: sql`clock_timestamp()` as never, failure: reason })
        .where('client_order_id', '=', row.client_order_id)
        .where('status', '=', 'in_flight')
        .executeTakeFirst();
      if (updated.numUpdatedRows > 0n) {
        await appendToStream(trx, deskStream(row.desk_id), 'any', [
          {
            eventId: `${row.client_order_id}/failed`,
            type: 'desk_hedge_failed',
            payload: { deskId: row.desk_id, asset: row.asset, clientOrderId: row.client_order_id, reason },
          },
        ]);
      }
    });
    return result('failed', reason);
  }
  const { fill } = answer;
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('desk_hedges')
      .set({
        status: 'filled',
        settled_at: sql`clock_timestamp()` as never,
        fill_price: formatDecimal(fill.price),
        fill_base: formatDecimal(fill.baseAmount),
        fill_quote: formatDecimal(fill.quoteAmount),
        fill_fee: formatDecimal(fill.fee),
        fill_net_quote: formatDecimal(fill.netQuoteAmount),
      })
      .where('client_order_id', '=', row.client_order_id)
      .where('status', '=', 'in_flight')
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return;
    await appendToStream(trx, deskStream(row.desk_id), 'any', [
      {
        eventId: row.client_order_id,
        type: 'desk_hedge_filled',
        payload: {
          deskId: row.desk_id,
          asset: row.asset,
          pair: row.pair,
          venue: venue.name,
          clientOrderId: row.client_order_id,
          side: fill.side,
          baseAmount: formatDecimal(fill.baseAmount),
          quoteAmount: formatDecimal(fill.quoteAmount),
          price: formatDecimal(fill.price),
          fee: formatDecimal(fill.fee),
          net: formatDecimal(new Big(row.net)),
          gross: formatDecimal(new Big(row.gross)),
          pools: row.pools,
        },
      },
    ]);
  });
  return result('filled');
}
