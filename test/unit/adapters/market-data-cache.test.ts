import { describe, expect, it, vi } from 'vitest';
import { MarketDataCache } from '../../../adapters/market-data-cache';

function setup(opts: { defaultTtlMs?: number; maxEntries?: number } = {}) {
  let now = 0;
  const cache = new MarketDataCache<string>({
    defaultTtlMs: opts.defaultTtlMs ?? 1000,
    maxEntries: opts.maxEntries ?? 100,
    clock: () => now,
  });
  return { cache, advance: (ms: number) => (now += ms) };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('MarketDataCache', () => {
  it('counts hits and misses and reports the hit rate', async () => {
    const { cache } = setup();
    const loader = vi.fn(async () => 'v');
    expect(cache.stats().hitRate).toBe(0);
    for (let i = 0; i < 4; i++) expect(await cache.get('eth', loader)).toBe('v');
    await cache.get('btc', loader);
    expect(loader).toHaveBeenCalledTimes(2);
    expect(cache.stats()).toEqual({ hits: 3, misses: 2, hitRate: 0.6, evictions: 0, size: 2 });
  });

  it('expires an entry exactly at its TTL, and honours a per-entry TTL', async () => {
    const { cache, advance } = setup({ defaultTtlMs: 1000 });
    let n = 0;
    const loader = async () => `v${++n}`;
    expect(await cache.get('a', loader)).toBe('v1');
    expect(await cache.get('b', loader, { ttlMs: 5000 })).toBe('v2');
    advance(999);
    expect(await cache.get('a', loader)).toBe('v1');
    advance(1);
    expect(await cache.get('a', loader)).toBe('v3');
    expect(await cache.get('b', loader)).toBe('v2');
    advance(4000);
    expect(await cache.get('b', loader)).toBe('v4');
  });

  it('concurrent misses for one key call the loader once and all get its value', async () => {
    const { cache } = setup();
    const d = deferred<string>();
    const loader = vi.fn(() => d.promise);
    const gets = Array.from({ length: 5 }, () => cache.get('eth', loader));
    const other = cache.get('btc', async () => 'b');
    d.resolve('price');
    expect(await Promise.all(gets)).toEqual(['price', 'price', 'price', 'price', 'price']);
    expect(await other).toBe('b');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 2 });
    expect(await cache.get('eth', loader)).toBe('price');
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('does not cache a failed load: every waiter sees the error and the next get retries', async () => {
    const { cache } = setup();
    const d = deferred<string>();
    const first = cache.get('eth', () => d.promise);
    const second = cache.get('eth', async () => 'unused');
    d.reject(new Error('feed down'));
    await expect(first).rejects.toThrow('feed down');
    await expect(second).rejects.toThrow('feed down');
    await expect(
      cache.get('eth', () => {
        throw new Error('sync failure');
      }),
    ).rejects.toThrow('sync failure');
    expect(await cache.get('eth', async () => 'ok')).toBe('ok');
    expect(cache.stats().size).toBe(1);
  });

  it('evicts the entry stored longest ago when full', async () => {
    const { cache } = setup({ maxEntries: 2 });
    await cache.get('a', async () => 'a1');
    await cache.get('b', async () => 'b1');
    await cache.get('c', async () => 'c1');
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
    expect(await cache.get('b', async () => 'b2')).toBe('b1');
    expect(await cache.get('c', async () => 'c2')).toBe('c1');
    expect(await cache.get('a', async () => 'a2')).toBe('a2');
    // Reloading 'a' evicted 'b', now the oldest.
    expect(await cache.get('b', async () => 'b3')).toBe('b3');
  });

  it('a load that was in flight when the key was invalidated does not store its value', async () => {
    const { cache } = setup();
    const d = deferred<string>();
    const stale = cache.get('eth', () => d.promise);
    cache.invalidate('eth');
    d.resolve('old');
    expect(await stale).toBe('old');
    expect(await cache.get('eth', async () => 'new')).toBe('new');
  });

  it('refuses a non-positive TTL or size', () => {
    expect(() => new MarketDataCache({ defaultTtlMs: 0, maxEntries: 1 })).toThrow(
      /defaultTtlMs must be a positive integer, got 0/,
    );
    expect(() => new MarketDataCache({ defaultTtlMs: 1, maxEntries: 1.5 })).toThrow(
      /maxEntries must be a positive integer/,
    );
  });
});
