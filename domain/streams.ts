/**
 * Event stream names. Pool-state changes (reserves, spread, liquidity, fills) go to the pool's stream,
 * which the saga reads gap-free by stream version; order churn and market-maker lifecycle get their
 * own streams so the saga's source of truth is not drowned in quote updates.
 */
export const poolStream = (poolId: string) => `pool-${poolId}`;
export const orderBookStream = (poolId: string) => `orderbook-${poolId}`;
export const marketMakerStream = (poolId: string) => `market-maker-${poolId}`;
/** A desk's portfolio supervisor: its breaches, its actions on pools and its netted hedges. */
export const deskStream = (deskId: string) => `desk-${deskId}`;

/** Owner id of a pool's own (market-maker) orders in the book. */
export const poolOwner = (poolId: string) => `pool:${poolId}`;
