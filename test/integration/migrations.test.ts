import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, migrator } from '../../db/migrator';
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
        'desk_hedges',
        'events',
        'hedges',
        'intensity_exposure',
        'liquidity_positions',
        'orders',
        'pools',
        'price_ticks',
        'principals',
        'trades',
      ].sort(),
    );
    // The first step down removes the desks' netted hedges and the pools' desk column (0007).
    await migrateDown(t.db);
    const deskColumns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
       where table_name = 'pools' and column_name = 'hedged_by_desk'`.execute(t.db);
    expect(deskColumns.rows).toEqual([]);
    const beforeDesks = afterUp.filter((name) => name !== 'desk_hedges');
    expect(await tables(t)).toEqual(beforeDesks);
    // The next removes the dashboard's index on events by stream and time (0006).
    const dashboardIndex = () =>
      sql<{
        indexname: string;
      }>`select indexname from pg_indexes where indexname = 'events_stream_time'`.execute(t.db);
    expect((await dashboardIndex()).rows).toHaveLength(1);
    await migrateDown(t.db);
    expect((await dashboardIndex()).rows).toEqual([]);
    expect(await tables(t)).toEqual(beforeDesks);
    // The next removes the intensity exposure and the pools' fee and capital columns.
    await migrateDown(t.db);
    const capitalColumns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
       where table_name = 'pools' and column_name in ('hedge_fees_paid', 'capital_contributed', 'peak_capital')`.execute(
      t.db,
    );
    expect(capitalColumns.rows).toEqual([]);
    const beforeIntensity = await tables(t);
    expect(beforeIntensity).toEqual(
      afterUp.filter((name) => name !== 'intensity_exposure' && name !== 'desk_hedges'),
    );
    // The next step down removes hedging and the per-stream checkpoint; the next identity; the next the
    // quoting session's fence, expiry and notifications; the last, the schema.
    await migrateDown(t.db);
    const hedgingColumns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
       where (table_name = 'pools' and column_name = 'hedge_requested_at')
          or (table_name = 'checkpoints' and column_name = 'stream_version')`.execute(t.db);
    expect(hedgingColumns.rows).toEqual([]);
    const beforeHedging = await tables(t);
    expect(beforeHedging).toEqual(beforeIntensity.filter((name) => name !== 'hedges'));
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

  it('0005 backfills hedge fees and the peak capital from the history of pools that already exist', async () => {
    const old = await createTestDatabase({ migrate: false });
    try {
      const to4 = await migrator(old.db).migrateTo('0004_hedging_and_checkpoints');
      expect(to4.error).toBeUndefined();
      await sql`insert into pools (id, base_asset, quote_asset, reserve_base, reserve_quote, total_shares,
                  net_base_contributed, net_quote_contributed, spread_bps, tick_size, lot_size, min_size, config, price_feed)
                values ('p1', 'ETH', 'USDC', '5', '10000', '1', '5', '10000', '30', '0.01', '0.001', '0.01', '{}', 'f1')`.execute(
        old.db,
      );
      // 10 ETH + 20,000 in at 2,000 (40,000), then 5 ETH + 10,000 out at 3,000 (25,000): 15,000 left, peak 40,000.
      await sql`insert into price_ticks (feed, price, observed_at) values
                  ('f1', '2000', now() - interval '10 minutes'), ('f1', '3000', now() - interval '5 minutes')`.execute(
        old.db,
      );
      const liquidity = (version: number, type: string, base: string, quote: string, ago: string) =>
        sql`insert into events (event_id, stream_id, stream_version, type, schema_version, payload, created_at)
            values (${`e${version}`}, 'pool-p1', ${version}, ${type}, 1,
                    ${JSON.stringify({ baseAmount: base, quoteAmount: quote })}::jsonb, now() - ${ago}::interval)`.execute(
          old.db,
        );
      await liquidity(1, 'liquidity_added', '10', '20000', '8 minutes');
      await liquidity(2, 'liquidity_removed', '5', '10000', '2 minutes');
      await sql`insert into hedges (request_id, pool_id, client_order_id, trigger, status, side, base_amount, reference_price, fill_fee)
                values ('h1', 'p1', 'c1', 'risk_flatten', 'filled', 'sell', '1', '2000', '0.4'),
                       ('h2', 'p1', 'c2', 'risk_flatten', 'filled', 'sell', '1', '2000', '0.35'),
                       ('h3', 'p1', 'c3', 'risk_flatten', 'failed', 'sell', '1', '2000', null)`.execute(
        old.db,
      );
      await migrateToLatest(old.db);
      const row = await sql<{ hedge_fees_paid: string; capital_contributed: string; peak_capital: string }>`
        select hedge_fees_paid::text, capital_contributed::text, peak_capital::text from pools where id = 'p1'`.execute(
        old.db,
      );
      expect(row.rows[0]).toEqual({
        hedge_fees_paid: '0.75',
        capital_contributed: '15000',
        peak_capital: '40000',
      });
    } finally {
      await old.drop();
    }
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
