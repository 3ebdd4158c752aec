import type { StrategyKind } from '../config';
import { inventoryPosition, type InventoryPosition } from './inventory';
import { buildRawLadder } from './ladder';
import { finalizeQuotes } from './post-process';
import type { ModelQuote, QuoteInput, QuoteLadder } from './types';
import { validateQuoteInput } from './validate-input';
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

/**
 * Model outputs are cut to 20 decimals: far below any tick, but it keeps the 40-digit tails of
 * divisions like 1/3 out of logs and events.
 */
const MODEL_DECIMALS = 20;

function tidy(quote: ModelQuote): ModelQuote {
  const r = (b: Big) => b.round(MODEL_DECIMALS, Big.roundHalfUp);
  return {
    ...quote,
    reservationPrice: r(quote.reservationPrice),
    bidDepth: r(quote.bidDepth),
    askDepth: r(quote.askDepth),
  };
}
