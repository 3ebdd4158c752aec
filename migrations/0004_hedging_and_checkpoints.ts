import { sql, type Kysely } from 'kysely';

/**
 * One owner of hedging per pool, and a durable checkpoint for the spread saga.
 *
 * - `hedges`: every hedge a pool's owner decided, under the pool's row lock, with its terms. At most
 *   one is in flight per pool (the venue has been or is being asked; the fill is not booked yet),
 *   so a second caller can never trade the same excess again; the newest `decided_at` is what the
 *   cool-down counts from. The request id is the idempotency key.
 * - `pools.hedge_requested_at`: the spread saga does not trade, it asks. The market maker's quoting
 *   session honours the request on its next cycle; setting it wakes the session (pools_notify).
 * - `checkpoints.stream_version`: how far a per-stream subscriber (the spread saga) has processed
 *   its stream. It only moves forward (compare-and-set in db/stream-checkpoint.ts, and a trigger
 *   here), so a Temporal reset or any rewind of the saga never processes an event twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table pools add column hedge_requested_at timestamptz`.execute(db);
  await sql`
    create table hedges (
      request_id text primary key check (length(request_id) between 1 and 300),
      pool_id text not null references pools(id),
      client_order_id text not null unique,
      trigger text not null check (trigger in ('risk_flatten', 'saga_request')),
      status text not null check (status in ('in_flight', 'filled', 'failed')),
      side text not null check (side in ('buy', 'sell')),
      base_amount numeric not null check (base_amount > 0),
      reference_price numeric not null check (reference_price > 0),
      decided_at timestamptz not null default clock_timestamp(),
      settled_at timestamptz,
      fill_price numeric,
      fill_base numeric,
      fill_quote numeric,
      fill_fee numeric,
      failure text
    )`.execute(db);
  await sql`create unique index hedges_one_in_flight on hedges (pool_id) where status = 'in_flight'`.execute(
    db,
  );
  await sql`create index hedges_latest on hedges (pool_id, decided_at desc)`.execute(db);

  await sql`alter table checkpoints add column stream_version bigint check (stream_version > 0)`.execute(db);
  await sql`
    create function checkpoints_refuse_rewind() returns trigger language plpgsql as $$
    begin
      if old.stream_version is not null and (new.stream_version is null or new.stream_version < old.stream_version) then
        raise exception 'checkpoint % may only move forward (from % to %)', old.subscriber, old.stream_version, new.stream_version
          using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger checkpoints_forward_only before update on checkpoints
            for each row execute function checkpoints_refuse_rewind()`.execute(db);

  // A hedge request must wake the session like a fill does; clearing it wakes nobody.
  await sql`drop trigger pools_notify on pools`.execute(db);
  await sql`
    create trigger pools_notify after update on pools for each row
    when (old.reserve_base is distinct from new.reserve_base
       or old.reserve_quote is distinct from new.reserve_quote
       or old.spread_bps is distinct from new.spread_bps
       or old.config is distinct from new.config
       or old.status is distinct from new.status
       or (new.hedge_requested_at is not null and old.hedge_requested_at is distinct from new.hedge_requested_at))
    execute function lpmm_notify_pool_row()`.execute(db);

  // The worker (the quoting session and the saga's activities) decides and books hedges; the
  // dashboard reads them; clients have no business with them (the events show what was traded).
  await sql`revoke all on hedges from public`.execute(db);
  await sql`grant select, insert, update on hedges to lpmm_worker`.execute(db);
  await sql`grant select on hedges to lpmm_dashboard`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger pools_notify on pools`.execute(db);
  await sql`
    create trigger pools_notify after update on pools for each row
    when (old.reserve_base is distinct from new.reserve_base
       or old.reserve_quote is distinct from new.reserve_quote
       or old.spread_bps is distinct from new.spread_bps
       or old.config is distinct from new.config
       or old.status is distinct from new.status)
    execute function lpmm_notify_pool_row()`.execute(db);
  await sql`drop trigger checkpoints_forward_only on checkpoints`.execute(db);
  await sql`drop function checkpoints_refuse_rewind()`.execute(db);
  await sql`alter table checkpoints drop column stream_version`.execute(db);
  await sql`revoke all on hedges from lpmm_worker, lpmm_dashboard`.execute(db);
  await sql`drop table hedges`.execute(db);
  await sql`alter table pools drop column hedge_requested_at`.execute(db);
}
