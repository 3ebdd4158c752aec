import { sql, type Kysely } from 'kysely';

/**
 * The quoting session (DESIGN section 4): the fence, quote expiry and database wake-ups.
 *
 * - `pools.mm_generation` / `mm_attempt` fence the market maker's writes. The supervisor takes a new
 *   generation for each session; each attempt of the session activity claims the attempt number
 *   under it. A write checks both under the pool lock, so a stale session (older generation) and a
 *   zombie attempt (older attempt) can never write again; a stop or pause bumps the generation in
 *   the transaction that cancels the resting orders.
 * - `orders.expires_at`: the market maker's orders expire unless a reconcile renews them, so a dead
 *   worker's quotes die with it. Matching ignores expired orders.
 * - `pg_notify`: transactions that change what the quotes should be wake the pool's session through
 *   Postgres, with no workflow task in between. Postgres folds identical notifications of one
 *   transaction into one, so a taker order that fills six quotes wakes the session once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table pools
              add column mm_generation bigint not null default 0 check (mm_generation >= 0),
              add column mm_attempt integer not null default 0 check (mm_attempt >= 0)`.execute(db);
  await sql`alter table orders add column expires_at timestamptz`.execute(db);
  // The moment an event was appended, not when its transaction began: a long transaction's events
  // (a reconcile's quotes_updated) are stamped when they are written, just before the commit.
  await sql`alter table events alter column created_at set default clock_timestamp()`.execute(db);
  // Expired quotes are still 'open' rows until their session (or the next one) cancels them.
  await sql`create index orders_expiry on orders (pool_id, expires_at) where status = 'open' and expires_at is not null`.execute(
    db,
  );

  await sql`
    create function lpmm_notify_pool() returns trigger language plpgsql as $$
    begin
      perform pg_notify('lpmm_pool', new.pool_id);
      return null;
    end $$`.execute(db);
  await sql`
    create function lpmm_notify_pool_row() returns trigger language plpgsql as $$
    begin
      perform pg_notify('lpmm_pool', new.id);
      return null;
    end $$`.execute(db);
  await sql`
    create function lpmm_notify_tick() returns trigger language plpgsql as $$
    begin
      -- The tick itself rides along: workers keep their feeds' recent ticks in memory.
      perform pg_notify('lpmm_tick', json_build_object(
        'f', new.feed, 'p', new.price::text,
        't', floor(extract(epoch from new.observed_at) * 1000))::text);
      return null;
    end $$`.execute(db);
  // Reserves (fills, liquidity, hedges), spread, config and status: what the quotes depend on.
  // A generation bump alone wakes nobody: the session it fences learns of it at its next write.
  await sql`
    create trigger pools_notify after update on pools for each row
    when (old.reserve_base is distinct from new.reserve_base
       or old.reserve_quote is distinct from new.reserve_quote
       or old.spread_bps is distinct from new.spread_bps
       or old.config is distinct from new.config
       or old.status is distinct from new.status)
    execute function lpmm_notify_pool_row()`.execute(db);
  // Trades between other traders move the book's best prices (book_mid pools quote around them).
  await sql`create trigger trades_notify after insert on trades for each row execute function lpmm_notify_pool()`.execute(
    db,
  );
  await sql`create trigger price_ticks_notify after insert on price_ticks for each row execute function lpmm_notify_tick()`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger price_ticks_notify on price_ticks`.execute(db);
  await sql`drop trigger trades_notify on trades`.execute(db);
  await sql`drop trigger pools_notify on pools`.execute(db);
  await sql`drop function lpmm_notify_tick()`.execute(db);
  await sql`drop function lpmm_notify_pool_row()`.execute(db);
  await sql`drop function lpmm_notify_pool()`.execute(db);
  await sql`drop index orders_expiry`.execute(db);
  await sql`alter table events alter column created_at set default now()`.execute(db);
  await sql`alter table orders drop column expires_at`.execute(db);
  await sql`alter table pools drop column mm_attempt, drop column mm_generation`.execute(db);
}
