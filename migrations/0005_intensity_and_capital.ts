import { sql, type Kysely } from 'kysely';

/**
 * Fitted trading intensity and the P&L's fees and capital (issue 11, defects 7 and 8).
 *
 * - `intensity_exposure`: how long each pool's best quotes rested at each distance from mid and how
 *   many taker orders reached them, per distance bin, as the quoting session observed it. A session
 *   writes what it accumulated every refresh under a key of its generation and refresh number, so a
 *   retried write adds nothing twice; the fit reads the pool's rows inside its window. A restarted
 *   session (new worker, new generation) fits from what earlier ones left.
 * - `pools.hedge_fees_paid`: every fee the hedge venue charged the pool, added by a trigger when a
 *   hedge is booked as filled. A P&L baseline records it, so a run's fees are the difference.
 * - `pools.capital_contributed` / `peak_capital`: liquidity added minus removed, each change valued
 *   in quote at the feed's latest price when it happened (the pool's own ratio before any tick),
 *   and the most it ever was: the capital at risk that a return is measured on. A trigger keeps
 *   them, so raw SQL by a liquidity provider cannot bypass it. Existing pools are backfilled from
 *   their liquidity events valued at the feed's price at the time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table intensity_exposure (
      pool_id text not null references pools(id),
      sample_key text not null check (length(sample_key) between 1 and 300),
      bin integer not null check (bin >= 0),
      exposure_seconds double precision not null check (exposure_seconds > 0),
      -- sum of seconds x distance (bps): the bin's exposure-weighted mean distance is this / exposure.
      distance_seconds double precision not null check (distance_seconds >= 0),
      fills integer not null check (fills >= 0),
      recorded_at timestamptz not null default clock_timestamp(),
      primary key (sample_key, bin)
    )`.execute(db);
  await sql`create index intensity_exposure_window on intensity_exposure (pool_id, recorded_at)`.execute(db);
  await sql`revoke all on intensity_exposure from public`.execute(db);
  // The worker records and prunes exposure; the dashboard may chart it.
  await sql`grant select, insert, delete on intensity_exposure to lpmm_worker`.execute(db);
  await sql`grant select on intensity_exposure to lpmm_dashboard`.execute(db);

  await sql`alter table pools
              add column hedge_fees_paid numeric not null default 0 check (hedge_fees_paid >= 0),
              add column capital_contributed numeric not null default 0,
              add column peak_capital numeric not null default 0 check (peak_capital >= 0)`.execute(db);

  await sql`
    update pools p set hedge_fees_paid = s.fees
      from (select pool_id, sum(fill_fee) as fees from hedges
             where status = 'filled' and fill_fee is not null group by pool_id) s
     where s.pool_id = p.id`.execute(db);
  await sql`
    with flows as (
      select p.id, e.global_position,
             (case when e.type = 'liquidity_added' then 1 else -1 end)
             * ((e.payload->>'quoteAmount')::numeric + (e.payload->>'baseAmount')::numeric * coalesce(
                  (select t.price from price_ticks t
                    where t.feed = p.price_feed and t.observed_at <= e.created_at
                    order by t.observed_at desc limit 1),
                  (e.payload->>'quoteAmount')::numeric / nullif((e.payload->>'baseAmount')::numeric, 0),
                  0)) as v
        from events e join pools p on e.stream_id = 'pool-' || p.id
       where e.type in ('liquidity_added', 'liquidity_removed')
    ), running as (
      select id, global_position, sum(v) over (partition by id order by global_position) as c from flows
    ), agg as (
      select id, max(c) as peak, (array_agg(c order by global_position desc))[1] as last from running group by id
    )
    update pools p set capital_contributed = agg.last, peak_capital = greatest(agg.peak, 0)
      from agg where agg.id = p.id`.execute(db);

  await sql`
    create function lpmm_pools_track_capital() returns trigger language plpgsql security definer
    set search_path = public, pg_temp as $$
    declare
      db numeric := new.net_base_contributed - old.net_base_contributed;
      dq numeric := new.net_quote_contributed - old.net_quote_contributed;
      px numeric;
    begin
      if db = 0 and dq = 0 then return new; end if;
      select price into px from price_ticks where feed = new.price_feed order by observed_at desc limit 1;
      if px is null then
        px := case when db <> 0 and dq <> 0 then abs(dq / db)
                   when new.reserve_base > 0 then new.reserve_quote / new.reserve_base
                   else 0 end;
      end if;
      new.capital_contributed := old.capital_contributed + dq + db * px;
      new.peak_capital := greatest(old.peak_capital, new.capital_contributed);
      return new;
    end $$`.execute(db);
  await sql`create trigger pools_track_capital before update of net_base_contributed, net_quote_contributed on pools
            for each row execute function lpmm_pools_track_capital()`.execute(db);

  await sql`
    create function lpmm_hedges_count_fee() returns trigger language plpgsql security definer
    set search_path = public, pg_temp as $$
    begin
      update pools set hedge_fees_paid = hedge_fees_paid + new.fill_fee where id = new.pool_id;
      return null;
    end $$`.execute(db);
  await sql`create trigger hedges_count_fee after update of status on hedges for each row
            when (new.status = 'filled' and old.status is distinct from 'filled' and new.fill_fee is not null)
            execute function lpmm_hedges_count_fee()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger hedges_count_fee on hedges`.execute(db);
  await sql`drop function lpmm_hedges_count_fee()`.execute(db);
  await sql`drop trigger pools_track_capital on pools`.execute(db);
  await sql`drop function lpmm_pools_track_capital()`.execute(db);
  await sql`alter table pools drop column peak_capital, drop column capital_contributed, drop column hedge_fees_paid`.execute(
    db,
  );
  await sql`revoke all on intensity_exposure from lpmm_worker, lpmm_dashboard`.execute(db);
  await sql`drop table intensity_exposure`.execute(db);
}
