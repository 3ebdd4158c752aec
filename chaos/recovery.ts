import { sql } from 'kysely';
import type { Db } from '../db/connection';
import { marketMakerStream } from '../domain/streams';

/*
 * "Quoting again" as the database shows it, which is what a taker sees: since a given instant, the
 * pool's market maker either wrote a quotes_updated event or placed or renewed a quote that is
 * still open and unexpired (a renewal sets expires_at to its time plus the pool's quote TTL).
 * Old quotes that merely have not expired yet do not count: a dead worker's quotes live on for
 * up to a TTL, and they are exactly what a recovery must replace.
 */

export interface PoolQuoteState {
  /** Earliest instant (ms) after `sinceMs` at which the pool quoted, or null if not yet. */
  freshAtMs: number | null;
  /** The market maker's own pause (a risk cooldown) or stop: the pool is not expected to quote. */
  haltedBy: string | null;
}

export async function poolQuoteState(db: Db, poolId: string, sinceMs: number): Promise<PoolQuoteState> {
  const stream = marketMakerStream(poolId);
  const since = sinceMs / 1000;
  const r = await sql<{ fresh_ms: string | null; lifecycle: string | null; until_ms: string | null }>`
    select
      (select extract(epoch from min(x.t)) * 1000 from (
         select e.created_at as t
           from (select created_at, type from events where stream_id = ${stream}
                  order by stream_version desc limit 500) e
          where e.type = 'quotes_updated' and e.created_at > to_timestamp(${since})
         union all
         select greatest(o.created_at, o.expires_at - make_interval(secs => ttl.ms / 1000.0))
           from orders o, (select coalesce((config->'quoting'->>'quoteTtlMs')::numeric, 5000) as ms
                             from pools where id = ${poolId}) ttl
          where o.pool_id = ${poolId} and o.is_pool_order and o.status = 'open'
            and o.expires_at > clock_timestamp()
            and greatest(o.created_at, o.expires_at - make_interval(secs => ttl.ms / 1000.0)) > to_timestamp(${since})
       ) x)::text as fresh_ms,
      l.type as lifecycle, l.payload->>'untilMs' as until_ms
    from (select 1) one
    left join lateral (
      select type, payload from events
       where stream_id = ${stream}
         and type in ('market_maker_started', 'market_maker_paused', 'market_maker_resumed', 'market_maker_stopped')
       order by stream_version desc limit 1) l on true`.execute(db);
  const row = r.rows[0]!;
  let haltedBy: string | null = null;
  if (row.lifecycle === 'market_maker_stopped') haltedBy = 'stopped';
  // A pause with an end is the market maker's own risk cooldown; an operator's pause has none.
  else if (row.lifecycle === 'market_maker_paused' && row.until_ms !== null) haltedBy = 'risk pause';
  return { freshAtMs: row.fresh_ms === null ? null : Math.round(Number(row.fresh_ms)), haltedBy };
}

export interface RecoveryOutcome {
  /** False when every pool was excluded: nothing was expected to quote, so there is no sample. */
  measured: boolean;
  /** From the fault to the moment the last affected pool quoted again; null if some did not in time. */
  recoveryMs: number | null;
  /** Per pool: ms from the fault to its first fresh quote, or null. */
  perPool: Record<string, number | null>;
  /** Pools left out because their market maker halted itself meanwhile (a risk pause or stop). */
  excluded: Record<string, string>;
}

/**
 * Waits until every pool quotes again after `restoredAtMs` (when the fault ended: the worker was
 * killed, the burst was over, the server answered again, the command was acknowledged) and returns
 * the time from `injectedAtMs` (when the fault began). Query errors (the connections may have just
 * been terminated) are retried until the deadline.
 */
export async function waitForQuotes(
  db: Db,
  poolIds: string[],
  opts: { injectedAtMs: number; restoredAtMs: number; timeoutMs: number; pollMs?: number },
): Promise<RecoveryOutcome> {
  const deadline = opts.restoredAtMs + opts.timeoutMs;
  const perPool: Record<string, number | null> = Object.fromEntries(poolIds.map((id) => [id, null]));
  const excluded: Record<string, string> = {};
  for (;;) {
    const pending = poolIds.filter((id) => perPool[id] === null && !(id in excluded));
    if (pending.length === 0) break;
    for (const id of pending) {
      try {
        const s = await poolQuoteState(db, id, opts.restoredAtMs);
        if (s.freshAtMs !== null) perPool[id] = Math.max(0, s.freshAtMs - opts.injectedAtMs);
        else if (s.haltedBy !== null) excluded[id] = s.haltedBy;
      } catch {
        // Retried at the next poll: a terminated connection is part of some faults.
      }
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
  const counted = poolIds.filter((id) => !(id in excluded));
  const times = counted.map((id) => perPool[id]);
  const recoveryMs =
    counted.length === 0 || times.some((t) => t === null) ? null : Math.max(...(times as number[]));
  return { measured: counted.length > 0, recoveryMs, perPool, excluded };
}
