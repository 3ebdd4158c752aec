import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** numeric columns come back from pg as strings (exact); callers parse them to Big. */
type Numeric = ColumnType<string, string, string>;
type NumericDefault = ColumnType<string, string | undefined, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface PoolsTable {
  id: string;
  base_asset: string;
  quote_asset: string;
  reserve_base: Numeric;
  reserve_quote: Numeric;
  total_shares: NumericDefault;
  net_base_contributed: NumericDefault;
  net_quote_contributed: NumericDefault;
  spread_bps: Numeric;
  tick_size: Numeric;
  lot_size: Numeric;
  min_size: Numeric;
  status: ColumnType<'active' | 'paused' | 'closed', 'active' | 'paused' | 'closed' | undefined>;
  config: ColumnType<unknown, string, string>;
  price_feed: string;
  /** The market maker's fence: see migrations/0002_quoting_session.ts. */
  mm_generation: ColumnType<string, string | undefined, string>;
  mm_attempt: ColumnType<number, number | undefined, number>;
  /** A hedge the spread saga asked for and the market maker has not answered yet (db/hedging.ts). */
  hedge_requested_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Every fee the hedge venue charged, in quote (a trigger adds each filled hedge's fee). */
  hedge_fees_paid: NumericDefault;
  /** Liquidity added minus removed, each valued in quote when it happened; and its peak (a trigger keeps both). */
  capital_contributed: NumericDefault;
  peak_capital: NumericDefault;
  /** The desk whose supervisor hedges this pool's exposure, netted (migrations/0007_portfolio.ts). */
  hedged_by_desk: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface LiquidityPositionsTable {
  pool_id: string;
  provider: string;
  shares: Numeric;
  updated_at: UpdatedAt;
}

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'limit' | 'ioc' | 'post_only';
export type OrderStatus = 'open' | 'filled' | 'cancelled';

export interface OrdersTable {
  id: string;
  seq: Generated<string>;
  pool_id: string;
  owner: string;
  client_order_id: string;
  side: OrderSide;
  type: OrderType;
  price: Numeric;
  quantity: Numeric;
  filled_quantity: NumericDefault;
  status: OrderStatus;
  is_pool_order: ColumnType<boolean, boolean | undefined, boolean>;
  cancel_reason: string | null;
  /** Market-maker quotes only: matching ignores the order after this instant. */
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TradesTable {
  id: string;
  seq: Generated<string>;
  pool_id: string;
  maker_order_id: string;
  taker_order_id: string;
  maker_owner: string;
  taker_owner: string;
  taker_side: OrderSide;
  price: Numeric;
  quantity: Numeric;
  maker_is_pool: boolean;
  created_at: CreatedAt;
}

export interface PriceTicksTable {
  id: Generated<string>;
  feed: string;
  price: Numeric;
  observed_at: ColumnType<Date, Date | string, never>;
  received_at: CreatedAt;
}

export interface EventsTable {
  global_position: Generated<string>;
  transaction_id: Generated<string>;
  event_id: string;
  stream_id: string;
  stream_version: ColumnType<string, number | string, never>;
  type: string;
  schema_version: number;
  payload: ColumnType<unknown, string, never>;
  metadata: ColumnType<Record<string, unknown>, string | undefined, never>;
  /** The login that appended it, stamped by the database (migration 0003). */
  written_by: ColumnType<string, never, never>;
  created_at: CreatedAt;
}

export interface CheckpointsTable {
  subscriber: string;
  transaction_id: string;
  global_position: string;
  /** Per-stream subscribers only (the spread saga): the last stream version processed. */
  stream_version: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  updated_at: UpdatedAt;
}

export interface HedgesTable {
  request_id: string;
  pool_id: string;
  client_order_id: string;
  trigger: 'risk_flatten' | 'saga_request';
  status: 'in_flight' | 'filled' | 'failed';
  side: OrderSide;
  base_amount: Numeric;
  reference_price: Numeric;
  decided_at: CreatedAt;
  settled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  fill_price: ColumnType<string | null, string | null | undefined, string | null>;
  fill_base: ColumnType<string | null, string | null | undefined, string | null>;
  fill_quote: ColumnType<string | null, string | null | undefined, string | null>;
  fill_fee: ColumnType<string | null, string | null | undefined, string | null>;
  failure: ColumnType<string | null, string | null | undefined, string | null>;
}

type NullableNumeric = ColumnType<string | null, string | null | undefined, string | null>;

/** A desk's netted hedges (migrations/0007_portfolio.ts, db/desk.ts). */
export interface DeskHedgesTable {
  client_order_id: string;
  desk_id: string;
  round_key: string;
  asset: string;
  pair: string;
  status: 'in_flight' | 'filled' | 'failed';
  side: OrderSide;
  base_amount: Numeric;
  reference_price: Numeric;
  net: Numeric;
  gross: Numeric;
  pools: ColumnType<string[], string, string>;
  decided_at: CreatedAt;
  settled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  fill_price: NullableNumeric;
  fill_base: NullableNumeric;
  fill_quote: NullableNumeric;
  fill_fee: NullableNumeric;
  fill_net_quote: NullableNumeric;
  failure: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A quoting session's exposure and fills per distance bin (migrations/0005_intensity_and_capital.ts). */
export interface IntensityExposureTable {
  pool_id: string;
  sample_key: string;
  bin: number;
  exposure_seconds: number;
  distance_seconds: number;
  fills: number;
  recorded_at: CreatedAt;
}

export interface Database {
  pools: PoolsTable;
  liquidity_positions: LiquidityPositionsTable;
  orders: OrdersTable;
  trades: TradesTable;
  price_ticks: PriceTicksTable;
  events: EventsTable;
  checkpoints: CheckpointsTable;
  hedges: HedgesTable;
  intensity_exposure: IntensityExposureTable;
  desk_hedges: DeskHedgesTable;
}

export type PoolRow = Selectable<PoolsTable>;
export type OrderRow = Selectable<OrdersTable>;
export type NewOrderRow = Insertable<OrdersTable>;
export type TradeRow = Selectable<TradesTable>;
export type EventRow = Selectable<EventsTable>;
