import { sql, type Kysely } from 'kysely';

/**
 * Pools, liquidity positions, the order book, trades, price ticks and the append-only event store.
 * Every amount is `numeric` (exact); checks make impossible states (negative reserves,
 * non-positive quantities, over-fills) unrepresentable even for code that forgets to validate.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table pools (
      id text primary key check (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
      base_asset text not null,
      quote_asset text not null,
      reserve_base numeric not null check (reserve_base >= 0),
      reserve_quote numeric not null check (reserve_quote >= 0),
      total_shares numeric not null default 0 check (total_shares >= 0),
      net_base_contributed numeric not null default 0,
      net_quote_contributed numeric not null default 0,
      spread_bps numeric not null check (spread_bps > 0),
      tick_size numeric not null check (tick_size > 0),
      lot_size numeric not null check (lot_size > 0),
      min_size numeric not null check (min_size > 0),
      status text not null default 'active' check (status in ('active', 'paused', 'closed')),
      config jsonb not null,
      price_feed text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table liquidity_positions (
      pool_id text not null references pools(id),
      provider text not null,
      shares numeric not null check (shares >= 0),
      updated_at timestamptz not null default now(),
      primary key (pool_id, provider)
    )`.execute(db);

  await sql`
    create table orders (
      id text primary key,
      seq bigint generated always as identity unique,
      pool_id text not null references pools(id),
      owner text not null,
      client_order_id text not null,
      side text not null check (side in ('buy', 'sell')),
      type text not null check (type in ('limit', 'ioc', 'post_only')),
      price numeric not null check (price > 0),
      quantity numeric not null check (quantity > 0),
      filled_quantity numeric not null default 0 check (filled_quantity >= 0 and filled_quantity <= quantity),
      status text not null check (status in ('open', 'filled', 'cancelled')),
      is_pool_order boolean not null default false,
      cancel_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (owner, client_order_id)
    )`.execute(db);
  // The matching engine scans resting orders by price then time; only open ones matter.
  await sql`create index orders_book on orders (pool_id, side, price, seq) where status = 'open'`.execute(db);
  await sql`create index orders_owner_open on orders (owner, pool_id) where status = 'open'`.execute(db);

  await sql`
    create table trades (
      id text primary key,
      seq bigint generated always as identity unique,
      pool_id text not null references pools(id),
      maker_order_id text not null references orders(id),
      taker_order_id text not null references orders(id),
      maker_owner text not null,
      taker_owner text not null,
      taker_side text not null check (taker_side in ('buy', 'sell')),
      price numeric not null check (price > 0),
      quantity numeric not null check (quantity > 0),
      maker_is_pool boolean not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index trades_pool_time on trades (pool_id, created_at)`.execute(db);

  await sql`
    create table price_ticks (
      id bigint generated always as identity primary key,
      feed text not null,
      price numeric not null check (price > 0),
      observed_at timestamptz not null,
      received_at timestamptz not null default now(),
      unique (feed, observed_at)
    )`.execute(db);
  await sql`create index price_ticks_latest on price_ticks (feed, observed_at desc)`.execute(db);

  await sql`
    create table events (
      global_position bigint generated always as identity primary key,
      transaction_id xid8 not null default pg_current_xact_id(),
      event_id text not null unique,
      stream_id text not null,
      stream_version bigint not null check (stream_version > 0),
      type text not null,
      schema_version int not null,
      payload jsonb not null,
      metadata jsonb not null default '{}',
      created_at timestamptz not null default now(),
      unique (stream_id, stream_version)
    )`.execute(db);
  // Global readers page by (transaction id, position): late-committing transactions sort after the checkpoint.
  await sql`create index events_global_order on events (transaction_id, global_position)`.execute(db);
  await sql`create index events_type on events (type)`.execute(db);

  await sql`
    create function events_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'events is append-only: % is not allowed (append a compensating event instead)', tg_op
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger events_no_update_delete before update or delete on events
            for each row execute function events_refuse_change()`.execute(db);
  await sql`create trigger events_no_truncate before truncate on events
            for each statement execute function events_refuse_change()`.execute(db);

  await sql`
    create table checkpoints (
      subscriber text primary key,
      transaction_id xid8 not null,
      global_position bigint not null,
      updated_at timestamptz not null default now()
    )`.execute(db);

  // The application role may read and append events, never rewrite them.
  // Roles are cluster-wide: concurrent migrations of two databases may race to create it.
  await sql`
    do $$ begin
      -- Checked first: a migration owner without CREATEROLE finds it made by the role setup.
      if not exists (select from pg_roles where rolname = 'lpmm_app') then
        create role lpmm_app nologin;
      end if;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db);
  await sql`grant select, insert on events to lpmm_app`.execute(db);
  await sql`grant select, insert, update on pools, liquidity_positions, orders, trades, price_ticks, checkpoints to lpmm_app`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`revoke all on events, pools, liquidity_positions, orders, trades, price_ticks, checkpoints from lpmm_app`.execute(
    db,
  );
  for (const table of [
    'checkpoints',
    'events',
    'price_ticks',
    'trades',
    'orders',
    'liquidity_positions',
    'pools',
  ]) {
    await sql`drop table ${sql.table(table)}`.execute(db);
  }
  await sql`drop function events_refuse_change()`.execute(db);
}
