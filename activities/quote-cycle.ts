import type { Db } from '../db/connection';
import { appendInTransaction } from '../db/event-store';
import { lockPool } from '../db/pools';
import { checkFence, FencedError, type SessionFence } from '../db/fence';
import { reconcileOrders, renewQuotes } from '../db/order-book';
import { hedgeExcess, type HedgeOutcome } from '../db/hedging';
import type { NewEvent } from '../domain/events';
import { Big } from '../domain/money';
import { earliestExpiryMs, isQuietPlan, planQuotes } from '../domain/quote-plan';
import { cycleRisk, cycleSpreadBps } from '../domain/quote-cycle';
import type { RiskEvaluation } from '../domain/risk';
import { evaluateSpread, type TvlTier } from '../domain/spread-policy';
import type { SerializedQuoteLadder } from '../domain/strategies/serialize';
import { marketMakerStream, poolOwner } from '../domain/streams';
import type { VolatilityRegime } from '../domain/volatility';
import type { HedgeVenue } from '../adapters/hedge-venue/port';
import type { TickBook } from '../db/tick-book';
import {
  bestPrices,
  fitsIntensity,
  newIntensityMemory,
  observeRest,
  quotedIntensityRecord,
  quotingIntensity,
  refreshDue,
  refreshIntensityFit,
  type IntensityFitSummary,
  type IntensityMemory,
} from './intensity';
import { readMarketState } from './market-data';
import { computeQuotes } from './quotes';
import type { MarketSnapshot, PnlBaseline } from './types';

/*
 * One quoting cycle of a session: market snapshot, risk check, quotes from the pool's strategy,
 * and the reconcile in one fenced transaction, or nothing at all when the ladder is within the
 * refresh tolerance of what rests. The session (quoting-session.ts) loops over it.
 */

export interface CycleDeps {
  db: Db;
  /** The worker's in-memory ticks (fed by notifications); absent, every read fetches them. */
  ticks?: TickBook;
  hedgeVenue: HedgeVenue;
  now: () => number;
}

/** What the session carries from cycle to cycle; heartbeat details carry it across attempts. */
export interface CycleMemory {
  cycle: number;
  /** The breach last recorded, so a lasting breach is one event, not one per cycle. */
  lastBreachKey: string;
  /**
   * The spread policy's tiers as the session last told the saga: it hints only on a change. They are
   * also the previous tiers of the next evaluation, whose bands keep a hovering value from flipping
   * them. (Heartbeats of v0.1.0 sessions carry no TVL tier: the next evaluation starts without a band.)
   */
  sagaView: {
    volatilityRegime: VolatilityRegime;
    imbalanceLevel: 'none' | 'moderate' | 'critical';
    tvlTier?: TvlTier;
  };
  /**
   * Hedges this generation decided. The next hedge's request id is built from it, so a hedge left
   * in flight is finished under the same id (the venue answers a repeated client order id with its
   * first fill) instead of being decided again under a new one.
   */
  hedges?: number;
  /** The online intensity fit's observations and last fit (only while the pool fits its intensity). */
  intensity?: IntensityMemory;
}

export type CycleOutcome =
  | { kind: 'quoted'; wrote: 'reconcile' | 'renew' | 'nothing'; renewInMs: number | null }
  | { kind: 'halt'; action: 'pause' | 'stop'; risk: RiskEvaluation };

export interface CycleReport {
  outcome: CycleOutcome;
  snapshot: MarketSnapshot;
  ladder: SerializedQuoteLadder | null;
  risk: RiskEvaluation;
  restingOrders: number;
  /** The spread policy wants a decision from the saga (a change past the hysteresis, or a critical imbalance). */
  sagaDecisionDue: boolean;
  /** What this cycle's hedge came to (a flatten, or the saga's request), with why when it did not trade. */
  hedge: HedgeOutcome | null;
  /** The intensity fit this cycle refreshed, if it did (the session logs it). */
  intensityFit: IntensityFitSummary | null;
}

