import { DomainValidationError } from '../domain/errors';

export interface MarketDataCacheOptions {
  /** TTL for entries whose get() names none. */
  defaultTtlMs: number;
  /** When full, the entry stored longest ago is evicted first. */
  maxEntries: number;
  clock?: () => number;
}

export interface CacheStats {
  /** Served without calling the loader, including callers that joined another caller's load. */
  hits: number;
  /** Loader calls. */
  misses: number;
  /** hits / (hits + misses); 0 before the first get. */
  hitRate: number;
  evictions: number;
  size: number;
}

interface Entry<V> {
  value: V;
  expiresAtMs: number;
}

function positiveInteger(value: number, field: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new DomainValidationError(field, `${field} must be a positive integer, got ${String(value)}`);
  }
}

/**
 * In-process TTL cache for reads that many workflows repeat each cycle (latest price, pool
 * config). Concurrent misses on one key share a single loader call, so a burst of quote cycles
 * does not stampede Postgres. A failed load is not cached: the next get tries again.
 */
export class MarketDataCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V>>();
  private readonly clock: () => number;
  private readonly defaultTtlMs: number;
  private readonly maxEntries: number;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(opts: MarketDataCacheOptions) {
    positiveInteger(opts.defaultTtlMs, 'defaultTtlMs');
    positiveInteger(opts.maxEntries, 'maxEntries');
    this.defaultTtlMs = opts.defaultTtlMs;
    this.maxEntries = opts.maxEntries;
    this.clock = opts.clock ?? Date.now;
  }

  async get(key: string, loader: () => Promise<V>, opts: { ttlMs?: number } = {}): Promise<V> {
    const ttlMs = opts.ttlMs ?? this.defaultTtlMs;
    positiveInteger(ttlMs, 'ttlMs');
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (this.clock() < entry.expiresAtMs) {
        this.hits++;
        return entry.value;
      }
      this.entries.delete(key);
    }
    const inFlight = this.loading.get(key);
    if (inFlight !== undefined) {
      this.hits++;
      return inFlight;
    }
    this.misses++;
    // Through a microtask so a loader that throws synchronously still rejects like an async one.
    const load = Promise.resolve().then(loader);
    this.loading.set(key, load);
    // Only the load still registered for the key may store: invalidate() or clear() during the
    // load unregisters it, so a value read before the invalidation is not cached after it.
    load.then(
      (value) => {
        if (this.loading.get(key) !== load) return;
        this.loading.delete(key);
        this.store(key, value, ttlMs);
      },
      () => {
        if (this.loading.get(key) === load) this.loading.delete(key);
      },
    );
    return load;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }

  /** Drops every entry whose key starts with the prefix (all windows of one feed). */
  invalidatePrefix(prefix: string): void {
    for (const key of [...this.entries.keys(), ...this.loading.keys()])
      if (key.startsWith(prefix)) this.invalidate(key);
  }

  clear(): void {
    this.entries.clear();
    this.loading.clear();
  }

  stats(): CacheStats {
    const total = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      hitRate: total === 0 ? 0 : this.hits / total,
      evictions: this.evictions,
      size: this.entries.size,
    };
  }

  private store(key: string, value: V, ttlMs: number): void {
    // Re-inserting moves the key to the end of the Map's insertion order: "oldest" means stored longest ago.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAtMs: this.clock() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evictions++;
    }
  }
}
