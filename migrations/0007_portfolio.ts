import { sql, type Kysely } from 'kysely';

/**
 * Netted hedging for a supervised desk (issue 13, workflows/portfolio-supervisor.ts).
 *
 * - `pools.hedged_by_desk`: the desk whose supervisor hedges this pool's exposure. While it is set,
 *   the pool's own flatten and the saga's rebalance do not trade (activities/quote-cycle.ts): two
 *   pools with opposite exposure would otherwise each hedge what cancels out.
 * - `desk_hedges`: every netted hedge a desk decided, under the desk's advisory lock, one order per
 *   asset. At most one in flight per desk and asset; the newest `decided_at` is what the desk's
 *   cool-down counts from. The client order id (desk, round, asset) is the idempotency key, so a
 *   retried round asks the venue again under the same id instead of trading twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table pools add column hedged_by_desk text
            check (hedged_by_desk ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')`.execute(db);
  await sql`
    create table desk_hedges (
      client_order_id text primary key check (length(client_order_id) between 1 and 300),
      desk_id text not null,
      round_key text not null,
      asset text not null,
      pair text not null,
      status text not null check (status in ('in_flight', 'filled', 'failed')),
      side text not null check (side in ('buy', 'sell')),
      base_amount numeric not null check (base_amount > 0),
      reference_price numeric not null check (reference_price > 0),
      net numeric not null,
      gross numeric not null,
      pools jsonb not null,
      decided_at timestamptz not null default clock_timestamp(),
      settled_at timestamptz,
      fill_price numeric,
      fill_base numeric,
      fill_quote numeric,
      fill_fee numeric,
      fill_net_quote numeric,
      failure text
    )`.execute(db);
  await sql`create unique index desk_hedges_one_in_flight on desk_hedges (desk_id, asset)
            where status = 'in_flight'`.execute(db);
  await sql`create index desk_hedges_latest on desk_hedges (desk_id, decided_at desc)`.execute(db);
  await sql`create index desk_hedges_round on desk_hedges (desk_id, round_key)`.execute(db);

  // The worker decides and books desk hedges (and sets hedged_by_desk through its update on pools);
  // the dashboard reads them; clients see what was traded through the desk's events.
  await sql`revoke all on desk_hedges from public`.execute(db);
  await sql`grant select, insert, update on desk_hedges to lpmm_worker`.execute(db);
  await sql`grant select on desk_hedges to lpmm_dashboard`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`revoke all on desk_hedges from lpmm_worker, lpmm_dashboard`.execute(db);
  await sql`drop table desk_hedges`.execute(db);
  await sql`alter table pools drop column hedged_by_desk`.execute(db);
}