function largestNotional(ladder: SerializedQuoteLadder | null): Big {
  let max = new Big(0);
  for (const l of [...(ladder?.bids ?? []), ...(ladder?.asks ?? [])]) {
    const n = new Big(l.price).times(l.size);
    if (n.gt(max)) max = n;
  }
  return max;
}

export interface CycleInput {
  poolId: string;
  fence: SessionFence;
  /** Unique per generation, attempt and cycle: client order ids and event ids derive from it. */
  cycleKey: string;
  baseline: PnlBaseline;
  previousLadder: SerializedQuoteLadder | null;
  /** The pool's feed and volatility window as the previous cycle saw them. */
  feed?: { name: string; window: number };
}

export async function runQuoteCycle(
  deps: CycleDeps,
  input: CycleInput,
  memory: CycleMemory,
): Promise<CycleReport> {
  const { db } = deps;
  const { poolId, fence, cycleKey } = input;
  const owner = poolOwner(poolId);
  const tickHint = deps.ticks
    ? { book: deps.ticks, feed: input.feed?.name, window: input.feed?.window }
    : undefined;
  let { snapshot, view } = await readMarketState(db, poolId, deps.now(), input.baseline, tickHint);
  // Cheap early exit: a session fenced off learns it from its read, not only from a refused write.
  checkFence(view.pool, fence);
  const cfg = snapshot.config;

  let intensityFit: IntensityFitSummary | null = null;
  if (fitsIntensity(cfg)) {
    memory.intensity ??= newIntensityMemory();
    await observeRest(db, poolId, memory.intensity, view, cfg);
    if (refreshDue(memory.intensity, cfg, view.dbNowMs)) {
      intensityFit = await refreshIntensityFit(
        db,
        { poolId, fence, cfg, nowMs: view.dbNowMs, mid: Number(snapshot.mid) },
        memory.intensity,
      );
    }
  } else {
    // Switched off: what was gathered under other settings is not carried into a later switch-on.
    memory.intensity = undefined;
  }

  const risk = cycleRisk(
    {
      inventoryShare: new Big(snapshot.inventoryShare),
      targetShare: cfg.spreadPolicy.targetInventoryShare,
      pnl: new Big(snapshot.pnl.totalPnl),
      volatility: snapshot.volatility,
      largestOrderNotional: largestNotional(input.previousLadder),
      priceAgeSeconds: snapshot.priceAgeSeconds ?? Number.MAX_SAFE_INTEGER,
    },
    cfg,
  );
  await recordBreach(db, poolId, fence, cycleKey, risk, memory);
  const sagaDecisionDue = spreadDecisionDue(snapshot, memory);

  if (risk.action === 'stop' || risk.action === 'pause') {
    return {
      outcome: { kind: 'halt', action: risk.action, risk },
      snapshot,
      ladder: null,
      risk,
      restingOrders: view.resting.length,
      sagaDecisionDue,
      hedge: null,
      intensityFit,
    };
  }
  // The session owns the pool's hedging: its own flatten and the saga's request go through the one
  // function that decides under the pool lock, with the cool-down (db/hedging.ts).
  // A pool of a desk with netted hedging leaves its exposure to the desk's supervisor: hedging it
  // here too would trade what another pool's opposite exposure cancels (db/desk.ts).
  let hedge: HedgeOutcome | null = null;
  const hedgesItself = view.pool.hedgedByDesk === null;
  if (hedgesItself && (risk.action === 'flatten' || view.pool.hedgeRequestedAt !== null)) {
    const requestId = `mm/${poolId}/g${fence.generation}/hedge${memory.hedges ?? 0}`;
    hedge = await hedgeExcess(db, deps.hedgeVenue, {
      poolId,
      requestId,
      fence,
      trigger: risk.action === 'flatten' ? 'risk_flatten' : 'saga_request',
      referencePrice: snapshot.referencePrice ?? snapshot.mid,
    });
    const decided = hedge.status !== 'cool_down' && hedge.status !== 'nothing_to_hedge';
    // The id is spent once settled; one still in flight is asked again under it next cycle.
    if ((hedge.status === 'hedged' || hedge.status === 'failed') && hedge.requestId === requestId) {
      memory.hedges = (memory.hedges ?? 0) + 1;
    }
    // A decision cancelled the quotes (and a fill moved the reserves): quote from a fresh read.
    if (decided) {
      ({ snapshot, view } = await readMarketState(db, poolId, deps.now(), input.baseline, tickHint));
    }
  }

  const quoted =
    risk.action === 'widen'
      ? { ...snapshot, spreadBps: cycleSpreadBps(new Big(snapshot.spreadBps), risk).toFixed() }
      : snapshot;
  const intensity = memory.intensity;
  const ladder = computeQuotes(quoted, undefined, quotingIntensity(intensity));
  const desired = [
    ...ladder.bids.map((l) => ({ side: 'buy' as const, price: new Big(l.price), size: new Big(l.size) })),
    ...ladder.asks.map((l) => ({ side: 'sell' as const, price: new Big(l.price), size: new Big(l.size) })),
  ];
  const tolerance = new Big(cfg.quoteTolerance).div(10_000);
  // A level that would trade against another trader's resting order cannot be placed (post-only):
  // it must not make every cycle look unfinished and write a reconcile.
  const others = {
    buy: view.bestAsk ? new Big(view.bestAsk) : null,
    sell: view.bestBid ? new Big(view.bestBid) : null,
  };
  const placeable = desired.filter((d) => {
    const opposite = others[d.side];
    return !opposite || (d.side === 'buy' ? d.price.lt(opposite) : d.price.gt(opposite));
  });
  const plan = planQuotes(view.resting, placeable, {
    tolerance,
    maxOrderAgeMs: cfg.quoting.maxOrderAgeMs,
    nowMs: view.dbNowMs,
  });
  // Renewal times are kept relative: the database's clock sets expiries, the worker's times the wait.
  const report = (wrote: 'reconcile' | 'renew' | 'nothing', renewInMs: number | null, resting: number) => ({
    outcome: { kind: 'quoted' as const, wrote, renewInMs },
    snapshot,
    ladder,
    risk,
    restingOrders: resting,
    sagaDecisionDue,
    hedge,
    intensityFit,
  });
  /** What rests after this cycle, for the next cycle's exposure (db clock of this cycle's read). */
  const probe = (rest: { bid: string | null; ask: string | null }) => {
    if (intensity)
      intensity.probe = {
        atMs: view.dbNowMs,
        mid: snapshot.mid,
        reserveBase: view.pool.reserveBase.toFixed(),
        reserveQuote: view.pool.reserveQuote.toFixed(),
        ...rest,
      };
  };
  const ttl = cfg.quoting.quoteTtlMs;
  if (isQuietPlan(plan)) {
    probe(bestPrices(plan.keep));
    // Quiet: the ladder rests as wanted. Only the quotes' lives may need extending.
    const expiry = earliestExpiryMs(plan.keep);
    const renewBy = expiry === null ? null : expiry - ttl / 2;
    if (renewBy !== null && view.dbNowMs >= renewBy) {
      const renewed = await renewQuotes(db, { poolId, owner, fence, ttlMs: ttl });
      if (renewed === null) throw new FencedError(poolId, fence);
      return report('renew', ttl / 2, plan.keep.length);
    }
    return report('nothing', renewBy === null ? null : renewBy - view.dbNowMs, plan.keep.length);
  }
  const result = await reconcileOrders(
    db,
    {
      poolId,
      owner,
      cycleKey,
      desired: placeable.map((d) => ({ side: d.side, price: d.price.toFixed(), size: d.size.toFixed() })),
      toleranceBps: String(cfg.quoteTolerance),
      fence,
      ttlMs: ttl,
      maxOrderAgeMs: cfg.quoting.maxOrderAgeMs,
      returnResting: false,
    },
    {
      streamId: marketMakerStream(poolId),
      // A reconcile that placed and cancelled nothing (its levels raced another trader) records nothing.
      events: (outcome) =>
        outcome.placed + outcome.cancelled === 0
          ? []
          : [
              {
                eventId: `${cycleKey}/quotes_updated`,
                type: 'quotes_updated',
                payload: {
                  poolId,
                  cycle: memory.cycle,
                  mid: snapshot.mid,
                  reservationPrice: ladder.reservationPrice,
                  spreadBps: quoted.spreadBps,
                  bids: ladder.bids,
                  asks: ladder.asks,
                  placed: outcome.placed,
                  cancelled: outcome.cancelled,
                  kept: outcome.kept,
                  ...(intensity
                    ? { intensity: quotedIntensityRecord(intensity, cfg, Number(snapshot.mid)) }
                    : {}),
                },
              },
            ],
    },
  );
  probe(bestPrices(placeable));
  return report('reconcile', ttl / 2, result.kept + result.placed);
}

