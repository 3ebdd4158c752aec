import { poolStream } from '../../domain/streams';
import { readStream, type Executor } from '../event-store';

export interface ProjectedPool {
  reserveBase: string;
  reserveQuote: string;
  totalShares: string;
  spreadBps: string;
  /** Stream version the projection has folded up to. */
  version: number;
}

/**
 * Rebuilds a pool's live row (reserves, shares, spread) from its event stream alone. Every event
 * that moves reserves records the reserves after it, so the fold needs no arithmetic of its own
 * and cannot drift from the transaction that wrote both.
 */
export async function rebuildPoolState(db: Executor, poolId: string): Promise<ProjectedPool> {
  const state: ProjectedPool = {
    reserveBase: '0',
    reserveQuote: '0',
    totalShares: '0',
    spreadBps: '0',
    version: 0,
  };
  for (let after = 0; ;) {
    const page = await readStream(db, poolStream(poolId), after, 1000);
    for (const e of page) {
      const p = e.payload as Record<string, string | undefined>;
      switch (e.type) {
        case 'pool_created':
          state.spreadBps = p.spreadBps!;
          break;
        case 'liquidity_added':
        case 'liquidity_removed':
          state.totalShares = p.totalShares!;
          state.reserveBase = p.reserveBase!;
          state.reserveQuote = p.reserveQuote!;
          break;
        case 'order_executed':
        case 'inventory_adjusted':
          if (p.reserveBase !== undefined) state.reserveBase = p.reserveBase;
          if (p.reserveQuote !== undefined) state.reserveQuote = p.reserveQuote;
          break;
        case 'spread_adjusted':
          state.spreadBps = p.newSpreadBps!;
          break;
        default:
          break;
      }
      state.version = e.streamVersion;
    }
    if (page.length < 1000) return state;
    after = page[page.length - 1]!.streamVersion;
  }
}
