import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest } from '../../db/migrator';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

async function tables(t: TestDatabase): Promise<string[]> {
  const r = await sql<{
    tablename: string;
  }>`select tablename from pg_tables where schemaname = 'public' and tablename not like 'kysely%' order by 1`.execute(
    t.db,
  );
  return r.rows.map((x) => x.tablename);
}

describe('migrations on real Postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
  });
  afterAll(() => t.drop());

  it('go up, down and up again', async () => {
    await migrateToLatest(t.db);
    const afterUp = await tables(t);
    expect(afterUp).toEqual(
      [
        'checkpoints',
        'events',
        'hedges',
        'liquidity_positions',
        'orders',
        'pools',
        'price_ticks',
        'principals',
        'trades',
      ].sort(),
    );
    // One step down removes the dashboard's index on events by stream and time; the next hedging and
    // the per-stream checkpoint; the next identity; the next the quoting session's fence, expiry and
    // notifications; the last, the schema.
    const dashboardIndex = () =>
      sql<{
        indexname: string;
      }>`select indexname from pg_indexes where indexname = 'events_stream_time'`.execute(t.db);
    expect((await dashboardIndex()).rows).toHaveLength(1);
    await migrateDown(t.db);
    expect((await dashboardIndex()).rows).toEqual([]);
    expect(await tables(t)).toEqual(afterUp);
    await migrateDown(t.db);
    const hedgingColumns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
       where (table_name = 'pools' and column_name = 'hedge_requested_at')
          or (table_name = 'checkpoints' and column_name = 'stream_version')`.execute(t.db);
    expect(hedgingColumns.rows).toEqual([]);
    const beforeHedging = await tables(t);
    expect(beforeHedging).toEqual(afterUp.filter((name) => name !== 'hedges'));
    await migrateDown(t.db);
    const beforeIdentity = await tables(t);
    expect(beforeIdentity).toEqual(beforeHedging.filter((name) => name !== 'principals'));
    await migrateDown(t.db);
    const columns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
       where table_name in ('pools', 'orders') and column_name in ('mm_generation', 'mm_attempt', 'expires_at')`.execute(
      t.db,
    );
    expect(columns.rows).toEqual([]);
    expect(await tables(t)).toEqual(beforeIdentity);
    await migrateDown(t.db);
    expect(await tables(t)).toEqual([]);
    await migrateToLatest(t.db);
    expect(await tables(t)).toEqual(afterUp);
  });

  it('refuses negative reserves and non-positive quantities in the database itself', async () => {
    const insertPool = (reserveBase: string) =>
      sql`insert into pools (id, base_asset, quote_asset, reserve_base, reserve_quote, spread_bps, tick_size, lot_size, min_size, config, price_feed)
          values ('p1', 'ETH', 'USDC', ${reserveBase}, '0', '30', '0.01', '0.001', '0.01', '{}', 'ETH-USDC')`.execute(
        t.db,
      );
    await expect(insertPool('-1')).rejects.toThrow(/check constraint/);
    await insertPool('1');
    await expect(
      sql`insert into orders (id, pool_id, owner, client_order_id, side, type, price, quantity, status)
          values ('o1', 'p1', 'alice', 'c1', 'buy', 'limit', '100', '0', 'open')`.execute(t.db),
    ).rejects.toThrow(/check constraint/);
  });
});
