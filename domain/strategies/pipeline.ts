import type { StrategyKind } from '../config';
import { inventoryPosition, type InventoryPosition } from './inventory';
import { buildRawLadder } from './ladder';
import { finalizeQuotes } from './post-process';
import type { ModelQuote, QuoteInput, QuoteLadder } from './types';
import { validateQuoteInput } from './validate-input';
import { modelState, newModelOutput, type ModelCore, type ModelOutput, type ModelState } from './model-core';
import { modelDistanceToPrice } from './units';
import { capModelWidth } from './width-limits';
import { Big, HALF } from '../money';

export type PriceModel = (input: QuoteInput, position: InventoryPosition) => ModelQuote;

/** Every strategy differs only in its price model; validation, ladder and guards are shared. */
export function runPipeline(kind: StrategyKind, model: PriceModel, input: QuoteInput): QuoteLadder {
  validateQuoteInput(input);
  const position = inventoryPosition(input);
  const { quote, capped } = capModelWidth(tidy(model(input, position)), input);
  const final = finalizeQuotes(buildRawLadder(quote, input, position), input);
  const adjustments = capped
    ? ['spread_capped_max', ...final.adjustments.filter((a) => a !== 'spread_capped_max')]
    : final.adjustments;
  return {
    strategy: kind,
    reservationPrice: quote.reservationPrice,
    halfSpread: quote.bidDepth.plus(quote.askDepth).times(HALF),
    bidDepth: quote.bidDepth,
    askDepth: quote.askDepth,
    bids: final.bids,
    asks: final.asks,
    adjustments,
    model: { q: position.q, inventoryShare: Number(position.share.toPrecision(15)), ...quote.model },
  };
}

/** The doubles a model reads, from a decimal quote input (each decimal to its nearest double). */
export function decimalModelState(input: QuoteInput): ModelState {
  return modelState(
    {
      mid: input.mid.toNumber(),
      reserveBase: input.reserveBase.toNumber(),
      reserveQuote: input.reserveQuote.toNumber(),
      targetInventoryShare: input.targetInventoryShare,
      spreadBps: input.spreadBps.toNumber(),
      volatility: input.volatility,
      volatilityHorizonSeconds: input.volatilityHorizonSeconds,
      timeRemainingSeconds: input.timeRemainingSeconds,
      nowMs: input.nowMs,
      intensity: input.intensity,
      targetBase: input.targetBase?.toNumber(),
    },
    Number(input.ladder.baseOrderSize),
  );
}

/**
 * The one conversion of a model's numbers to prices (each distance through modelDistanceToPrice:
 * 15 significant digits, times the exact mid when mid-relative), used by the decimal pipeline and
 * by the fast quoter when it must decide a price exactly.
 */
export function modelQuoteToPrices(out: ModelOutput, mid: Big): ModelQuote {
  const offset = modelDistanceToPrice(out.units, out.reservationOffset, mid, 'reservationOffset');
  const reservationPrice = mid.minus(offset);
  if (out.halfSpread !== undefined) {
    const half = modelDistanceToPrice(out.units, out.halfSpread, mid, 'halfSpread');
    return { reservationPrice, bidDepth: offset.plus(half), askDepth: half.minus(offset), model: out.model };
  }
  return {
    reservationPrice,
    bidDepth: modelDistanceToPrice(out.units, out.bidDepth, mid, 'bidDepth'),
    askDepth: modelDistanceToPrice(out.units, out.askDepth, mid, 'askDepth'),
    model: out.model,
  };
}

/** A plain-number model core as a decimal price model. */
export function decimalPriceModel(core: ModelCore): PriceModel {
  return (input) => modelQuoteToPrices(core(decimalModelState(input), newModelOutput()), input.mid);
}

/**
 * Model outputs are cut to 20 decimals: far below any tick, but it keeps the 40-digit tails of
 * divisions like 1/3 out of logs and events.
 */
export const MODEL_DECIMALS = 20;

export function tidy(quote: ModelQuote): ModelQuote {
  const r = (b: Big) => b.round(MODEL_DECIMALS, Big.roundHalfUp);
  return {
    ...quote,
    reservationPrice: r(quote.reservationPrice),
    bidDepth: r(quote.bidDepth),
    askDepth: r(quote.askDepth),
  };
}
