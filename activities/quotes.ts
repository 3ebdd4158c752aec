import type { IntensityParams } from '../domain/intensity';
import { Big } from '../domain/money';
import { strategyFor } from '../domain/strategies';
import { serializeLadder, type SerializedQuoteLadder } from '../domain/strategies/serialize';
import type { MarketSnapshot } from './types';

/** The domain strategy the pool's configuration picks, fed from a market snapshot. */
export function computeQuotes(
  snapshot: MarketSnapshot,
  timeRemainingSeconds?: number,
  /** A fitted intensity (k per bps of mid, A per second): replaces the strategy's configured A and k. */
  intensity?: IntensityParams,
): SerializedQuoteLadder {
  const cfg = snapshot.config;
  const ladder = strategyFor(cfg.strategy).compute({
    mid: new Big(snapshot.mid),
    reserveBase: new Big(snapshot.reserveBase),
    reserveQuote: new Big(snapshot.reserveQuote),
    targetInventoryShare: cfg.spreadPolicy.targetInventoryShare,
    spreadBps: new Big(snapshot.spreadBps),
    volatility: snapshot.volatility,
    volatilityHorizonSeconds: cfg.volatility.horizonSeconds,
    bestBid: snapshot.bestBid ? new Big(snapshot.bestBid) : undefined,
    bestAsk: snapshot.bestAsk ? new Big(snapshot.bestAsk) : undefined,
    tickSize: new Big(snapshot.tickSize),
    lotSize: new Big(snapshot.lotSize),
    minSize: new Big(snapshot.minSize),
    ladder: cfg.ladder,
    timeRemainingSeconds,
    intensity,
    guardMid: cfg.ladder.guardMid,
    maxOrderNotional: new Big(cfg.risk.maxOrderNotional),
  });
  return serializeLadder(ladder);
}
