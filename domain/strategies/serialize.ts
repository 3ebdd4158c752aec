import { formatDecimal, parseDecimal } from '../money';
import { DomainValidationError, describeValue } from '../errors';
import type { StrategyKind } from '../config';
import type { QuoteLadder, QuoteLevel } from './types';

export interface SerializedQuoteLevel {
  price: string;
  size: string;
}

/** JSON-safe form of a QuoteLadder (decimal strings), for activity results and events. */
export interface SerializedQuoteLadder {
  strategy: StrategyKind;
  reservationPrice: string;
  halfSpread: string;
  bidDepth: string;
  askDepth: string;
  bids: SerializedQuoteLevel[];
  asks: SerializedQuoteLevel[];
  adjustments: string[];
  model: Record<string, number>;
}

const serializeLevel = (l: QuoteLevel): SerializedQuoteLevel => ({
  price: formatDecimal(l.price),
  size: formatDecimal(l.size),
});

export function serializeLadder(ladder: QuoteLadder): SerializedQuoteLadder {
  return {
    strategy: ladder.strategy,
    reservationPrice: formatDecimal(ladder.reservationPrice),
    halfSpread: formatDecimal(ladder.halfSpread),
    bidDepth: formatDecimal(ladder.bidDepth),
    askDepth: formatDecimal(ladder.askDepth),
    bids: ladder.bids.map(serializeLevel),
    asks: ladder.asks.map(serializeLevel),
    adjustments: [...ladder.adjustments],
    model: { ...ladder.model },
  };
}

const KINDS: readonly StrategyKind[] = ['rule_based', 'avellaneda_stoikov', 'glft'];

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainValidationError(field, `${field} must be an object, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

function parseLevels(value: unknown, field: string): QuoteLevel[] {
  if (!Array.isArray(value))
    throw new DomainValidationError(
      field,
      `${field} must be an array of { price, size }, got ${describeValue(value)}`,
    );
  return value.map((entry, i) => {
    const level = asRecord(entry, `${field}[${i}]`);
    return {
      price: parseDecimal(level.price, `${field}[${i}].price`, { allowZero: false }),
      size: parseDecimal(level.size, `${field}[${i}].size`, { allowZero: false }),
    };
  });
}

export function parseLadder(json: unknown): QuoteLadder {
  const obj = asRecord(json, 'ladder');
  if (!KINDS.includes(obj.strategy as StrategyKind)) {
    throw new DomainValidationError(
      'strategy',
      `strategy must be one of ${KINDS.join(', ')}, got ${describeValue(obj.strategy)}`,
    );
  }
  const model = asRecord(obj.model ?? {}, 'model');
  for (const [key, v] of Object.entries(model)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DomainValidationError(
        `model.${key}`,
        `model.${key} must be a finite number, got ${describeValue(v)}`,
      );
    }
  }
  const adjustments = obj.adjustments ?? [];
  if (!Array.isArray(adjustments) || adjustments.some((a) => typeof a !== 'string')) {
    throw new DomainValidationError(
      'adjustments',
      `adjustments must be an array of strings, got ${describeValue(adjustments)}`,
    );
  }
  const signed = { allowNegative: true };
  return {
    strategy: obj.strategy as StrategyKind,
    reservationPrice: parseDecimal(obj.reservationPrice, 'reservationPrice', signed),
    halfSpread: parseDecimal(obj.halfSpread, 'halfSpread', signed),
    bidDepth: parseDecimal(obj.bidDepth, 'bidDepth', signed),
    askDepth: parseDecimal(obj.askDepth, 'askDepth', signed),
    bids: parseLevels(obj.bids, 'bids'),
    asks: parseLevels(obj.asks, 'asks'),
    adjustments: adjustments as string[],
    model: model as Record<string, number>,
  };
}