async function recordBreach(
  db: Db,
  poolId: string,
  fence: SessionFence,
  cycleKey: string,
  risk: RiskEvaluation,
  memory: CycleMemory,
) {
  if (risk.action === 'continue') {
    memory.lastBreachKey = '';
    return;
  }
  const key = `${risk.action}:${risk.reasons
    .map((r) => r.limit)
    .sort()
    .join(',')}`;
  // One event per distinct breach, not one per cycle while it lasts.
  if (key === memory.lastBreachKey && risk.action !== 'stop') return;
  memory.lastBreachKey = key;
  const event: NewEvent = {
    eventId: `${cycleKey}/risk`,
    type: 'risk_limit_breached',
    payload: { poolId, action: risk.action as 'widen' | 'pause' | 'flatten' | 'stop', reasons: risk.reasons },
  };
  // Fenced like every other write: a session stopped meanwhile records nothing after the stop.
  await db.transaction().execute(async (trx) => {
    checkFence(await lockPool(trx, poolId), fence);
    await appendInTransaction(trx, marketMakerStream(poolId), [event]);
  });
}

/**
 * The saga decides spreads; waking it costs workflow history. The session runs the same pure policy
 * on every cycle's snapshot and asks for a decision only when one is due: a change past the
 * hysteresis (or a spread out of bounds), a new volatility regime, imbalance level or TVL tier, or a
 * critical imbalance.
 */
function spreadDecisionDue(snapshot: MarketSnapshot, memory: CycleMemory): boolean {
  const ev = evaluateSpread(
    {
      currentSpreadBps: new Big(snapshot.spreadBps),
      inventoryShare: new Big(snapshot.inventoryShare),
      volatility: snapshot.volatility,
      tvl: new Big(snapshot.tvl),
      previousVolatilityRegime: memory.sagaView.volatilityRegime,
      previousImbalanceLevel: memory.sagaView.imbalanceLevel,
      previousTvlTier: memory.sagaView.tvlTier,
    },
    snapshot.config.spreadPolicy,
  );
  const due =
    ev.shouldAdjust ||
    ev.imbalance.level === 'critical' ||
    ev.volatilityRegime !== memory.sagaView.volatilityRegime ||
    ev.imbalance.level !== memory.sagaView.imbalanceLevel ||
    (memory.sagaView.tvlTier !== undefined && ev.tvlTier !== memory.sagaView.tvlTier);
  memory.sagaView = {
    volatilityRegime: ev.volatilityRegime,
    imbalanceLevel: ev.imbalance.level,
    tvlTier: ev.tvlTier,
  };
  return due;
}
