import type { Db } from '../db/connection';
import { appendInTransaction } from '../db/event-store';
import { checkFence, type SessionFence } from '../db/fence';
import { makerTradesSince, readExposure, recordExposure } from '../db/intensity';
import type { PoolMarketView } from '../db/market-view';
import { lockPool } from '../db/pools';
import type { PoolConfig } from '../domain/config';
import {
  addExposure,
  configuredIntensity,
  fitIntensity,
  observationsOf,
  type ExposureBin,
  type IntensityParams,
} from '../domain/intensity';
import { marketMakerStream, poolOwner } from '../domain/streams';

/*
 * The online intensity fit of a quoting session (config `intensityFit.source: 'fitted'`).
 *
 * Each full cycle closes the previous one's observation: the best bid and ask that rested from
 * then to now, at their distance from the mid of then, and the taker orders that reached them
 * (the trades table). Exposure and arrivals pile up per distance bin in the session's memory
 * (carried across attempts in heartbeat details); every refresh writes them to
 * `intensity_exposure` under a key of the generation and refresh number (a repeat adds nothing),
 * fits A and k on the pool's whole window there (what earlier sessions left included), and records
 * the fit as an `intensity_fitted` event. Exposure is taken from the database's clock only.
 */

/** The best quotes a cycle left resting, and what they are measured against. */
export interface IntensityProbe {
  atMs: number;
  mid: string;
  /** Reserves then: unchanged reserves mean no taker reached the pool's quotes since. */
  reserveBase: string;
  reserveQuote: string;
  bid: string | null;
  ask: string | null;
}

export interface IntensityFitSummary {
  /** 'fitted': A-S/GLFT quote on this fit; 'configured': the strategy's values, for `reason`. */
  source: 'fitted' | 'configured';
  A: number;
  k: number;
  stdError: { A: number; k: number } | null;
  reason: string | null;
  detail: string | null;
  fills: number;
  exposureSeconds: number;
  distances: number;
  /** Database clock of the refresh. */
  atMs: number;
}

export interface IntensityMemory {
  probe: IntensityProbe | null;
  /** Accumulated since the last refresh wrote them. */
  pending: ExposureBin[];
  /** Refreshes this generation wrote: the next one's sample key. */
  refreshes: number;
  /** Trades already counted that a look-back could see again: id and database time. */
  counted?: Array<{ id: string; atMs: number }>;
  fit: IntensityFitSummary | null;
}

/** A fit's figures as events and logs show them (standard errors null when there are none). */
export function fitFigures(fit: IntensityFitSummary) {
  return {
    A: fit.A,
    k: fit.k,
    stdErrorA: fit.stdError?.A ?? null,
    stdErrorK: fit.stdError?.k ?? null,
    reason: fit.reason,
    detail: fit.detail,
    fills: fit.fills,
    exposureSeconds: fit.exposureSeconds,
  };
}

export function fitsIntensity(cfg: PoolConfig): boolean {
  return cfg.intensityFit.source === 'fitted' && cfg.strategy.kind !== 'rule_based';
}

export const newIntensityMemory = (): IntensityMemory => ({
  probe: null,
  pending: [],
  refreshes: 0,
  fit: null,
});

/**
 * How far back a cycle looks for trades it has not counted: a trade is stamped when its
 * transaction starts, so one stamped before the last read may commit after it.
 */
const LATE_TRADE_MS = 5000;

/**
 * A longer gap between two full cycles means no session was quoting (a crash, a retry): the quotes
 * expired somewhere in it, so it tells nothing about arrivals and is left out.
 */
function longestRestMs(cfg: PoolConfig): number {
  return 2 * (5000 + cfg.quoting.quoteTtlMs + cfg.refreshIntervalMs);
}

/** Closes the previous cycle's observation: adds its rest and the arrivals since to the pending bins. */
export async function observeRest(
  db: Db,
  poolId: string,
  memory: IntensityMemory,
  view: PoolMarketView,
  cfg: PoolConfig,
): Promise<void> {
  const probe = memory.probe;
  memory.probe = null;
  if (!probe) return;
  const restMs = view.dbNowMs - probe.atMs;
  if (restMs <= 0 || restMs > longestRestMs(cfg) || (probe.bid === null && probe.ask === null)) return;
  const unchanged =
    view.pool.reserveBase.eq(probe.reserveBase) && view.pool.reserveQuote.eq(probe.reserveQuote);
  const arrivals = { bid: 0, ask: 0 };
  if (!unchanged) {
    // Each distinct taker order is one arrival: one that reached a deeper level crossed the best
    // quote first (price priority). A late-committing trade counts at the distance quoted now.
    const counted = new Set((memory.counted ?? []).map((c) => c.id));
    const trades = await makerTradesSince(db, poolId, poolOwner(poolId), probe.atMs - LATE_TRADE_MS);
    const takers = { bid: new Set<string>(), ask: new Set<string>() };
    for (const t of trades) if (!counted.has(t.tradeId)) takers[t.side].add(t.takerOrderId);
    arrivals.bid = takers.bid.size;
    arrivals.ask = takers.ask.size;
    memory.counted = [
      ...(memory.counted ?? []),
      ...trades.filter((t) => !counted.has(t.tradeId)).map((t) => ({ id: t.tradeId, atMs: t.atMs })),
    ];
  }
  memory.counted = memory.counted?.filter((c) => c.atMs > probe.atMs - 2 * LATE_TRADE_MS);
  const mid = Number(probe.mid);
  const width = cfg.intensityFit.binWidthBps;
  if (probe.bid !== null) {
    const distanceBps = ((mid - Number(probe.bid)) / mid) * 10_000;
    addExposure(memory.pending, { distanceBps, seconds: restMs / 1000, fills: arrivals.bid }, width);
  }
  if (probe.ask !== null) {
    const distanceBps = ((Number(probe.ask) - mid) / mid) * 10_000;
    addExposure(memory.pending, { distanceBps, seconds: restMs / 1000, fills: arrivals.ask }, width);
  }
}

