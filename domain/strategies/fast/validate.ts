import { DomainValidationError } from '../../errors';
import type { FastQuoteInput } from './types';

function positive(value: number, field: string): void {
  if (!(Number.isFinite(value) && value > 0))
    throw new DomainValidationError(field, `${field} must be a positive finite number, got ${value}`);
}
function nonNegative(value: number, field: string): void {
  if (!(Number.isFinite(value) && value >= 0))
    throw new DomainValidationError(field, `${field} must be a finite number >= 0, got ${value}`);
}

/** The decimal pipeline's input checks (validateQuoteInput), on doubles, naming the same fields. */
export function validateFastInput(input: FastQuoteInput): void {
  positive(input.mid, 'mid');
  nonNegative(input.reserveBase, 'reserveBase');
  nonNegative(input.reserveQuote, 'reserveQuote');
  nonNegative(input.spreadBps, 'spreadBps');
  if (input.bestBid !== undefined) positive(input.bestBid, 'bestBid');
  if (input.bestAsk !== undefined) positive(input.bestAsk, 'bestAsk');
  if (input.minSpreadBps !== undefined) nonNegative(input.minSpreadBps, 'minSpreadBps');
  if (input.maxSpreadBps !== undefined) positive(input.maxSpreadBps, 'maxSpreadBps');
  if (input.targetBase !== undefined) nonNegative(input.targetBase, 'targetBase');
  if (input.nowMs !== undefined && !Number.isFinite(input.nowMs)) {
    throw new DomainValidationError(
      'nowMs',
      `nowMs must be a finite time in ms since the epoch, got ${input.nowMs}`,
    );
  }
  const target = input.targetInventoryShare;
  if (!(target > 0 && target < 1)) {
    throw new DomainValidationError(
      'targetInventoryShare',
      `targetInventoryShare must be a number strictly between 0 and 1, got ${target}`,
    );
  }
  nonNegative(input.volatility, 'volatility');
  positive(input.volatilityHorizonSeconds, 'volatilityHorizonSeconds');
  if (input.timeRemainingSeconds !== undefined)
    nonNegative(input.timeRemainingSeconds, 'timeRemainingSeconds');
  if (input.intensity !== undefined) {
    positive(input.intensity.A, 'intensity.A');
    positive(input.intensity.k, 'intensity.k');
  }
}
