import { formatDecimal, type Big } from '../money';
import { DomainValidationError } from '../errors';
import type { QuoteInput } from './types';

function positive(value: Big, field: string): void {
  if (value.lte(0))
    throw new DomainValidationError(field, `${field} must be positive, got "${formatDecimal(value)}"`);
}
function nonNegative(value: Big, field: string): void {
  if (value.lt(0))
    throw new DomainValidationError(field, `${field} must not be negative, got "${formatDecimal(value)}"`);
}

export function validateQuoteInput(input: QuoteInput): void {
  positive(input.mid, 'mid');
  nonNegative(input.reserveBase, 'reserveBase');
  nonNegative(input.reserveQuote, 'reserveQuote');
  nonNegative(input.spreadBps, 'spreadBps');
  positive(input.tickSize, 'tickSize');
  positive(input.lotSize, 'lotSize');
  nonNegative(input.minSize, 'minSize');
  if (input.bestBid !== undefined) positive(input.bestBid, 'bestBid');
  if (input.bestAsk !== undefined) positive(input.bestAsk, 'bestAsk');
  if (input.maxOrderNotional !== undefined) positive(input.maxOrderNotional, 'maxOrderNotional');
  if (input.minSpreadBps !== undefined) nonNegative(input.minSpreadBps, 'minSpreadBps');
  if (input.maxSpreadBps !== undefined) positive(input.maxSpreadBps, 'maxSpreadBps');
  if (input.targetBase !== undefined) nonNegative(input.targetBase, 'targetBase');
  validateModelNumbers(input);
}

/** The plain-number inputs both quoting paths (decimal and fast) take: checked once, here. */
export interface ModelNumberInputs {
  nowMs?: number;
  targetInventoryShare: number;
  volatility: number;
  volatilityHorizonSeconds: number;
  timeRemainingSeconds?: number;
  intensity?: { A: number; k: number };
}

export function validateModelNumbers(input: ModelNumberInputs): void {
  if (input.nowMs !== undefined && !Number.isFinite(input.nowMs)) {
    throw new DomainValidationError(
      'nowMs',
      `nowMs must be a finite time in ms since the epoch, got ${input.nowMs}`,
    );
  }
  if (!(input.targetInventoryShare > 0 && input.targetInventoryShare < 1)) {
    throw new DomainValidationError(
      'targetInventoryShare',
      `targetInventoryShare must be a number strictly between 0 and 1, got ${input.targetInventoryShare}`,
    );
  }
  if (!Number.isFinite(input.volatility) || input.volatility < 0) {
    throw new DomainValidationError(
      'volatility',
      `volatility must be a finite non-negative number, got ${input.volatility}`,
    );
  }
  if (!Number.isFinite(input.volatilityHorizonSeconds) || input.volatilityHorizonSeconds <= 0) {
    throw new DomainValidationError(
      'volatilityHorizonSeconds',
      `volatilityHorizonSeconds must be a positive number of seconds, got ${input.volatilityHorizonSeconds}`,
    );
  }
  const t = input.timeRemainingSeconds;
  if (t !== undefined && (!Number.isFinite(t) || t < 0)) {
    throw new DomainValidationError(
      'timeRemainingSeconds',
      `timeRemainingSeconds must be a finite non-negative number, got ${t}`,
    );
  }
  if (input.intensity !== undefined) {
    const { A, k } = input.intensity;
    if (!(Number.isFinite(A) && A > 0))
      throw new DomainValidationError(
        'intensity.A',
        `intensity.A must be a positive finite number, got ${A}`,
      );
    if (!(Number.isFinite(k) && k > 0))
      throw new DomainValidationError(
        'intensity.k',
        `intensity.k must be a positive finite number, got ${k}`,
      );
  }
}
