import { sql, type Kysely } from 'kysely';

/**
 * Identity and least privilege (issue 10). Who acts is decided by the database, never by a field
 * the caller fills in:
 *
 * - A client logs in as its own role; `principals` maps that login to the principal its orders,
 *   cancels and liquidity positions belong to (`lpmm_principal()`). The `pool:<id>` owners are
 *   reserved to the worker role: no principal can be named like one.
 * - Group roles, created by the role setup (`db/roles.ts`) before migrations run:
 *   `lpmm_worker` (the market maker), `lpmm_client` (traders and liquidity providers, one login
 *   each), `lpmm_dashboard` (read-only). The migration owner owns every object.
 * - Triggers check every order, cancel, trade and liquidity change against the principal, derive
 *   the trade's owners from its orders, move the pool's reserves from each trade themselves, and
 *   bound liquidity changes to the fair share price; deferred checks prove at commit that each
 *   order's fills are its trades and each pool's shares are its providers' positions. A client
 *   with its own login and raw SQL gets no further than the library would.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$ begin
      if not exists (select from pg_roles where rolname = 'lpmm_worker')
         or not exists (select from pg_roles where rolname = 'lpmm_client')
         or not exists (select from pg_roles where rolname = 'lpmm_dashboard') then
        raise exception 'roles lpmm_worker, lpmm_client and lpmm_dashboard must exist before this migration'
          using hint = 'create them first as an administrator: see README "Database roles"';
      end if;
    end $$`.execute(db);

  await sql`
    create table principals (
      login_role name primary key,
      -- No ':' at all, so no principal can ever read as a pool's own 'pool:<id>' owner.
      principal text not null unique check (principal ~ '^[A-Za-z0-9_.@/-]{1,128}$'),
      created_at timestamptz not null default now()
    )`.execute(db);

  // The principal of the login behind this session. Security definer: clients cannot read the
  // mapping of other logins. session_user, not current_user: it is the login, whatever role is set.
  await sql`
    create function lpmm_principal() returns text language sql stable security definer
    set search_path = public, pg_temp as $$
      select principal from principals where login_role = session_user
    $$`.execute(db);

  // Trusted: the worker, the schema owner, superusers. Inside security-definer trigger functions
  // current_user is the owner, which is how the reserve-moving trigger may update the pool.
  await sql`
    create function lpmm_trusted() returns boolean language sql stable
    set search_path = public, pg_temp as $$
      select pg_has_role(current_user, 'lpmm_worker', 'member')
          or current_user = (select tableowner from pg_tables where schemaname = 'public' and tablename = 'pools')
          or coalesce((select rolsuper from pg_roles where rolname = current_user), false)
    $$`.execute(db);

  await sql`
    create function lpmm_require_principal() returns text language plpgsql stable
    set search_path = public, pg_temp as $$
    declare p text := lpmm_principal();
    begin
      if p is null then
        raise exception 'login role "%" is not registered as a principal', session_user
          using errcode = 'insufficient_privilege',
                hint = 'an administrator registers it: insert into principals (login_role, principal) values (...)';
      end if;
      return p;
    end $$`.execute(db);

  // ---- orders ----------------------------------------------------------------------------------
  await sql`
    create function lpmm_orders_guard() returns trigger language plpgsql
    set search_path = public, pg_temp as $$
    declare
      p text;
      pool pools%rowtype;
      remaining numeric;
    begin
      if tg_op = 'INSERT' then
        if new.filled_quantity <> 0 or new.status <> 'open' then
          raise exception 'a new order starts open and unfilled' using errcode = 'check_violation';
        end if;
        if new.is_pool_order is distinct from (new.owner = 'pool:' || new.pool_id)
           or (new.owner like 'pool:%' and new.owner <> 'pool:' || new.pool_id) then
          raise exception 'owner "%" is reserved: only pool "%" may own pool orders', new.owner, new.pool_id
            using errcode = 'insufficient_privilege';
        end if;
        if not lpmm_trusted() then
          p := lpmm_require_principal();
          if new.owner is distinct from p then
            raise exception 'orders are placed as this connection''s principal "%", not as "%"', p, new.owner
              using errcode = 'insufficient_privilege';
          end if;
        elsif pg_has_role(current_user, 'lpmm_worker', 'member') and not new.is_pool_order
              and not coalesce((select rolsuper from pg_roles where rolname = current_user), false) then
          raise exception 'the worker places only its pools'' quotes, not orders of "%"', new.owner
            using errcode = 'insufficient_privilege';
        end if;
        return new;
      end if;

      if (new.id, new.seq, new.pool_id, new.owner, new.client_order_id, new.side, new.type, new.price,
          new.quantity, new.is_pool_order, new.created_at)
         is distinct from
         (old.id, old.seq, old.pool_id, old.owner, old.client_order_id, old.side, old.type, old.price,
          old.quantity, old.is_pool_order, old.created_at) then
        raise exception 'order % keeps its owner and terms for life; cancel it and place a new one', old.id
          using errcode = 'insufficient_privilege';
      end if;
      if new.filled_quantity < old.filled_quantity then
        raise exception 'order % cannot unfill (% -> %)', old.id, old.filled_quantity, new.filled_quantity
          using errcode = 'check_violation';
      end if;
      if old.status <> 'open' and new.status is distinct from old.status then
        raise exception 'order % is already %', old.id, old.status using errcode = 'check_violation';
      end if;
      if new.status = 'filled' and new.filled_quantity <> new.quantity then
        raise exception 'order % is marked filled with % of % filled', old.id, new.filled_quantity, new.quantity
          using errcode = 'check_violation';
      end if;
      if lpmm_trusted() then return new; end if;

      p := lpmm_require_principal();
      if old.owner = p then return new; end if;
      if new.expires_at is distinct from old.expires_at then
        raise exception 'only the owner renews order %', old.id using errcode = 'insufficient_privilege';
      end if;
      if new.status = 'cancelled' and old.status = 'open' then
        -- A taker may cancel the rest of a pool quote the pool can no longer pay for: the same rule
        -- the matching engine applies, checked here against the pool's reserves.
        if old.is_pool_order and new.cancel_reason = 'insufficient_reserve' then
          select * into pool from pools where id = old.pool_id;
          remaining := new.quantity - new.filled_quantity;
          if (old.side = 'sell' and pool.reserve_base < remaining)
             or (old.side = 'buy' and pool.reserve_quote < remaining * old.price) then
            return new;
          end if;
        end if;
        raise exception 'principal "%" may cancel only its own orders; order % belongs to "%"', p, old.id, old.owner
          using errcode = 'insufficient_privilege';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger orders_guard before insert or update on orders
            for each row execute function lpmm_orders_guard()`.execute(db);

  // An order's fills are exactly its trades, whoever wrote the row: checked at commit, on the row
  // as it is then (a matching transaction updates an order several times).
  await sql`create index trades_maker_order on trades (maker_order_id)`.execute(db);
  await sql`create index trades_taker_order on trades (taker_order_id)`.execute(db);
  await sql`
    create function lpmm_orders_fills_match_trades() returns trigger language plpgsql security definer
    set search_path = public, pg_temp as $$
    declare filled numeric; traded numeric;
    begin
      select filled_quantity into filled from orders where id = new.id;
      select coalesce(sum(quantity), 0) into traded from trades
       where maker_order_id = new.id or taker_order_id = new.id;
      if filled <> traded then
        raise exception 'order % shows % filled but its trades add up to %', new.id, filled, traded
          using errcode = 'check_violation';
      end if;
      return null;
    end $$`.execute(db);
  await sql`create constraint trigger orders_fills_match_trades after update of filled_quantity on orders
            deferrable initially deferred for each row
            when (new.filled_quantity is distinct from old.filled_quantity)
            execute function lpmm_orders_fills_match_trades()`.execute(db);

  // ---- trades ----------------------------------------------------------------------------------
  await sql`
    create function lpmm_trades_guard() returns trigger language plpgsql
    set search_path = public, pg_temp as $$
    declare
      maker orders%rowtype;
      taker orders%rowtype;
      taker_traded numeric;
    begin
      select * into maker from orders where id = new.maker_order_id;
      select * into taker from orders where id = new.taker_order_id;
      if maker.id is null or taker.id is null or maker.pool_id <> new.pool_id or taker.pool_id <> new.pool_id then
        raise exception 'trade % names orders that are not both in pool %', new.id, new.pool_id
          using errcode = 'check_violation';
      end if;
      if maker.status <> 'open' or maker.side = taker.side or maker.owner = taker.owner
         or new.price <> maker.price
         or (taker.side = 'buy' and taker.price < maker.price)
         or (taker.side = 'sell' and taker.price > maker.price)
         or maker.filled_quantity + new.quantity > maker.quantity then
        raise exception 'trade % of % at % does not match resting order % (%, % at %, % of % filled)',
          new.id, new.quantity, new.price, maker.id, maker.status, maker.side, maker.price,
          maker.filled_quantity, maker.quantity
          using errcode = 'check_violation';
      end if;
      select coalesce(sum(quantity), 0) into taker_traded from trades where taker_order_id = taker.id;
      if taker_traded + new.quantity > taker.quantity then
        raise exception 'trade % would fill order % past its quantity', new.id, taker.id
          using errcode = 'check_violation';
      end if;
      if not lpmm_trusted() and taker.owner is distinct from lpmm_require_principal() then
        raise exception 'principal "%" may trade only with its own orders; order % belongs to "%"',
          lpmm_principal(), taker.id, taker.owner using errcode = 'insufficient_privilege';
      end if;
      -- Who traded is the orders' business, never the writer's.
      new.maker_owner := maker.owner;
      new.taker_owner := taker.owner;
      new.maker_is_pool := maker.is_pool_order;
      new.taker_side := taker.side;
      return new;
    end $$`.execute(db);
  await sql`create trigger trades_guard before insert on trades
            for each row execute function lpmm_trades_guard()`.execute(db);
  await sql`
    create function lpmm_trades_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'trades are final: % is not allowed', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger trades_final before update or delete on trades
            for each row execute function lpmm_trades_refuse_change()`.execute(db);

  // The pool's reserves move with its trades, by the database: a client has no way to write them
  // for a fill. Security definer so the update runs as the owner (a trigger function cannot be
  // called directly, so this cannot be misused to move reserves at will).
  await sql`
    create function lpmm_trades_move_reserves() returns trigger language plpgsql security definer
    set search_path = public, pg_temp as $$
    declare
      d_base numeric := 0;
      d_quote numeric := 0;
      taker_is_pool boolean;
    begin
      select is_pool_order into taker_is_pool from orders where id = new.taker_order_id;
      if new.maker_is_pool then
        -- The pool is the maker: it gives what the taker receives.
        if new.taker_side = 'buy' then
          d_base := d_base - new.quantity; d_quote := d_quote + new.price * new.quantity;
        else
          d_base := d_base + new.quantity; d_quote := d_quote - new.price * new.quantity;
        end if;
      end if;
      if taker_is_pool then
        if new.taker_side = 'buy' then
          d_base := d_base + new.quantity; d_quote := d_quote - new.price * new.quantity;
        else
          d_base := d_base - new.quantity; d_quote := d_quote + new.price * new.quantity;
        end if;
      end if;
      if d_base <> 0 or d_quote <> 0 then
        update pools set reserve_base = reserve_base + d_base, reserve_quote = reserve_quote + d_quote,
                         updated_at = now()
         where id = new.pool_id;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger trades_move_reserves after insert on trades
            for each row execute function lpmm_trades_move_reserves()`.execute(db);

  // ---- pools -----------------------------------------------------------------------------------
  await sql`
    create function lpmm_pools_guard() returns trigger language plpgsql
    set search_path = public, pg_temp as $$
    declare
      ds numeric; db numeric; dq numeric;
    begin
      if lpmm_trusted() then return new; end if;
      perform lpmm_require_principal();
      if tg_op = 'INSERT' then
        if new.reserve_base <> 0 or new.reserve_quote <> 0 or new.total_shares <> 0
           or new.net_base_contributed <> 0 or new.net_quote_contributed <> 0
           or new.mm_generation <> 0 or new.mm_attempt <> 0 or new.status <> 'active' then
          raise exception 'a new pool starts empty and active; add liquidity to fund it'
            using errcode = 'insufficient_privilege';
        end if;
        return new;
      end if;
      if (new.id, new.base_asset, new.quote_asset, new.spread_bps, new.tick_size, new.lot_size, new.min_size,
          new.status, new.config, new.price_feed, new.mm_generation, new.mm_attempt, new.created_at)
         is distinct from
         (old.id, old.base_asset, old.quote_asset, old.spread_bps, old.tick_size, old.lot_size, old.min_size,
          old.status, old.config, old.price_feed, old.mm_generation, old.mm_attempt, old.created_at) then
        raise exception 'only the market maker changes pool %''s settings', old.id
          using errcode = 'insufficient_privilege';
      end if;
      -- What is left is a liquidity change: reserves move with contributions, and shares are minted
      -- or burned at no better than the pool's own ratio (exact numeric, no rounding).
      ds := new.total_shares - old.total_shares;
      db := new.reserve_base - old.reserve_base;
      dq := new.reserve_quote - old.reserve_quote;
      if db <> new.net_base_contributed - old.net_base_contributed
         or dq <> new.net_quote_contributed - old.net_quote_contributed
         or (ds = 0 and (db <> 0 or dq <> 0))
         or (ds > 0 and (db < 0 or dq < 0
              or (old.total_shares = 0 and (old.reserve_base <> 0 or old.reserve_quote <> 0 or ds * ds > db * dq))
              or (old.total_shares > 0 and (ds * old.reserve_base > old.total_shares * db
                                            or ds * old.reserve_quote > old.total_shares * dq))))
         or (ds < 0 and (db > 0 or dq > 0
              or -db * old.total_shares > old.reserve_base * -ds
              or -dq * old.total_shares > old.reserve_quote * -ds)) then
        raise exception 'pool % reserves may change only by trades or by liquidity at the pool''s ratio (shares %, base %, quote %)',
          old.id, ds, db, dq using errcode = 'insufficient_privilege';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger pools_guard before insert or update on pools
            for each row execute function lpmm_pools_guard()`.execute(db);

  // Shares outstanding are exactly the providers' positions, checked at commit.
  await sql`
    create function lpmm_pool_shares_match_positions() returns trigger language plpgsql security definer
    set search_path = public, pg_temp as $$
    declare total numeric; held numeric;
    begin
      select total_shares into total from pools where id = new.pool_id;
      select coalesce(sum(shares), 0) into held from liquidity_positions where pool_id = new.pool_id;
      if total <> held then
        raise exception 'pool % has % shares outstanding but its providers hold %', new.pool_id, total, held
          using errcode = 'check_violation';
      end if;
      return null;
    end $$`.execute(db);
  await sql`create constraint trigger liquidity_positions_match_pool after insert or update on liquidity_positions
            deferrable initially deferred for each row execute function lpmm_pool_shares_match_positions()`.execute(
    db,
  );
  // Same check when only the pool row changed (the function reads new.pool_id; pools has id).
  await sql`
    create function lpmm_pool_row_shares_match_positions() returns trigger language plpgsql security definer
    set search_path = public, pg_temp as $$
    declare total numeric; held numeric;
    begin
      select total_shares into total from pools where id = new.id;
      select coalesce(sum(shares), 0) into held from liquidity_positions where pool_id = new.id;
      if total <> held then
        raise exception 'pool % has % shares outstanding but its providers hold %', new.id, total, held
          using errcode = 'check_violation';
      end if;
      return null;
    end $$`.execute(db);
  await sql`create constraint trigger pools_shares_match_positions after update of total_shares on pools
            deferrable initially deferred for each row
            when (new.total_shares is distinct from old.total_shares)
            execute function lpmm_pool_row_shares_match_positions()`.execute(db);

  // A provider sees and moves only its own position.
  await sql`alter table liquidity_positions enable row level security`.execute(db);
  await sql`create policy own_position on liquidity_positions to lpmm_client
            using (provider = lpmm_principal()) with check (provider = lpmm_principal())`.execute(db);
  await sql`create policy read_all on liquidity_positions for select to lpmm_worker, lpmm_dashboard using (true)`.execute(
    db,
  );

  // ---- events ----------------------------------------------------------------------------------
  // Who wrote each event, stamped by the database.
  await sql`alter table events add column written_by name not null default session_user`.execute(db);
  await sql`
    create function lpmm_events_stamp() returns trigger language plpgsql
    set search_path = public, pg_temp as $$
    begin
      new.written_by := session_user;
      if not lpmm_trusted() then
        perform lpmm_require_principal();
        if new.type not in ('order_placed', 'order_cancelled', 'order_executed', 'liquidity_added',
                            'liquidity_removed', 'pool_created', 'market_maker_stopped') then
          raise exception 'a client may not record % events', new.type using errcode = 'insufficient_privilege';
        end if;
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger events_stamp before insert on events
            for each row execute function lpmm_events_stamp()`.execute(db);

  // ---- halting the market maker ----------------------------------------------------------------
  // Stopping a pool whose workflow is gone goes through the database (client.stopPool). It only
  // ever removes risk: a new fence generation and the pool's own quotes cancelled. Clients may do
  // that much and nothing else to the pool's quotes; the caller records the events (stamped with
  // its login).
  await sql`
    create function lpmm_halt_market_maker(p_pool text, p_reason text)
    returns table (order_id text, remaining numeric, generation bigint)
    language plpgsql security definer set search_path = public, pg_temp as $$
    declare gen bigint;
    begin
      if p_reason is null or length(p_reason) > 200 then
        raise exception 'reason must be 1-200 characters' using errcode = 'invalid_parameter_value';
      end if;
      update pools set mm_generation = mm_generation + 1, mm_attempt = 0 where id = p_pool
      returning mm_generation into gen;
      if gen is null then
        raise exception 'pool "%" does not exist', p_pool using errcode = 'no_data_found';
      end if;
      return query
        update orders set status = 'cancelled', cancel_reason = p_reason, updated_at = now()
         where pool_id = p_pool and owner = 'pool:' || p_pool and status = 'open'
        returning id, quantity - filled_quantity, gen;
      if not found then
        return query select null::text, null::numeric, gen;
      end if;
    end $$`.execute(db);
  await sql`revoke execute on function lpmm_halt_market_maker(text, text) from public`.execute(db);
  await sql`grant execute on function lpmm_halt_market_maker(text, text) to lpmm_worker, lpmm_client`.execute(
    db,
  );

  // ---- privileges ------------------------------------------------------------------------------
  const tables = sql.raw(
    'pools, liquidity_positions, orders, trades, price_ticks, events, checkpoints, principals',
  );
  await sql`revoke all on ${tables} from public`.execute(db);
  // The first release's catch-all application role could rewrite trades and orders: retired.
  await sql`revoke all on ${tables} from lpmm_app`.execute(db);

  await sql`grant select on pools, liquidity_positions, orders, trades, price_ticks, events, checkpoints
            to lpmm_worker, lpmm_client, lpmm_dashboard`.execute(db);

  await sql`grant update on pools, orders to lpmm_worker`.execute(db);
  await sql`grant insert on orders, trades, events, price_ticks to lpmm_worker`.execute(db);
  await sql`grant insert, update on checkpoints to lpmm_worker`.execute(db);

  await sql`grant insert on pools, orders, trades, events, liquidity_positions to lpmm_client`.execute(db);
  await sql`grant update (filled_quantity, status, cancel_reason, updated_at, expires_at) on orders to lpmm_client`.execute(
    db,
  );
  await sql`grant update (reserve_base, reserve_quote, total_shares, net_base_contributed, net_quote_contributed,
                          spread_bps, updated_at) on pools to lpmm_client`.execute(db);
  await sql`grant update (shares, updated_at) on liquidity_positions to lpmm_client`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const tables = sql.raw('pools, liquidity_positions, orders, trades, price_ticks, events, checkpoints');
  await sql`revoke all on ${tables} from lpmm_worker, lpmm_client, lpmm_dashboard`.execute(db);
  await sql`grant select, insert on events to lpmm_app`.execute(db);
  await sql`grant select, insert, update on pools, liquidity_positions, orders, trades, price_ticks, checkpoints to lpmm_app`.execute(
    db,
  );
  await sql`drop function lpmm_halt_market_maker(text, text)`.execute(db);
  await sql`drop trigger events_stamp on events`.execute(db);
  await sql`drop function lpmm_events_stamp()`.execute(db);
  await sql`alter table events drop column written_by`.execute(db);
  await sql`drop policy read_all on liquidity_positions`.execute(db);
  await sql`drop policy own_position on liquidity_positions`.execute(db);
  await sql`alter table liquidity_positions disable row level security`.execute(db);
  await sql`drop trigger pools_shares_match_positions on pools`.execute(db);
  await sql`drop function lpmm_pool_row_shares_match_positions()`.execute(db);
  await sql`drop trigger liquidity_positions_match_pool on liquidity_positions`.execute(db);
  await sql`drop function lpmm_pool_shares_match_positions()`.execute(db);
  await sql`drop trigger pools_guard on pools`.execute(db);
  await sql`drop function lpmm_pools_guard()`.execute(db);
  await sql`drop trigger trades_move_reserves on trades`.execute(db);
  await sql`drop function lpmm_trades_move_reserves()`.execute(db);
  await sql`drop trigger trades_final on trades`.execute(db);
  await sql`drop function lpmm_trades_refuse_change()`.execute(db);
  await sql`drop trigger trades_guard on trades`.execute(db);
  await sql`drop function lpmm_trades_guard()`.execute(db);
  await sql`drop trigger orders_fills_match_trades on orders`.execute(db);
  await sql`drop function lpmm_orders_fills_match_trades()`.execute(db);
  await sql`drop index trades_taker_order`.execute(db);
  await sql`drop index trades_maker_order`.execute(db);
  await sql`drop trigger orders_guard on orders`.execute(db);
  await sql`drop function lpmm_orders_guard()`.execute(db);
  await sql`drop function lpmm_require_principal()`.execute(db);
  await sql`drop function lpmm_trusted()`.execute(db);
  await sql`drop function lpmm_principal()`.execute(db);
  await sql`drop table principals`.execute(db);
}
