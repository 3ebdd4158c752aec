import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../db/errors';
import { readStream } from '../../db/event-store';
import {
  addLiquidity,
  createPool,
  getPool,
  removeLiquidity,
  setSpread,
  type CreatePoolInput,
} from '../../db/pools';
import { DomainValidationError } from '../../domain/errors';
import { Big, formatDecimal } from '../../domain/money';
import { poolStream } from '../../domain/streams';
import { createFundedPool, rowCounts, uniquePoolId } from '../helpers/pools';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ maxConnections: 20 });
});
afterAll(() => t.drop());

const poolCount = async () =>
  Number(
    (
      await t.db
        .selectFrom('pools')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const reserves = async (poolId: string) => {
  const p = await getPool(t.db, poolId);
  return {
    base: formatDecimal(p.reserveBase),
    quote: formatDecimal(p.reserveQuote),
    shares: formatDecimal(p.totalShares),
  };
};
const position = async (poolId: string, provider: string) => {
  const row = await t.db
    .selectFrom('liquidity_positions')
    .select('shares')
    .where('pool_id', '=', poolId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  return row ? formatDecimal(new Big(row.shares)) : undefined;
};
const eventsOf = async (poolId: string) =>
  (await readStream(t.db, poolStream(poolId))).map((e) => ({ type: e.type, ...e.payload }));

describe('createPool', () => {
  const input = (poolId: string): CreatePoolInput => ({
    poolId,
    baseAsset: 'ETH',
    quoteAsset: 'USDC',
    tickSize: '0.01',
    lotSize: '0.001',
    minSize: '0.01',
    priceFeed: 'test:eth-usdc',
  });

  it('creates an empty pool with its market rules and one pool_created event; repeating it is a no-op', async () => {
    const id = uniquePoolId();
    const p = await createPool(t.db, input(id));
    expect([
      formatDecimal(p.reserveBase),
      formatDecimal(p.reserveQuote),
      formatDecimal(p.spreadBps),
      formatDecimal(p.tickSize),
      p.status,
    ]).toEqual(['0', '0', '30', '0.01', 'active']);
    const before = await rowCounts(t.db);
    const again = await createPool(t.db, input(id));
    expect(again).toEqual(p);
    expect(await rowCounts(t.db)).toEqual(before);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['pool_created']);
    await expect(createPool(t.db, { ...input(id), tickSize: '0.1' })).rejects.toBeInstanceOf(ConflictError);
  });

  const bad: Array<[string, Partial<CreatePoolInput> & Record<string, unknown>, RegExp]> = [
    ['pool id with spaces', { poolId: 'eth usdc' }, /^poolId must be 1-64 letters/],
    ['zero tick', { tickSize: '0' }, /^tickSize must not be zero/],
    ['non-numeric lot', { lotSize: 'abc' }, /^lotSize must be .*got "abc"/],
    ['negative min size', { minSize: '-1' }, /^minSize must not be negative/],
    ['number tick', { tickSize: 0.01 as never }, /^tickSize must be .*got number 0.01/],
    ['empty base asset', { baseAsset: '' }, /^baseAsset must be 1-64 letters/],
    ['base asset with a NUL', { baseAsset: 'ETH\u0000' }, /^baseAsset must be 1-64 letters/],
    ['price feed of 100,000 characters', { priceFeed: 'x'.repeat(100_000) }, /^priceFeed must be 1-64/],
    [
      'a 44-digit spread',
      { spreadBps: '1'.repeat(44) },
      /^spreadBps has 44 digits before the decimal point, at most 5/,
    ],
    [
      'a tick of 1e-25',
      { tickSize: `0.${'0'.repeat(24)}1` },
      /^tickSize has 25 decimals, at most 18 allowed/,
    ],
    [
      'a lot size of 44 digits',
      { lotSize: '9'.repeat(44) },
      /^lotSize has 44 digits before the decimal point, at most 18/,
    ],
    [
      'a spread outside the configured bounds',
      { spreadBps: '9000' },
      /^spreadBps must lie within the pool's spread bounds \[10, 500\]/,
    ],
    [
      'unknown config field',
      { config: { risk: { maxOrderNotionl: '5' } } },
      /risk\.maxOrderNotionl is not a known field/,
    ],
    ['bad config value', { config: { spreadPolicy: { maxSpreadBps: '-5' } } }, /spreadPolicy\.maxSpreadBps/],
  ];
  it.each(bad)('refuses %s, naming the field, and writes nothing', async (_name, patch, message) => {
    const id = uniquePoolId();
    const pools = await poolCount();
    const before = await rowCounts(t.db);
    const p = createPool(t.db, { ...input(id), ...patch } as CreatePoolInput);
    await expect(p).rejects.toThrow(message);
    await expect(p).rejects.toBeInstanceOf(DomainValidationError);
    expect(await poolCount()).toBe(pools);
    expect(await rowCounts(t.db)).toEqual(before);
  });

  it('an unknown pool is reported by name', async () => {
    await expect(getPool(t.db, 'no-such-pool')).rejects.toThrow(/Pool "no-such-pool" does not exist/);
    await expect(getPool(t.db, 'no-such-pool')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('liquidity', () => {
  it('mints sqrt(base*quote) shares first, then pro rata, taking only what keeps the ratio', async () => {
    const pool = await createFundedPool(t.db, { base: '0', quote: '0' });
    const first = await addLiquidity(t.db, {
      poolId: pool.id,
      provider: 'lp-a',
      base: '100',
      quote: '250000',
      requestId: 'add-1',
    });
    expect(first).toMatchObject({
      shares: '5000',
      baseAmount: '100',
      quoteAmount: '250000',
      reserveBase: '100',
      reserveQuote: '250000',
      totalShares: '5000',
    });
    // 10 ETH and 30000 USDC offered at a 1:2500 pool: the ETH side decides, 25000 USDC is taken.
    const second = await addLiquidity(t.db, {
      poolId: pool.id,
      provider: 'lp-b',
      base: '10',
      quote: '30000',
      requestId: 'add-2',
    });
    expect(second).toMatchObject({ shares: '500', baseAmount: '10', quoteAmount: '25000' });
    expect(await reserves(pool.id)).toEqual({ base: '110', quote: '275000', shares: '5500' });
    expect([await position(pool.id, 'lp-a'), await position(pool.id, 'lp-b')]).toEqual(['5000', '500']);

    const removed = await removeLiquidity(t.db, {
      poolId: pool.id,
      provider: 'lp-b',
      shares: '500',
      requestId: 'rm-1',
    });
    expect(removed).toMatchObject({ shares: '500', baseAmount: '10', quoteAmount: '25000' });
    expect(await reserves(pool.id)).toEqual({ base: '100', quote: '250000', shares: '5000' });
    expect(await position(pool.id, 'lp-b')).toBe('0');
    expect((await eventsOf(pool.id)).map((e) => e.type)).toEqual([
      'pool_created',
      'liquidity_added',
      'liquidity_added',
      'liquidity_removed',
    ]);
  });

  it('the same requestId twice makes one change and one event; with other terms it is a conflict', async () => {
    const pool = await createFundedPool(t.db, { base: '100', quote: '250000' });
    const add = { poolId: pool.id, provider: 'lp-b', base: '10', quote: '25000', requestId: 'wf-1/add' };
    const first = await addLiquidity(t.db, add);
    const afterAdd = {
      counts: await rowCounts(t.db),
      reserves: await reserves(pool.id),
      position: await position(pool.id, 'lp-b'),
    };
    expect(await addLiquidity(t.db, { ...add })).toEqual(first);
    expect({
      counts: await rowCounts(t.db),
      reserves: await reserves(pool.id),
      position: await position(pool.id, 'lp-b'),
    }).toEqual(afterAdd);
    await expect(addLiquidity(t.db, { ...add, base: '20', quote: '50000' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(addLiquidity(t.db, { ...add, provider: 'lp-c' })).rejects.toThrow(
      /requestId "wf-1\/add" was already used/,
    );
    // A removal that reuses the deposit's request id must not be answered with the deposit's outcome.
    await expect(
      removeLiquidity(t.db, { poolId: pool.id, provider: 'lp-b', shares: '100', requestId: 'wf-1/add' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect({
      counts: await rowCounts(t.db),
      reserves: await reserves(pool.id),
      position: await position(pool.id, 'lp-b'),
    }).toEqual(afterAdd);

    const rm = { poolId: pool.id, provider: 'lp-b', shares: '100', requestId: 'wf-1/rm' };
    const out = await removeLiquidity(t.db, rm);
    expect(out).toMatchObject({ shares: '100', baseAmount: '2', quoteAmount: '5000' });
    const afterRm = {
      counts: await rowCounts(t.db),
      reserves: await reserves(pool.id),
      position: await position(pool.id, 'lp-b'),
    };
    expect(await removeLiquidity(t.db, { ...rm })).toEqual(out);
    expect({
      counts: await rowCounts(t.db),
      reserves: await reserves(pool.id),
      position: await position(pool.id, 'lp-b'),
    }).toEqual(afterRm);
    await expect(removeLiquidity(t.db, { ...rm, shares: '200' })).rejects.toBeInstanceOf(ConflictError);
    expect((await eventsOf(pool.id)).map((e) => e.type)).toEqual([
      'pool_created',
      'liquidity_added',
      'liquidity_added',
      'liquidity_removed',
    ]);
  });

  it('concurrent retries of one deposit make exactly one change', async () => {
    const pool = await createFundedPool(t.db, { base: '100', quote: '250000' });
    const add = { poolId: pool.id, provider: 'lp-x', base: '1', quote: '2500', requestId: 'retry-storm' };
    const results = await Promise.all(Array.from({ length: 6 }, () => addLiquidity(t.db, { ...add })));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(await reserves(pool.id)).toEqual({ base: '101', quote: '252500', shares: '5050' });
    expect((await eventsOf(pool.id)).filter((e) => e.type === 'liquidity_added')).toHaveLength(2);
  });

  const badLiquidity: Array<[string, () => Promise<unknown>, RegExp]> = [
    [
      'non-numeric base',
      () => addLiquidity(t.db, { poolId: pid, provider: 'lp', base: 'abc', quote: '1', requestId: 'b1' }),
      /^base must be .*got "abc"/,
    ],
    [
      'negative quote',
      () => addLiquidity(t.db, { poolId: pid, provider: 'lp', base: '1', quote: '-1', requestId: 'b2' }),
      /^quote must not be negative/,
    ],
    [
      'number base',
      () =>
        addLiquidity(t.db, { poolId: pid, provider: 'lp', base: 1 as never, quote: '1', requestId: 'b3' }),
      /^base must be .*got number 1/,
    ],
    [
      'exponent quote',
      () => addLiquidity(t.db, { poolId: pid, provider: 'lp', base: '1', quote: '1e3', requestId: 'b4' }),
      /^quote must be .*got "1e3"/,
    ],
    [
      'empty provider',
      () => addLiquidity(t.db, { poolId: pid, provider: '', base: '1', quote: '2500', requestId: 'b5' }),
      /^provider must be/,
    ],
    [
      'bad request id',
      () =>
        addLiquidity(t.db, { poolId: pid, provider: 'lp', base: '1', quote: '2500', requestId: 'has space' }),
      /^requestId must be/,
    ],
    [
      'unknown pool',
      () =>
        addLiquidity(t.db, {
          poolId: 'no-such-pool',
          provider: 'lp',
          base: '1',
          quote: '2500',
          requestId: 'b6',
        }),
      /Pool "no-such-pool" does not exist/,
    ],
    [
      'zero shares',
      () => removeLiquidity(t.db, { poolId: pid, provider: 'lp-seed', shares: '0', requestId: 'b7' }),
      /^shares must not be zero/,
    ],
    [
      'more shares than held',
      () => removeLiquidity(t.db, { poolId: pid, provider: 'lp-seed', shares: '999999', requestId: 'b8' }),
      /^shares: provider "lp-seed" holds 5000 shares .* fewer than the 999999 requested/,
    ],
    [
      'shares of a stranger',
      () => removeLiquidity(t.db, { poolId: pid, provider: 'nobody', shares: '1', requestId: 'b9' }),
      /^shares: provider "nobody" holds 0 shares/,
    ],
    [
      'spread "abc"',
      () => setSpread(t.db, { poolId: pid, newSpreadBps: 'abc', reasons: [], requestId: 'b10' }),
      /^newSpreadBps must be .*got "abc"/,
    ],
    [
      'spread above the maximum',
      () => setSpread(t.db, { poolId: pid, newSpreadBps: '501', reasons: [], requestId: 'b11' }),
      /^newSpreadBps 501 is outside the pool's bounds \[10, 500\]/,
    ],
    [
      'spread below the minimum',
      () => setSpread(t.db, { poolId: pid, newSpreadBps: '9.5', reasons: [], requestId: 'b12' }),
      /^newSpreadBps 9.5 is outside/,
    ],
    [
      'spread on an unknown pool',
      () => setSpread(t.db, { poolId: 'no-such-pool', newSpreadBps: '40', reasons: [], requestId: 'b13' }),
      /Pool "no-such-pool" does not exist/,
    ],
  ];
  let pid: string;
  beforeAll(async () => {
    pid = (await createFundedPool(t.db, { base: '100', quote: '250000' })).id;
  });
  it.each(badLiquidity)('refuses %s with a clear error and writes nothing', async (_name, call, message) => {
    const before = {
      counts: await rowCounts(t.db),
      reserves: await reserves(pid),
      spread: formatDecimal((await getPool(t.db, pid)).spreadBps),
    };
    await expect(call()).rejects.toThrow(message);
    expect({
      counts: await rowCounts(t.db),
      reserves: await reserves(pid),
      spread: formatDecimal((await getPool(t.db, pid)).spreadBps),
    }).toEqual(before);
  });
});

describe('setSpread', () => {
  it('records the true old spread; a retry changes nothing and reports the first outcome', async () => {
    const pool = await createFundedPool(t.db);
    const first = await setSpread(t.db, {
      poolId: pool.id,
      newSpreadBps: '45',
      reasons: ['volatility_high'],
      requestId: 'saga-1/apply',
      sagaId: 'saga-1',
    });
    expect(first).toEqual({ oldSpreadBps: '30', newSpreadBps: '45', applied: true });
    const counts = await rowCounts(t.db);
    expect(
      await setSpread(t.db, {
        poolId: pool.id,
        newSpreadBps: '45',
        reasons: ['volatility_high'],
        requestId: 'saga-1/apply',
        sagaId: 'saga-1',
      }),
    ).toEqual({
      oldSpreadBps: '30',
      newSpreadBps: '45',
      applied: false,
    });
    expect(await rowCounts(t.db)).toEqual(counts);
    await expect(
      setSpread(t.db, { poolId: pool.id, newSpreadBps: '60', reasons: [], requestId: 'saga-1/apply' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(
      await setSpread(t.db, {
        poolId: pool.id,
        newSpreadBps: '22.5',
        reasons: ['tvl_high'],
        requestId: 'saga-2/apply',
      }),
    ).toEqual({
      oldSpreadBps: '45',
      newSpreadBps: '22.5',
      applied: true,
    });
    expect(formatDecimal((await getPool(t.db, pool.id)).spreadBps)).toBe('22.5');
    const adjusted = (await eventsOf(pool.id)).filter((e) => e.type === 'spread_adjusted');
    expect(adjusted).toEqual([
      {
        type: 'spread_adjusted',
        poolId: pool.id,
        oldSpreadBps: '30',
        newSpreadBps: '45',
        reasons: ['volatility_high'],
        sagaId: 'saga-1',
      },
      {
        type: 'spread_adjusted',
        poolId: pool.id,
        oldSpreadBps: '45',
        newSpreadBps: '22.5',
        reasons: ['tvl_high'],
      },
    ]);
  });

  it("concurrent adjustments chain: each event's old spread is the previous one's new spread", async () => {
    const pool = await createFundedPool(t.db);
    const values = ['40', '50', '60', '70', '80', '90', '100', '110'];
    await Promise.all(
      values.map((v, i) =>
        setSpread(t.db, { poolId: pool.id, newSpreadBps: v, reasons: ['test'], requestId: `c-${i}` }),
      ),
    );
    const adjusted = (await eventsOf(pool.id)).filter(
      (e) => e.type === 'spread_adjusted',
    ) as unknown as Array<{ oldSpreadBps: string; newSpreadBps: string }>;
    expect(adjusted).toHaveLength(values.length);
    expect(adjusted[0]!.oldSpreadBps).toBe('30');
    for (let i = 1; i < adjusted.length; i++)
      expect(adjusted[i]!.oldSpreadBps).toBe(adjusted[i - 1]!.newSpreadBps);
    expect(formatDecimal((await getPool(t.db, pool.id)).spreadBps)).toBe(adjusted.at(-1)!.newSpreadBps);
    expect(new Set(adjusted.map((a) => a.newSpreadBps))).toEqual(new Set(values));
  });
});
