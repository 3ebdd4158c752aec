import pg from 'pg';
import { POOL_CHANNEL, TICK_CHANNEL } from '../db/notifications';
import type { Db } from '../db/connection';
import { readFeeds, readPoolDelta, type Cursor, type PoolDelta } from './queries';

/*
 * The live stream: one LISTEN connection per dashboard server, fanned out to every open page.
 * A pool's notifications are coalesced: however many trades and ticks arrive, each watched pool is
 * read at most once per `minIntervalMs`, with one query set shared by all of its pages, and only
 * past the cursor they already have. Pools nobody watches cost nothing but the notification.
 *
 * Quotes are written by the quoting session without a notification of their own; they follow a
 * tick or a pool change, so a tick schedules a read a moment later (`tickDelayMs`), and a slow
 * sweep of watched pools (`sweepMs`) picks up whatever a missed or coalesced notification hid.
 */

export interface LiveOptions {
  /** Wait this long after the first notification, so a burst is read once. */
  coalesceMs?: number;
  minIntervalMs?: number;
  tickDelayMs?: number;
  sweepMs?: number;
  /** Overview refreshes at most this often. */
  overviewIntervalMs?: number;
  log?: (msg: string) => void;
}

type DeltaSink = (delta: PoolDelta) => void;
type OverviewSink = () => void;

interface Watch {
  sinks: Set<DeltaSink>;
  cursor: Cursor | undefined;
  timer: NodeJS.Timeout | undefined;
  lastReadAt: number;
  reading: boolean;
  again: boolean;
  /** Trade ids sent in the last minute: the trade read overlaps in time. */
  sentTrades: Map<string, number>;
}

export interface LiveStats {
  notifications: number;
  poolReads: number;
  overviewRefreshes: number;
  listening: boolean;
}

export class LiveHub {
  private client: pg.Client | undefined;
  private closed = false;
  private reconnect: NodeJS.Timeout | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private readonly watches = new Map<string, Watch>();
  private readonly overviewSinks = new Set<OverviewSink>();
  private overviewTimer: NodeJS.Timeout | undefined;
  private overviewLast = 0;
  private feeds: Map<string, string[]> = new Map();
  private feedsReadAt = 0;
  readonly stats: LiveStats = { notifications: 0, poolReads: 0, overviewRefreshes: 0, listening: false };
  private readonly o: Required<LiveOptions>;

  constructor(
    private readonly db: Db,
    private readonly listenUrl: string,
    opts: LiveOptions = {},
  ) {
    this.o = {
      coalesceMs: opts.coalesceMs ?? 40,
      minIntervalMs: opts.minIntervalMs ?? 250,
      tickDelayMs: opts.tickDelayMs ?? 300,
      sweepMs: opts.sweepMs ?? 5000,
      overviewIntervalMs: opts.overviewIntervalMs ?? 1000,
      log: opts.log ?? (() => {}),
    };
  }

  async start(): Promise<void> {
    await this.connect();
    this.sweep = setInterval(() => {
      for (const [poolId, w] of this.watches) if (w.sinks.size) this.schedule(poolId, 0);
      this.pruneSentTrades();
    }, this.o.sweepMs);
    this.sweep.unref();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const c = new pg.Client({ connectionString: this.listenUrl, application_name: 'lpmm-dashboard-listen' });
    c.on('error', (err) => this.lost(c, err));
    c.on('end', () => this.lost(c, new Error('connection ended')));
    c.on('notification', (n) => this.dispatch(n.channel, n.payload ?? ''));
    try {
      await c.connect();
      await c.query(`listen ${POOL_CHANNEL}; listen ${TICK_CHANNEL}`);
      this.client = c;
      this.stats.listening = true;
      // Anything notified while nobody listened is unknown: every watched pool and the overview look again.
      for (const poolId of this.watches.keys()) this.schedule(poolId, 0);
      this.touchOverview();
    } catch (err) {
      c.end().catch(() => {});
      this.o.log(`live stream: LISTEN failed (${(err as Error).message}); retrying in 1 s`);
      this.scheduleReconnect();
    }
  }

