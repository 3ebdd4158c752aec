/*
 * The recent ticks of each feed a worker's sessions quote on, kept in memory and extended by the
 * tick notifications (whose payload carries the tick), so a cycle does not read its feed's history
 * from Postgres. A feed is loaded from the table the first time it is asked for; a lost LISTEN
 * connection forgets everything (ticks may have been missed) and the next cycles load again.
 */

export interface Tick {
  price: string;
  observedAtMs: number;
}

interface FeedTicks {
  ticks: Tick[];
  /** How many ticks the loaded window holds at most. */
  capacity: number;
}

/** Ticks notified for feeds not loaded yet, kept this deep so a load racing a tick loses nothing. */
const PENDING_DEPTH = 8;

export class TickBook {
  private readonly feeds = new Map<string, FeedTicks>();
  private readonly pending = new Map<string, Tick[]>();
  /** Only while notifications arrive can the book be trusted to be complete. */
  enabled = false;

  /** The latest `n` ticks of a feed, oldest first; undefined when the feed is not loaded that deep. */
  recent(feed: string, n: number): Tick[] | undefined {
    if (!this.enabled) return undefined;
    const f = this.feeds.get(feed);
    if (!f || f.capacity < n) return undefined;
    return f.ticks.slice(-n);
  }

  /** Seeds a feed with what the table holds (the latest `capacity` ticks, oldest first). */
  load(feed: string, ticks: Tick[], capacity: number): void {
    if (!this.enabled) return;
    const current = this.feeds.get(feed);
    // Ticks that arrived by notification while the load ran are kept.
    const notified = [...(current?.ticks ?? []), ...(this.pending.get(feed) ?? [])];
    this.pending.delete(feed);
    const merged = mergeTicks(ticks, notified);
    this.feeds.set(feed, {
      ticks: merged.slice(-capacity),
      capacity: Math.max(capacity, current?.capacity ?? 0),
    });
  }

  add(feed: string, tick: Tick): void {
    const f = this.feeds.get(feed);
    if (!f) {
      const p = this.pending.get(feed) ?? [];
      p.push(tick);
      if (p.length > PENDING_DEPTH) p.shift();
      this.pending.set(feed, p);
      return;
    }
    const last = f.ticks[f.ticks.length - 1];
    if (!last || tick.observedAtMs > last.observedAtMs) f.ticks.push(tick);
    else f.ticks = mergeTicks(f.ticks, [tick]);
    if (f.ticks.length > f.capacity) f.ticks.splice(0, f.ticks.length - f.capacity);
  }

  clear(): void {
    this.feeds.clear();
    this.pending.clear();
  }
}

/** Union by observation time (a feed has one tick per instant), oldest first. */
function mergeTicks(a: Tick[], b: Tick[]): Tick[] {
  const byTime = new Map<number, Tick>();
  for (const t of [...a, ...b]) byTime.set(t.observedAtMs, t);
  return [...byTime.values()].sort((x, y) => x.observedAtMs - y.observedAtMs);
}
