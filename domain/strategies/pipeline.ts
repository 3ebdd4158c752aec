import type { StrategyKind } from '../config';
import { inventoryPosition, type InventoryPosition } from './inventory';
import { buildRawLadder } from './ladder';
import { modelState, type ModelCore, type ModelState } from './model-core';
import { finalizeQuotes } from './post-process';
import type { ModelQuote, QuoteInput, QuoteLadder } from './types';
import { validateQuoteInput } from './validate-input';
import { Big, HALF, modelNumberToBig } from '../money';

export type PriceModel = (input: QuoteInput, position: InventoryPosition) => ModelQuote;

/** Every strategy differs only in its price model; validation, ladder and guards are shared. */
export function runPipeline(kind: StrategyKind, model: PriceModel, input: QuoteInput): QuoteLadder {
  validateQuoteInput(input);
  const position = inventoryPosition(input);
  const quote = tidy(model(input, position));
  const final = finalizeQuotes(buildRawLadder(quote, input, position), input);
  return {
    strategy: kind,
    reservationPrice: quote.reservationPrice,
    halfSpread: quote.bidDepth.plus(quote.askDepth).times(HALF),
    bidDepth: quote.bidDepth,
    askDepth: quote.askDepth,
    bids: final.bids,
    asks: final.asks,
    adjustments: final.adjustments,
    model: { q: position.q, inventoryShare: Number(position.share.toPrecision(15)), ...quote.model },
  };
}

/** The doubles a model reads, from a decimal quote input (each decimal to its nearest double). */
export function decimalModelState(input: QuoteInput): ModelState {
  return modelState({
    mid: input.mid.toNumber(),
    reserveBase: input.reserveBase.toNumber(),
    reserveQuote: input.reserveQuote.toNumber(),
    targetInventoryShare: input.targetInventoryShare,
    baseOrderSize: Number(input.ladder.baseOrderSize),
    spreadBps: input.spreadBps.toNumber(),
    volatility: input.volatility,
    volatilityHorizonSeconds: input.volatilityHorizonSeconds,
    timeRemainingSeconds: input.timeRemainingSeconds,
    intensity: input.intensity,
  });
}

/**
 * A model's depths enter price arithmetic through modelNumberToBig (15 significant digits) and
 * are then cut to MODEL_DECIMALS: the one conversion from model numbers to prices, used by the
 * decimal pipeline and by the fast quoter when it must decide a price exactly.
 */
export function modelNumberToPrice(x: number, field: string): Big {
  return modelNumberToBig(x, field).round(MODEL_DECIMALS, Big.roundHalfUp);
}

/** A plain-number model core as a decimal price model. */
export function decimalPriceModel(core: ModelCore): PriceModel {
  return (input) => {
    const out = core(decimalModelState(input));
    return {
      // Offset applied to the exact Big mid so the mid's own digits are never rounded.
      reservationPrice: input.mid.minus(modelNumberToBig(out.reservationOffset, 'reservationOffset')),
      bidDepth: modelNumberToPrice(out.bidDepth, 'bidDepth'),
      askDepth: modelNumberToPrice(out.askDepth, 'askDepth'),
      model: out.model,
    };
  };
}

/**
 * Model outputs are cut to 20 decimals: far below any tick, but it keeps the 40-digit tails of
 * divisions like 1/3 out of logs and events.
 */
export const MODEL_DECIMALS = 20;

function tidy(quote: ModelQuote): ModelQuote {
  const r = (b: Big) => b.round(MODEL_DECIMALS, Big.roundHalfUp);
  return {
    ...quote,
    reservationPrice: r(quote.reservationPrice),
    bidDepth: r(quote.bidDepth),
    askDepth: r(quote.askDepth),
  };
}