  private lost(c: pg.Client, err: Error) {
    if (this.client !== c) return;
    this.client = undefined;
    this.stats.listening = false;
    c.end().catch(() => {});
    if (!this.closed) this.o.log(`live stream: connection lost (${err.message}); reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.closed || this.reconnect) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      void this.connect();
    }, 1000);
    this.reconnect.unref();
  }

  private dispatch(channel: string, payload: string) {
    this.stats.notifications++;
    if (channel === POOL_CHANNEL) {
      if (this.watches.has(payload)) this.schedule(payload, this.o.coalesceMs);
      this.touchOverview();
      return;
    }
    if (channel !== TICK_CHANNEL) return;
    let feed: string;
    try {
      feed = (JSON.parse(payload) as { f: string }).f;
    } catch {
      return;
    }
    const pools = this.feeds.get(feed);
    if (!pools && Date.now() - this.feedsReadAt > 5000) {
      // A feed not seen before: a pool was created. Re-read the mapping, at most every 5 s.
      this.feedsReadAt = Date.now();
      readFeeds(this.db).then(
        (f) => (this.feeds = f),
        () => {},
      );
    }
    for (const poolId of pools ?? []) if (this.watches.has(poolId)) this.schedule(poolId, this.o.tickDelayMs);
    if (pools?.length) this.touchOverview(this.o.tickDelayMs);
  }

  /** Follows a pool from `cursor`: catches up privately, then shares the pool's coalesced reads. */
  subscribePool(poolId: string, cursor: Cursor, sink: DeltaSink): () => void {
    let w = this.watches.get(poolId);
    if (!w) {
      w = {
        sinks: new Set(),
        cursor: undefined,
        timer: undefined,
        lastReadAt: 0,
        reading: false,
        again: false,
        sentTrades: new Map(),
      };
      this.watches.set(poolId, w);
    }
    const watch = w;
    if (!this.feedsReadAt) {
      this.feedsReadAt = Date.now();
      readFeeds(this.db).then(
        (f) => (this.feeds = f),
        () => {},
      );
    }
    watch.cursor ??= cursor;
    // The page's own catch-up, from its cursor to now; the shared reads continue from the watch's.
    // Overlaps are harmless: the page drops events and trades it already has.
    readPoolDelta(this.db, poolId, cursor).then(
      (d) => {
        if (watch.sinks.has(sink) && (d.events.length || d.trades.length)) sink(d);
      },
      (err: Error) => this.o.log(`live stream: catch-up of ${poolId} failed: ${err.message}`),
    );
    watch.sinks.add(sink);
    return () => {
      watch.sinks.delete(sink);
      if (watch.sinks.size === 0) {
        if (watch.timer) clearTimeout(watch.timer);
        this.watches.delete(poolId);
      }
    };
  }

  subscribeOverview(sink: OverviewSink): () => void {
    this.overviewSinks.add(sink);
    return () => this.overviewSinks.delete(sink);
  }

  private schedule(poolId: string, delayMs: number) {
    const w = this.watches.get(poolId);
    if (!w || w.timer) return;
    if (w.reading) {
      w.again = true;
      return;
    }
    const wait = Math.max(delayMs, w.lastReadAt + this.o.minIntervalMs - Date.now());
    w.timer = setTimeout(() => {
      w.timer = undefined;
      void this.read(poolId, w);
    }, wait);
    w.timer.unref();
  }

  private async read(poolId: string, w: Watch) {
    if (!w.cursor || this.watches.get(poolId) !== w) return;
    w.reading = true;
    w.lastReadAt = Date.now();
    this.stats.poolReads++;
    try {
      const d = await readPoolDelta(this.db, poolId, w.cursor);
      w.cursor = d.cursor;
      const trades = d.trades.filter((t) => !w.sentTrades.has(t.id));
      for (const t of trades) w.sentTrades.set(t.id, t.t);
      if (d.events.length || trades.length) {
        const out = { ...d, trades };
        for (const sink of w.sinks) sink(out);
      }
      // A read that hit its cap left more behind: the next one follows at once.
      if (d.truncated) w.again = true;
    } catch (err) {
      this.o.log(`live stream: reading ${poolId} failed: ${(err as Error).message}`);
    } finally {
      w.reading = false;
      if (w.again) {
        w.again = false;
        this.schedule(poolId, 0);
      }
    }
  }

  private pruneSentTrades() {
    const horizon = Date.now() - 60_000;
    for (const w of this.watches.values()) {
      for (const [id, t] of w.sentTrades) if (t < horizon) w.sentTrades.delete(id);
    }
  }

  private touchOverview(delayMs = 0) {
    if (!this.overviewSinks.size || this.overviewTimer) return;
    const wait = Math.max(delayMs, this.overviewLast + this.o.overviewIntervalMs - Date.now());
    this.overviewTimer = setTimeout(() => {
      this.overviewTimer = undefined;
      this.overviewLast = Date.now();
      this.stats.overviewRefreshes++;
      for (const sink of this.overviewSinks) sink();
    }, wait);
    this.overviewTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    if (this.sweep) clearInterval(this.sweep);
    if (this.overviewTimer) clearTimeout(this.overviewTimer);
    for (const w of this.watches.values()) if (w.timer) clearTimeout(w.timer);
    this.watches.clear();
    this.overviewSinks.clear();
    const c = this.client;
    this.client = undefined;
    this.stats.listening = false;
    await c?.end().catch(() => {});
  }
}
