import { pino } from 'pino';
import type { Db } from '../../db/connection';
import { insertTicks } from '../../db/price-ticks';
import { DomainValidationError } from '../../domain/errors';
import type { Clock, PriceFeed, PriceTick } from './port';

/** The slice of a pino logger the ingester uses, so callers can pass their own child logger. */
export interface IngesterLogger {
  warn(obj: object, msg: string): void;
}

export interface IngesterOptions {
  db: Db;
  feed: PriceFeed;
  /** Pause between the end of one poll and the start of the next. */
  intervalMs: number;
  /**
   * Ticks pulled per poll, stopping early when the feed returns null. Default 1 (a live feed has
   * one new price per poll); raise it to drain a CSV replay quickly.
   */
  maxTicksPerPoll?: number;
  /**
   * Ticks kept for retry while Postgres is unavailable (default 10000); beyond that the oldest are
   * dropped, since a stale backlog is worth less than staying within memory.
   */
  maxPending?: number;
  onError?: (err: unknown) => void;
  logger?: IngesterLogger;
  clock?: Clock;
}

export interface IngesterStats {
  polls: number;
  ticksReceived: number;
  /** New rows written; a tick already stored for (feed, observed_at) is received but not stored. */
  ticksStored: number;
  ticksDropped: number;
  pending: number;
  errors: number;
  lastError: string | null;
  lastTickObservedAtMs: number | null;
  /** Seconds since the newest tick received was observed, by the ingester's clock; null before the first. */
  lastTickAgeSeconds: number | null;
  running: boolean;
}

export interface Ingester {
  stats(): IngesterStats;
  /** Stops polling and waits for a poll in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Polls a feed and stores its ticks. A failing feed or database is counted, logged and reported
 * to onError, and the loop carries on at the same interval: a flaky ticker must never stop the
 * others, and the stale-price risk limit (not this loop) decides when missing prices matter.
 */
export function startIngester(opts: IngesterOptions): Ingester {
  const { db, feed } = opts;
  const maxTicksPerPoll = opts.maxTicksPerPoll ?? 1;
  const maxPending = opts.maxPending ?? 10_000;
  if (!Number.isInteger(opts.intervalMs) || opts.intervalMs < 0) {
    throw new DomainValidationError(
      'intervalMs',
      `intervalMs must be a non-negative integer, got ${String(opts.intervalMs)}`,
    );
  }
  if (!Number.isInteger(maxTicksPerPoll) || maxTicksPerPoll < 1) {
    throw new DomainValidationError(
      'maxTicksPerPoll',
      `maxTicksPerPoll must be a positive integer, got ${String(maxTicksPerPoll)}`,
    );
  }
  if (!Number.isInteger(maxPending) || maxPending < maxTicksPerPoll) {
    throw new DomainValidationError(
      'maxPending',
      `maxPending must be an integer of at least maxTicksPerPoll (${maxTicksPerPoll}), got ${String(maxPending)}`,
    );
  }
  const clock = opts.clock ?? Date.now;
  const logger = opts.logger ?? pino({ name: 'price-ingester' });

  const s = {
    polls: 0,
    ticksReceived: 0,
    ticksStored: 0,
    ticksDropped: 0,
    errors: 0,
    lastError: null as string | null,
    lastTickObservedAtMs: null as number | null,
  };
  let pending: PriceTick[] = [];
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const fail = (err: unknown, stage: 'feed' | 'store'): void => {
    s.errors++;
    s.lastError = err instanceof Error ? err.message : String(err);
    logger.warn(
      { err, feed: feed.name, stage, errors: s.errors },
      `price ingester ${stage} error; will retry in ${opts.intervalMs} ms`,
    );
    try {
      opts.onError?.(err);
    } catch {
      // A throwing error handler must not be the thing that stops ingestion.
    }
  };

  const poll = async (): Promise<void> => {
    s.polls++;
    try {
      for (let i = 0; i < maxTicksPerPoll; i++) {
        const tick = await feed.next();
        if (tick === null) break;
        if (tick.feed !== feed.name) {
          throw new Error(
            `feed "${feed.name}" produced a tick labelled "${tick.feed}"; a feed must label ticks with its own name`,
          );
        }
        s.ticksReceived++;
        s.lastTickObservedAtMs = Math.max(s.lastTickObservedAtMs ?? -Infinity, tick.observedAtMs);
        pending.push(tick);
      }
    } catch (err) {
      fail(err, 'feed');
    }
    if (pending.length > maxPending) {
      s.ticksDropped += pending.length - maxPending;
      pending = pending.slice(pending.length - maxPending);
    }
    if (pending.length === 0) return;
    try {
      s.ticksStored += await insertTicks(db, pending);
      pending = [];
    } catch (err) {
      fail(err, 'store');
    }
  };

  const loop = (): void => {
    if (!running) return;
    inFlight = poll().finally(() => {
      if (running) timer = setTimeout(loop, opts.intervalMs);
    });
  };
  loop();

  return {
    stats: () => ({
      ...s,
      pending: pending.length,
      lastTickAgeSeconds: s.lastTickObservedAtMs === null ? null : (clock() - s.lastTickObservedAtMs) / 1000,
      running,
    }),
    stop: async () => {
      running = false;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
