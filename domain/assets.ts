import { DomainValidationError, describeValue } from './errors';
import { Big } from './money';

/*
 * Assets a desk holds across its pools. An asset's `decimals` is the precision of its smallest
 * transferable unit (satoshi, wei, lamport...): a pair's lot and tick must be whole multiples of it,
 * or an order could ask for an amount no ledger can settle.
 */

export interface Asset {
  symbol: string;
  decimals: number;
}

/*
 * Stricter than the generic name rule (domain/text.ts parseName, which the pools table uses): no
 * '/', because a pair symbol is written BASE/QUOTE, and no ':' or '@', which are kept for feed and
 * venue qualifiers. Upper and lower case are both allowed (cbBTC, stETH) and are distinct.
 */
const ASSET_SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export function parseAssetSymbol(value: unknown, field = 'asset'): string {
  if (typeof value !== 'string' || !ASSET_SYMBOL.test(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be an asset symbol of 1-32 letters, digits, '.', '_' or '-' starting with a letter or digit (e.g. "ETH", "USDC"), got ${describeValue(value)}`,
    );
  }
  return value;
}

export function parseAsset(value: unknown, field = 'asset'): Asset {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be an object { symbol, decimals }, got ${describeValue(value)}`,
    );
  }
  const { symbol, decimals, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new DomainValidationError(
      `${field}.${unknown[0]}`,
      `${field}.${unknown[0]} is not a field of an asset; known fields: symbol, decimals`,
    );
  }
  const parsedSymbol = parseAssetSymbol(symbol, `${field}.symbol`);
  if (typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < 0 || decimals > 18) {
    throw new DomainValidationError(
      `${field}.decimals`,
      `${field}.decimals must be an integer from 0 to 18 (the precision of the asset's smallest unit), got ${describeValue(decimals)}`,
    );
  }
  return { symbol: parsedSymbol, decimals };
}

/** The smallest amount of the asset a ledger can move: 10^-decimals. */
export function smallestUnit(asset: Asset): Big {
  return new Big(1).div(new Big(10).pow(asset.decimals));
}

/*
 * Precisions of the real tokens, capped at 18 (the boundary limit for amounts, money.ts
 * AMOUNT_LIMITS): USDC 6 as on Ethereum, BTC 8 (a satoshi), ETH 18 (a wei), SOL 9 (a lamport).
 */
export const EXAMPLE_ASSETS: readonly Asset[] = Object.freeze([
  { symbol: 'USDC', decimals: 6 },
  { symbol: 'BTC', decimals: 8 },
  { symbol: 'ETH', decimals: 18 },
  { symbol: 'SOL', decimals: 9 },
]);

export interface AssetRegistry {
  readonly assets: readonly Asset[];
  /** Throws naming the unknown symbol and the known ones. */
  get(symbol: string, field?: string): Asset;
  has(symbol: string): boolean;
}

export function assetRegistry(assets: readonly unknown[]): AssetRegistry {
  const parsed = assets.map((a, i) => parseAsset(a, `assets[${i}]`));
  const bySymbol = new Map<string, Asset>();
  parsed.forEach((a, i) => {
    if (bySymbol.has(a.symbol)) {
      throw new DomainValidationError(
        `assets[${i}].symbol`,
        `assets[${i}].symbol "${a.symbol}" is listed twice`,
      );
    }
    bySymbol.set(a.symbol, a);
  });
  return {
    assets: parsed,
    has: (symbol) => bySymbol.has(symbol),
    get(symbol, field = 'asset') {
      const asset = bySymbol.get(symbol);
      if (asset === undefined) {
        throw new DomainValidationError(
          field,
          `${field} "${symbol}" is not a known asset; known assets: ${[...bySymbol.keys()].join(', ')}`,
        );
      }
      return asset;
    },
  };
}