export function refreshDue(memory: IntensityMemory, cfg: PoolConfig, nowMs: number): boolean {
  return memory.fit === null || nowMs - memory.fit.atMs >= cfg.intensityFit.refreshSeconds * 1000;
}

/** Writes the pending bins, fits on the window and records the fit, in one fenced transaction. */
export async function refreshIntensityFit(
  db: Db,
  input: { poolId: string; fence: SessionFence; cfg: PoolConfig; nowMs: number; mid: number },
  memory: IntensityMemory,
): Promise<IntensityFitSummary> {
  const { poolId, fence, cfg } = input;
  const prior = configuredIntensity(cfg.strategy, input.mid)!;
  const settings = cfg.intensityFit;
  const sampleKey = `${poolId}/g${fence.generation}/intensity${memory.refreshes}`;
  const summary = await db.transaction().execute(async (trx) => {
    checkFence(await lockPool(trx, poolId), fence);
    await recordExposure(trx, poolId, sampleKey, memory.pending);
    const bins = await readExposure(trx, poolId, settings.windowSeconds);
    const fit = fitIntensity(observationsOf(bins), prior, {
      minFills: settings.minFills,
      maxRelativeStdError: settings.maxRelativeStdError,
      binWidthBps: settings.binWidthBps,
    });
    const s: IntensityFitSummary = {
      source: fit.usedFallback ? 'configured' : 'fitted',
      A: fit.A,
      k: fit.k,
      stdError: fit.stdError,
      reason: fit.reason ?? null,
      detail: fit.detail ?? null,
      fills: fit.fills,
      exposureSeconds: fit.exposureSeconds,
      distances: fit.distances,
      atMs: input.nowMs,
    };
    await appendInTransaction(trx, marketMakerStream(poolId), [
      {
        // Per attempt: a retried attempt that refits under the same sample key still records its fit.
        eventId: `${sampleKey}a${fence.attempt}/fitted`,
        type: 'intensity_fitted',
        payload: {
          poolId,
          source: s.source,
          ...fitFigures(s),
          distances: s.distances,
          windowSeconds: settings.windowSeconds,
        },
      },
    ]);
    return s;
  });
  memory.pending = [];
  memory.refreshes++;
  memory.fit = summary;
  return summary;
}

/** What the strategy quotes with: the fit when it is used, otherwise nothing (its configured values). */
export function quotingIntensity(memory: IntensityMemory | undefined): IntensityParams | undefined {
  const fit = memory?.fit;
  return fit && fit.source === 'fitted' ? { A: fit.A, k: fit.k } : undefined;
}

/** The intensity a quotes_updated event records. */
export function quotedIntensityRecord(
  memory: IntensityMemory,
  cfg: PoolConfig,
  mid: number,
): { source: 'fitted' | 'configured'; A: number; k: number; reason?: string } {
  const fit = memory.fit;
  if (fit && fit.source === 'fitted') return { source: 'fitted', A: fit.A, k: fit.k };
  const prior = configuredIntensity(cfg.strategy, mid)!;
  return { source: 'configured', ...prior, ...(fit?.reason ? { reason: fit.reason } : {}) };
}

/** The best price per side among quotes (highest bid, lowest ask). */
export function bestPrices(quotes: ReadonlyArray<{ side: 'buy' | 'sell'; price: { toFixed(): string } }>): {
  bid: string | null;
  ask: string | null;
} {
  let bid: number | null = null;
  let ask: number | null = null;
  let bidText: string | null = null;
  let askText: string | null = null;
  for (const q of quotes) {
    const text = q.price.toFixed();
    const p = Number(text);
    if (q.side === 'buy' && (bid === null || p > bid)) [bid, bidText] = [p, text];
    if (q.side === 'sell' && (ask === null || p < ask)) [ask, askText] = [p, text];
  }
  return { bid: bidText, ask: askText };
}
