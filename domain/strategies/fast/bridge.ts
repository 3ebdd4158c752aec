import { Big } from '../../money';
import type { QuoteInput } from '../types';
import type { FastMarket, FastQuoteInput, FastQuoterConfig } from './types';

const big = (x: number | undefined): Big | undefined => (x === undefined ? undefined : new Big(x));

/**
 * The decimal quote input a fast input stands for: every double as its shortest decimal form.
 * The fast quoter's ladder equals the decimal pipeline's ladder on this input.
 */
export function toDecimalQuoteInput(
  config: FastQuoterConfig,
  market: FastMarket,
  input: FastQuoteInput,
): QuoteInput {
  const decimal: QuoteInput = {
    mid: new Big(input.mid),
    reserveBase: new Big(input.reserveBase),
    reserveQuote: new Big(input.reserveQuote),
    targetInventoryShare: input.targetInventoryShare,
    spreadBps: new Big(input.spreadBps),
    volatility: input.volatility,
    volatilityHorizonSeconds: input.volatilityHorizonSeconds,
    tickSize: new Big(market.tickSize),
    lotSize: new Big(market.lotSize),
    minSize: new Big(market.minSize),
    ladder: config.ladder,
    guardMid: config.ladder.guardMid,
  };
  // Optional fields are left out rather than set to undefined, as a caller building one would.
  const bestBid = big(input.bestBid);
  const bestAsk = big(input.bestAsk);
  if (bestBid) decimal.bestBid = bestBid;
  if (bestAsk) decimal.bestAsk = bestAsk;
  if (input.timeRemainingSeconds !== undefined) decimal.timeRemainingSeconds = input.timeRemainingSeconds;
  if (input.intensity !== undefined) decimal.intensity = input.intensity;
  if (input.nowMs !== undefined) decimal.nowMs = input.nowMs;
  const targetBase = big(input.targetBase);
  const minSpreadBps = big(input.minSpreadBps);
  const maxSpreadBps = big(input.maxSpreadBps);
  if (targetBase) decimal.targetBase = targetBase;
  if (minSpreadBps) decimal.minSpreadBps = minSpreadBps;
  if (maxSpreadBps) decimal.maxSpreadBps = maxSpreadBps;
  if (market.maxOrderNotional !== undefined) decimal.maxOrderNotional = new Big(market.maxOrderNotional);
  return decimal;
}
