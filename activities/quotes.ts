import type { IntensityParams } from '../domain/intensity';
import { Big } from '../domain/money';
import { quoteLadder } from '../domain/quote-cycle';
import { serializeLadder, type SerializedQuoteLadder } from '../domain/strategies/serialize';
import type { MarketSnapshot } from './types';

/**
 * The domain strategy the pool's configuration picks, fed from a market snapshot. The snapshot's
 * time (this activity's clock) places the quote in its finite-horizon session, and the live
 * policy's minimum and maximum spread bound the width. `timeRemainingSeconds` overrides the
 * session clock (kept for callers that run their own session).
 */
export function computeQuotes(
  snapshot: MarketSnapshot,
  timeRemainingSeconds?: number,
  /** A fitted intensity (k per bps of mid, A per second): replaces the strategy's configured A and k. */
  intensity?: IntensityParams,
): SerializedQuoteLadder {
  const ladder = quoteLadder(
    {
      mid: new Big(snapshot.mid),
      reserveBase: new Big(snapshot.reserveBase),
      reserveQuote: new Big(snapshot.reserveQuote),
      spreadBps: new Big(snapshot.spreadBps),
      volatility: snapshot.volatility,
      bestBid: snapshot.bestBid ? new Big(snapshot.bestBid) : undefined,
      bestAsk: snapshot.bestAsk ? new Big(snapshot.bestAsk) : undefined,
      tickSize: new Big(snapshot.tickSize),
      lotSize: new Big(snapshot.lotSize),
      minSize: new Big(snapshot.minSize),
      timeRemainingSeconds,
      intensity,
      nowMs: snapshot.observedAtMs,
    },
    snapshot.config,
  );
  return serializeLadder(ladder);
}
