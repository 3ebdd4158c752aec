import { describe, expect, it } from 'vitest';
import {
  Big,
  DEFAULT_POOL_CONFIG,
  inventoryShare,
  mergePoolConfig,
  parsePoolConfig,
  parseStoredPoolConfig,
  type PoolConfig,
} from '../../../domain';
import { expectFieldError } from './helpers';

/*
 * 'reserve_ratio' valued the inventory at reserveQuote / reserveBase: at that price both reserves are
 * worth the same, so the base value share was 0.5 whatever the pool held and no imbalance could fire.
 */
describe("priceSource 'reserve_ratio' is retired", () => {
  it('is why: at the reserve ratio any pool, however lopsided, has a value share of exactly 0.5', () => {
    const [base, quote] = [new Big('90'), new Big('10000')];
    expect(inventoryShare(base, quote, quote.div(base)).toFixed()).toBe('0.5');
    // At an outside price of 2000 the same pool is 95% base.
    expect(inventoryShare(base, quote, new Big(2000)).gt('0.94')).toBe(true);
  });

  it('a new configuration naming it is refused, saying why and what to use instead', () => {
    expectFieldError(
      () => parsePoolConfig({ priceSource: 'reserve_ratio' }),
      'priceSource',
      "use 'reference' (the pool's price feed) or 'book_mid'",
    );
    expectFieldError(() => parsePoolConfig({ priceSource: 'reserve_ratio' }), 'priceSource', 'exactly 0.5');
  });

  it('a patch naming it is refused, even onto a configuration that still holds it', () => {
    expectFieldError(
      () => mergePoolConfig(DEFAULT_POOL_CONFIG, { priceSource: 'reserve_ratio' }),
      'priceSource',
      "use 'reference'",
    );
    const carried = { ...DEFAULT_POOL_CONFIG, priceSource: 'reserve_ratio' } as unknown as PoolConfig;
    expectFieldError(
      () => mergePoolConfig(carried, { priceSource: 'reserve_ratio' }),
      'priceSource',
      'reference',
    );
  });

  it('a stored configuration holding it (a pool created by v0.1.0) still loads, valued at the reference price', () => {
    const stored = JSON.parse(JSON.stringify({ ...DEFAULT_POOL_CONFIG, priceSource: 'reserve_ratio' }));
    const loaded = parseStoredPoolConfig(stored);
    expect(loaded.priceSource).toBe('reference');
    expect(loaded).toEqual(DEFAULT_POOL_CONFIG);
    // Everything else a stored configuration says is kept; the other sources are not touched.
    expect(parseStoredPoolConfig({ priceSource: 'book_mid', refreshIntervalMs: 500 })).toMatchObject({
      priceSource: 'book_mid',
      refreshIntervalMs: 500,
    });
    // Still a validating parse: stored garbage is refused, naming the field.
    expectFieldError(
      () => parseStoredPoolConfig({ priceSource: 'oracle' }),
      'priceSource',
      "'reference' or 'book_mid'",
    );
  });

  it('a workflow carrying such a configuration can still apply an unrelated patch; the result says reference', () => {
    const carried = { ...DEFAULT_POOL_CONFIG, priceSource: 'reserve_ratio' } as unknown as PoolConfig;
    const next = mergePoolConfig(carried, { refreshIntervalMs: 800 });
    expect(next.priceSource).toBe('reference');
    expect(next.refreshIntervalMs).toBe(800);
  });
});
