export { createFastQuoter } from './quoter';
export { toDecimalQuoteInput } from './bridge';
export { QUOTE_ADJUSTMENTS, adjustmentNames, adjustmentBits, type QuoteAdjustment } from './adjustments';
export type {
  FastLadder,
  FastMarket,
  FastQuoteInput,
  FastQuoter,
  FastQuoterConfig,
  FastQuoterStats,
} from './types';
