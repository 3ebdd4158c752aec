import type pg from 'pg';
import { pgPoolOf, type Db } from './connection';
import { TickBook } from './tick-book';

/*
 * Wake-ups through Postgres (migrations/0002_quoting_session.ts): transactions that change what a
 * pool's quotes should be notify `lpmm_pool` with the pool id, price ticks notify `lpmm_tick` with
 * the feed. One connection per worker listens for every pool it runs; each quoting session
 * subscribes to its pool and feed.
 */

export const POOL_CHANNEL = 'lpmm_pool';
export const TICK_CHANNEL = 'lpmm_tick';

type Waker = () => void;

export interface PoolSubscription {
  /** The feed can change with the pool's config; the session re-points its subscription. */
  setFeed(feed: string): void;
  close(): void;
}

export class PoolNotificationHub {
  private readonly byPool = new Map<string, Set<Waker>>();
  private readonly byFeed = new Map<string, Set<Waker>>();
  private client: pg.PoolClient | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Notifications received, for the benchmark and the worker's stats. */
  received = 0;

  constructor(
    private readonly db: Db,
    private readonly log: (msg: string, meta?: Record<string, unknown>) => void = () => {},
    /** The recent ticks of the feeds this worker quotes on, extended by every tick notification. */
    readonly ticks: TickBook = new TickBook(),
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await pgPoolOf(this.db).connect();
      const c = client;
      c.on('notification', (n) => this.dispatch(n.channel, n.payload ?? ''));
      c.on('error', (err) => this.lost(c, err));
      await c.query(`listen ${POOL_CHANNEL}; listen ${TICK_CHANNEL}`);
      this.client = c;
      // Anything notified while no connection listened is unknown: every session looks again, and
      // ticks are read from the table again.
      this.ticks.clear();
      this.ticks.enabled = true;
      this.wakeAll();
      this.watch(c);
    } catch (err) {
      // A connection that could not LISTEN goes back broken, not leaked.
      client?.release(err as Error);
      this.log('pool notifications: listen failed, retrying in 1 s', { error: (err as Error).message });
      this.scheduleReconnect();
    }
  }

  /**
   * A half-open connection reports nothing: ask it a question every few seconds, and treat no answer
   * within the deadline as a lost connection (stale ticks are worse than a reload).
   */
  private watch(client: pg.PoolClient) {
    const timer = setInterval(() => {
      if (this.client !== client) return clearInterval(timer);
      const deadline = setTimeout(
        () => this.lost(client, new Error('no answer to the watchdog query in 3 s')),
        3000,
      );
      client.query('select 1').then(
        () => clearTimeout(deadline),
        (err: Error) => {
          clearTimeout(deadline);
          this.lost(client, err);
        },
      );
    }, 5000);
    timer.unref();
  }

  private lost(client: pg.PoolClient, err: Error) {
    if (this.client !== client) return;
    this.client = undefined;
    this.ticks.enabled = false;
    this.ticks.clear();
    client.release(err);
    this.log('pool notifications: connection lost, reconnecting', { error: err.message });
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, 1000);
    this.reconnectTimer.unref();
  }

  private dispatch(channel: string, payload: string) {
    this.received++;
    let key = payload;
    if (channel === TICK_CHANNEL) {
      try {
        const t = JSON.parse(payload) as { f: string; p: string; t: number };
        key = t.f;
        this.ticks.add(t.f, { price: t.p, observedAtMs: t.t });
      } catch {
        return;
      }
    }
    const wakers = channel === TICK_CHANNEL ? this.byFeed.get(key) : this.byPool.get(key);
    if (wakers) for (const wake of wakers) wake();
  }

  private wakeAll() {
    for (const set of this.byPool.values()) for (const wake of set) wake();
  }

  /** `pool` is called for the pool's own changes (fills, liquidity, config, spread), `tick` for its feed's ticks. */
  subscribe(poolId: string, wake: { pool: Waker; tick: Waker }): PoolSubscription {
    add(this.byPool, poolId, wake.pool);
    let feed: string | undefined;
    return {
      setFeed: (next) => {
        if (next === feed) return;
        if (feed !== undefined) remove(this.byFeed, feed, wake.tick);
        feed = next;
        add(this.byFeed, next, wake.tick);
      },
      close: () => {
        remove(this.byPool, poolId, wake.pool);
        if (feed !== undefined) remove(this.byFeed, feed, wake.tick);
      },
    };
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ticks.enabled = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.query(`unlisten *`);
      } catch {
        // The connection is going away anyway.
      }
      client.release();
    }
  }
}

function add(map: Map<string, Set<Waker>>, key: string, wake: Waker) {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(wake);
}

function remove(map: Map<string, Set<Waker>>, key: string, wake: Waker) {
  const set = map.get(key);
  if (!set) return;
  set.delete(wake);
  if (set.size === 0) map.delete(key);
}
