import type pg from 'pg';
import { pgPoolOf, type Db } from './connection';

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
    /** Called for each tick notification before the sessions on that feed are woken. */
    private readonly onTick: (feed: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const client = await pgPoolOf(this.db).connect();
      client.on('notification', (n) => this.dispatch(n.channel, n.payload ?? ''));
      client.on('error', (err) => this.lost(client, err));
      await client.query(`listen ${POOL_CHANNEL}; listen ${TICK_CHANNEL}`);
      this.client = client;
      // Anything notified while no connection listened is unknown: every session looks again.
      this.wakeAll();
    } catch (err) {
      this.log('pool notifications: listen failed, retrying in 1 s', { error: (err as Error).message });
      this.scheduleReconnect();
    }
  }

  private lost(client: pg.PoolClient, err: Error) {
    if (this.client !== client) return;
    this.client = undefined;
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
    if (channel === TICK_CHANNEL) this.onTick(payload);
    const wakers = channel === TICK_CHANNEL ? this.byFeed.get(payload) : this.byPool.get(payload);
    if (wakers) for (const wake of wakers) wake();
  }

  private wakeAll() {
    for (const set of this.byPool.values()) for (const wake of set) wake();
  }

  subscribe(poolId: string, wake: Waker): PoolSubscription {
    add(this.byPool, poolId, wake);
    let feed: string | undefined;
    return {
      setFeed: (next) => {
        if (next === feed) return;
        if (feed !== undefined) remove(this.byFeed, feed, wake);
        feed = next;
        add(this.byFeed, next, wake);
      },
      close: () => {
        remove(this.byPool, poolId, wake);
        if (feed !== undefined) remove(this.byFeed, feed, wake);
      },
    };
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
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
